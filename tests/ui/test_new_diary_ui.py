"""A diary of a few days, as a new user has, through every page of the served dashboard:
each page opens (built when its tab is first clicked), says "not enough data yet" where
an estimate needs more, and nothing fails in the browser or the server."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.analysis.effects import MIN_SESSIONS
from dashboard.store import Store
from dashboard.ui.plots import BANDS_NAME, LONE_SIZE, MIN_SHOWN_DAYS, NAP_LABEL
from tests.ui.pages import Dashboard, TITLES

pytestmark = pytest.mark.ui

TIMEOUT_MS = 90_000
DAY_MS = 86_400_000


def few_day_diary(db) -> None:
    first = dt.date(2026, 11, 27)
    days = [DailyCheckin(first + dt.timedelta(days=i), pain=5 + i % 3, sleep_hours=6.5,
                         sleep_quality=5) for i in range(4)]
    session = MassageSession(dt.datetime(2026, 11, 28, 17, 0), 45, "light", ("neck",),
                             pain_before=6, pain_after=4)
    dose = MedicationDose(dt.datetime(2026, 11, 29, 8, 0), "Ibuprofen", drug_class="nsaid")
    store = Store(db)
    store.save_by_name({"Me": [*days, session, dose]})
    store.close()


def test_a_four_day_diary_through_every_page(tmp_path, page: Page, artifacts, serve_app):
    db = tmp_path / "own.sqlite"
    few_day_diary(db)
    server = serve_app(db)  # its log must stay clean
    board = Dashboard(page, server.url).open()  # the three plots drew the four days
    assert set(TITLES) <= set(board.state()["plots"])
    expect(page.locator(".bk-tab")).to_have_count(7)

    page.locator(".bk-tab", has_text="Effects").click()
    expect(page.locator(".effects-table")).to_contain_text("not enough data yet",
                                                           timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="Log").click()
    page.locator(".log-tabs .bk-tab", has_text="Medication dose").click()  # built when opened
    expect(page.locator(".history-doses").get_by_text("Ibuprofen")).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="Scores").click()
    expect(page.locator(".scores-tabs")).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="Import").click()
    expect(page.locator(".import-intro")).to_contain_text("MB", timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="About").click()
    expect(page.get_by_text("not a medical device").first).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="Overview").click()
    board.wait_until_drawn()
    page.screenshot(path=str(artifacts / "new-diary.png"), full_page=True)
    board.close()
    assert board.console_errors == [] and board.offsite_requests == []


# --- a diary's first weeks (issue 9): 1, 3 and 10 days with 0, 1 and 6 sessions ----------

FIRST_DAY = dt.date(2026, 10, 1)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                       "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"}

# What a person sees of the three plots, read from the live Bokeh views: the x range, the
# x axis's tick labels as the axis formats them, the after-session bands, and each dot
# layer's rows (its y range, values and marker sizes).
PLOTS_SEEN_JS = """(bandsName) => {
  const out = {};
  for (const view of Bokeh.index.all_views()) {
    const plot = view.model;
    if (plot.type !== 'Figure' || !plot.title || !plot.x_range) continue;
    const axis = [...view.renderer_views.values()].find(r => r.model.type === 'DatetimeAxis');
    const ticks = axis.tick_coords.major[0];
    const bands = plot.renderers.filter(r => r.name === bandsName);
    const dots = plot.renderers.filter(r => r.glyph.type === 'Scatter' && r.data_source.data.size)
      .map(r => ({range: r.y_range_name, value: Array.from(r.data_source.data.value),
                  size: Array.from(r.data_source.data.size), field: r.glyph.size.field ?? null}));
    out[plot.title.text] = {
      x: [plot.x_range.start, plot.x_range.end],
      ticks: axis.model.formatter.doFormat(ticks, axis),
      bands: bands.flatMap(r => Array.from(r.data_source.data.x0).map(
        (x0, i) => [x0, r.data_source.data.x1[i]])),
      dots,
      y_labels: [...plot.left, ...plot.right].filter(a => a.axis_label).map(a => a.axis_label),
    };
  }
  return out;
}"""
DAY_TICK = re.compile(r"^(\d{2} [A-Z][a-z]{2}|[A-Z][a-z]{2} \d{4}|\d{4})$")  # '02 Dec', 'Dec 2026'


def first_weeks_diary(db, days: int, sessions: int) -> None:
    """``days`` days of check-ins from FIRST_DAY; sleep quality only on the last day (a lone
    value); ``sessions`` light neck sessions, one a day from the first day (pain 6 -> 4)."""
    records = [DailyCheckin(FIRST_DAY + dt.timedelta(days=i), pain=5 + i % 3, sleep_hours=6.5,
                            sleep_quality=7 if i == days - 1 else None,
                            nap_minutes=30 if i == 0 else None) for i in range(days)]
    records += [MassageSession(dt.datetime.combine(FIRST_DAY + dt.timedelta(days=k % days),
                                                   dt.time(9 + k)),
                               45, "light", ("neck",), pain_before=6, pain_after=4)
                for k in range(sessions)]
    store = Store(db)
    store.save_by_name({"Me": records})
    store.close()


def check_overview(page: Page, board: Dashboard, days: int, sessions: int) -> dict:
    """What a person must see on the Overview of a new diary; returns the plots seen."""
    seen = page.evaluate(PLOTS_SEEN_JS, BANDS_NAME)
    assert set(TITLES) <= set(seen)
    for title in TITLES:
        plot = seen[title]
        start, end = plot["x"]
        assert end - start >= MIN_SHOWN_DAYS * DAY_MS, f"{title}: under a week shown"
        assert plot["ticks"] and all(DAY_TICK.match(t) for t in plot["ticks"]), plot["ticks"]
        for x0, x1 in plot["bands"]:
            assert start <= x0 < x1 <= end, f"{title}: shading off the plot {plot['bands']}"
        assert bool(plot["bands"]) == (sessions > 0)
    pain, sleep = seen[TITLES[0]], seen[TITLES[1]]
    assert "Pain\n(0 = none, 10 = worst)" in pain["y_labels"]
    assert "Sleep quality\n(0 = very poor, 10 = excellent)" in sleep["y_labels"]
    quality = [d for d in sleep["dots"] if d["range"] == "quality"]
    assert len(quality) == 1 and quality[0]["field"] == "size"
    shown = [s for v, s in zip(quality[0]["value"], quality[0]["size"]) if v is not None and v == v]
    assert shown == [LONE_SIZE], "the lone sleep quality has no visible marker"
    if days == 1:  # a lone day's pain and hours asleep get the larger dot too
        assert all(d["size"] == [LONE_SIZE] for d in pain["dots"] + sleep["dots"]
                   if d["range"] == "default")
    legend = page.evaluate(
        "() => [...Bokeh.index.all_views()].filter(v => v.model.title && v.model.title.text === "
        "'Sleep').flatMap(v => [...v.model.right, ...v.model.below, ...v.model.center])"
        ".filter(m => m.type === 'Legend').flatMap(m => m.items.map(i => i.label.value))")
    assert NAP_LABEL in legend

    head = board.summary_head
    expect(head).to_contain_text(f"{sessions} matching session{'' if sessions == 1 else 's'}")
    expect(head).not_to_contain_text("1 matching sessions")
    cards = board.summary_cards.inner_text()
    assert "· 1 days" not in cards and "1 more other days" not in cards
    assert "needed (5 in each group)" in cards  # ten days never fill both groups
    if sessions == 0:
        expect(page.locator(".fibro-summary .hint")).to_contain_text("log a session")
    return seen


@pytest.mark.parametrize(("days", "sessions"), [(1, 0), (3, 1), (10, 6)],
                         ids=["1-day-0-sessions", "3-days-1-session", "10-days-6-sessions"])
def test_a_diary_in_its_first_weeks(tmp_path, page: Page, browser, artifacts, serve_app,
                                    days, sessions):
    db = tmp_path / "own.sqlite"
    first_weeks_diary(db, days, sessions)
    server = serve_app(db)
    board = Dashboard(page, server.url).open()
    check_overview(page, board, days, sessions)
    page.screenshot(path=str(artifacts / f"first-weeks-{days}d-{sessions}s.png"), full_page=True)
    board.close()
    assert board.console_errors == [] and board.offsite_requests == []

    if days in (1, 10):  # the same on a phone: legends under the plots, ticks still days
        phone = browser.new_context(**PHONE).new_page()
        small = Dashboard(phone, server.url).open()
        check_overview(phone, small, days, sessions)
        small.show_plot(TITLES[1])
        phone.screenshot(path=str(artifacts / f"first-weeks-{days}d-{sessions}s-phone.png"))
        small.close()
        phone.context.close()
        assert small.console_errors == [] and small.offsite_requests == []

    # The Effects page says how many more sessions an estimate needs (its own text).
    page.goto(server.url)
    board.wait_until_drawn()
    page.locator(".bk-tab", has_text="Effects").click()
    expect(page.locator(".effects-scope-text")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("button", name=re.compile("Show every pressure")).click()
    expect(page.locator(".effects-table")).to_be_visible(timeout=TIMEOUT_MS)
    if 0 < sessions < MIN_SESSIONS:
        expect(page.locator("body")).to_contain_text(
            f"log {MIN_SESSIONS - sessions} more sessions to see an estimate", timeout=TIMEOUT_MS)
    board.close()
