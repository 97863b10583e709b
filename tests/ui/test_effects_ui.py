"""The effects page served beside the sidebar's filters, in headless Chromium.

A tiny app serves the page apart from the dashboard (``effects_app``): the filters'
widgets and tabs (all rendered up front, as in the app) whose second tab is an
``EffectsPage`` on a seeded 600-day demo diary.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import panel as pn
import pytest
from playwright.sync_api import Page, expect

from dashboard import demo, domain
from dashboard.session import DiarySession
from dashboard.store import Store
from dashboard.ui.datastore import DataStore
from dashboard.ui.effects_page import EffectsPage
from tests.ui.conftest import served_in_process
from tests.ui.pages import screenshot_showing

pytestmark = pytest.mark.ui

TIMEOUT_MS = 90_000
OFFSITE = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/])")
PANEL_TITLES = ["Pain", "Hours asleep", "Sleep quality", "As-needed painkiller doses"]

expect.set_options(timeout=TIMEOUT_MS)


def effects_app(db: Path):
    """The effects page on ``db``, beside the sidebar's filters: its second tab."""
    data = DataStore(DiarySession(Store(db)))
    f = data.filters
    sidebar = pn.Column(
        pn.widgets.DateRangeSlider.from_param(f.param.date_range, name="Days shown", step=1),
        pn.widgets.CheckButtonGroup.from_param(
            f.param.pressures, name="Pressure", orientation="vertical",
            options={domain.PRESSURE_LABELS[p]: p for p in domain.PRESSURES},
            css_classes=["pressure-filter"]),
        pn.widgets.MultiChoice.from_param(
            f.param.areas, name="Body area",
            options={domain.area_label(a): a for a in domain.BODY_AREAS}),
        width=300)
    effects = EffectsPage(data=data)
    tabs = pn.Tabs(("Overview", pn.pane.Markdown("Another page")), ("Effects", effects),
                   dynamic=False, sizing_mode="stretch_width")
    effects.follow_tab(tabs, 1)
    return pn.Row(sidebar, tabs, sizing_mode="stretch_width")

# The page's plots and shown tables as plain data (read from the live Bokeh document).
STATE_JS = """() => {
  const doc = window.Bokeh && Bokeh.documents.length ? Bokeh.documents[0] : null;
  if (doc === null) return null;
  const views = new Map([...Bokeh.index.all_views()].map(view => [view.model, view]));
  const plots = {}, tables = {};
  for (const model of doc.all_models) {
    if (model.x_range !== undefined && model.title && model.renderers) {
      const view = views.get(model);
      plots[model.title.text] = {
        drawn: view ? view.has_finished() : false,
        rows: model.renderers.filter(r => r.data_source)
                             .reduce((n, r) => n + (r.data_source.get_length() ?? 0), 0),
      };
    }
  }
  // The tables, column by column, read from the page (HTML tables in the panes' shadow roots;
  // the rows behind "Show the other rows" too).
  const walk = root => root.querySelectorAll('*').forEach(el => {
    for (const name of ['effects-table', 'comparison-table', 'primary-table']) {
      if (!el.classList.contains(name)) continue;
      const headers = [...el.querySelectorAll('table')[0].querySelectorAll('thead th')]
        .map(th => th.textContent);
      const columns = Object.fromEntries(headers.map(h => [h, []]));
      el.querySelectorAll('tbody tr').forEach(tr => {
        const cells = [...tr.querySelectorAll('td')];
        if (cells.length === headers.length) cells.forEach((td, i) => columns[headers[i]].push(td.textContent));
      });
      tables[name] = columns;
    }
    if (el.shadowRoot) walk(el.shadowRoot);
  });
  walk(document);
  return {idle: doc.is_idle, plots, tables};
}"""

# Notes the time of the document's latest change once the document exists.
WATCH_JS = """
window.effectsLastChange = 0;
const watch = () => {
  const doc = window.Bokeh && Bokeh.documents.length ? Bokeh.documents[0] : null;
  if (doc === null) { setTimeout(watch, 50); return; }
  doc.on_change(() => { window.effectsLastChange = performance.now(); });
};
watch();
"""
QUIET_JS = f"""(ms) => {{
  const state = ({STATE_JS})();
  return Boolean(state && state.idle && performance.now() - window.effectsLastChange > ms);
}}"""
QUIET_MS = 1000

READY_JS = f"""(titles) => {{
  const state = ({STATE_JS})();
  const table = state && state.tables['effects-table'];
  return Boolean(state && state.idle && table && table.Pressure.length > 0 && titles.every(title =>
    state.plots[title] && state.plots[title].drawn && state.plots[title].rows > 0));
}}"""


@pytest.fixture(scope="module")
def effects_server(tmp_path_factory):
    """A tiny app with the effects page (served in this process) on a 600-day demo diary."""
    db = tmp_path_factory.mktemp("effects-ui") / "diary.sqlite"
    store = Store(db)
    demo.write_demo(store, days=600, seed=3, end=dt.date(2026, 6, 30))
    store.close()
    yield from served_in_process(db, "component", page=lambda: effects_app(db))


class EffectsTab:
    """One browser tab on the effects app, noting console errors and offsite requests."""

    def __init__(self, page: Page, url: str):
        self.page = page
        self.console_errors: list[str] = []
        self.offsite_requests: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.route(OFFSITE, self._block)
        page.add_init_script(WATCH_JS)
        page.goto(url)
        expect(self.tab("Overview")).to_be_visible()

    def tab(self, name: str):
        return self.page.locator(".bk-tab", has_text=name)

    def open_effects(self) -> "EffectsTab":
        self.tab("Effects").click()
        self.page.wait_for_function(READY_JS, arg=PANEL_TITLES)
        return self

    def explore(self) -> "EffectsTab":
        """Open the exploratory rows as a person does: the toggle below the figures."""
        toggle = self.page.get_by_role("button", name=re.compile("Show every pressure"))
        toggle.click()
        expect(self.page.locator(".effects-table  tbody tr").first).to_be_visible()
        return self

    def _block(self, route) -> None:
        self.offsite_requests.append(route.request.url)
        route.abort()

    def state(self) -> dict:
        return self.page.evaluate(STATE_JS)

    def matching_sessions(self) -> int:
        """The count in the headline (which is replaced when the figures change, so retry)."""
        count = self.page.locator(".effects-scope-text .n-sessions")
        texts = []
        for _ in range(50):
            expect(count).to_have_text(re.compile(r"\d+ matching sessions"))
            texts.append(count.inner_text())
            if match := re.search(r"(\d+) matching sessions", texts[-1]):
                return int(match.group(1))
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no count in the headline: {texts[-3:]}")

    def wait_for_sessions(self, n: int) -> None:
        expect(self.page.locator(".effects-scope-text .n-sessions")).to_have_text(
            f"{n} matching sessions")
        self.page.wait_for_function(READY_JS, arg=PANEL_TITLES)

    def pressure_button(self, label: str):
        return self.page.locator(".pressure-filter").get_by_role("button", name=label, exact=True)

    def settle(self) -> None:
        """Until the document is idle and unchanged for ``QUIET_MS`` (the server is done)."""
        self.page.wait_for_function(QUIET_JS, arg=QUIET_MS)


@pytest.fixture
def effects_tab(page: Page, effects_server):
    url = effects_server.url
    tab = EffectsTab(page, url).open_effects()
    yield tab
    tab.settle()
    page.goto("about:blank")
    assert tab.console_errors == [], "errors in the browser console"
    assert tab.offsite_requests == [], "the page tried to reach another host"


def test_nothing_is_computed_before_the_tab_is_opened(page: Page, effects_server):
    url = effects_server.url
    tab = EffectsTab(page, url)
    tab.settle()
    assert page.locator(".effects-scope-text").count() == 0
    assert tab.state()["tables"]["effects-table"]["Pressure"] == []
    tab.open_effects()
    expect(page.locator(".effects-scope-text .n-sessions")).to_have_text("86 matching sessions")

    tab.tab("Overview").click()
    tab.pressure_button("Deep").click()
    tab.settle()
    assert set(tab.state()["tables"]["effects-table"]["Pressure"]) == {
        "Light / soft stroking", "Moderate", "Deep", "Unknown"}, "computed while hidden"
    tab.tab("Effects").click()
    tab.wait_for_sessions(86 - 13)
    tab.explore()
    tab.settle()
    page.goto("about:blank")
    assert tab.console_errors == [] and tab.offsite_requests == []


def test_main_questions_come_first_and_the_rest_is_folded(effects_tab):
    """The main questions (three pressures and deep minus light, two outcomes each) are on
    screen at once with their adjusted p; the exploratory rows wait behind a toggle."""
    page = effects_tab.page
    expect(page.locator(".primary-table  tbody tr")).to_have_count(8)
    primary = effects_tab.state()["tables"]["primary-table"]
    assert primary["Question"][:2] == ["Light / soft stroking, all areas"] * 2
    assert primary["Question"][-2:] == ["Deep minus light"] * 2
    assert all(p != "–" for p in primary["Adjusted p"])
    assert set(primary["Reading"]) <= {"lower", "higher", "no clear difference",
                                       "lower with deep", "higher with deep",
                                       "not enough data yet"} | {
        r for r in primary["Reading"] if r.startswith("no clear difference once all")}
    expect(page.locator(".effects-findings .found li").first).to_contain_text("associated with")
    expect(page.locator(".effects-table")).to_be_hidden()


def test_plots_tables_and_text_render(effects_tab):
    page = effects_tab.page
    effects_tab.explore()
    expect(page.locator(".comparison-table  tbody tr").first).to_be_visible()
    state = effects_tab.state()
    for title in PANEL_TITLES:
        assert state["plots"][title]["drawn"], f"{title} has not drawn"
    effects = state["tables"]["effects-table"]
    assert set(effects["Pressure"]) == {"Light / soft stroking", "Moderate", "Deep", "Unknown"}
    assert "nan" not in {str(v).lower() for column in effects.values() for v in column}
    assert "not enough data yet" in effects["Reading"]
    # Only the all-areas rows of the main questions may read; every other row is exploratory.
    for area, outcome, reading in zip(effects["Body area"], effects["Outcome"],
                                      effects["Reading"]):
        if area != "All areas" or outcome not in ("Pain the next day",
                                                  "Pain, after minus before the session"):
            assert reading in ("exploratory", "not enough data yet")
    assert len(state["tables"]["comparison-table"]["Body area"]) > 0
    expect(page.locator(".effects-table  tbody tr").first).to_be_visible()
    expect(page.locator(".effects-findings .found li").first).to_contain_text("associated with")
    expect(page.locator(".effects-findings .caveats li")).to_have_count(5)
    expect(page.locator(".effects-legend .key")).to_have_text(
        ["● Light / soft stroking · 31 sessions", "■ Moderate · 42 sessions",
         "▲ Deep · 13 sessions"])


# Where the first marker of the plot titled ``title`` is on the screen.
MARKER_JS = """(title) => {
  for (const view of Bokeh.index.all_views()) {
    if (!view.model.title || view.model.title.text !== title) continue;
    const scatter = view.model.renderers.find(r => r.glyph && r.glyph.type.endsWith('Scatter'));
    const data = scatter.data_source.data;
    const box = view.el.getBoundingClientRect();
    return {x: box.left + view.frame.x_scale.compute(data.offset[0]),
            y: box.top + view.frame.y_scale.compute(data.pain[0])};
  }
  return null;
}"""


def test_hovering_a_marker_shows_the_number_of_sessions(effects_tab):
    page = effects_tab.page
    page.locator(".effects-events").scroll_into_view_if_needed()
    point = page.evaluate(MARKER_JS, "Pain")
    page.mouse.move(point["x"], point["y"])
    tooltip = page.locator(".bk-Tooltip").filter(has_text="Sessions (n)")
    expect(tooltip.first).to_be_visible()
    expect(tooltip.first).to_contain_text("Light / soft stroking")
    expect(tooltip.first).to_contain_text(re.compile(r"Sessions \(n\):\s*\d+"))


def test_clicking_a_pressure_changes_the_tables(effects_tab):
    page = effects_tab.page
    n = effects_tab.matching_sessions()
    effects_tab.explore()
    primary = effects_tab.state()["tables"]["primary-table"]
    first_row = page.locator(".effects-table  tbody tr").first
    expect(first_row).to_contain_text("Light / soft stroking")

    light = effects_tab.pressure_button("Light / soft stroking")
    light.click()
    effects_tab.wait_for_sessions(n - 31)
    expect(first_row).to_contain_text("Moderate")
    state = effects_tab.state()
    assert set(state["tables"]["effects-table"]["Pressure"]) == {"Moderate", "Deep", "Unknown"}
    assert state["tables"]["primary-table"] == primary  # the main questions stay as they were
    assert "comparison-table" not in state["tables"]
    expect(page.locator(".comparison-table")).to_have_count(0)
    expect(page.locator(".effects-no-comparison")).to_contain_text("Choose both Deep and Light")

    light.click()
    effects_tab.wait_for_sessions(n)
    expect(first_row).to_contain_text("Light / soft stroking")
    expect(page.locator(".comparison-table  tbody tr").first).to_be_visible()
    expect(page.locator(".effects-no-comparison")).to_be_hidden()


def test_scope_toggle_uses_only_the_days_shown(effects_tab):
    page = effects_tab.page
    n = effects_tab.matching_sessions()
    page.locator(".effects-scope").get_by_role("button", name="Only the days shown").click()
    started = time.monotonic()
    expect(page.locator(".effects-scope-text")).to_contain_text("only the days shown")
    print(f"scope switched in {time.monotonic() - started:.2f} s")
    expect(page.locator(".effects-scope-text .n-sessions")).not_to_have_text(
        f"{n} matching sessions")
    assert effects_tab.matching_sessions() < n
    page.locator(".effects-scope").get_by_role("button", name="All days in the diary").click()
    effects_tab.wait_for_sessions(n)


def test_screenshot(effects_tab, artifacts):
    """The whole page, for a person to look at; nothing sticks out sideways."""
    page = effects_tab.page
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1400
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 20, 4000)})
    page.wait_for_function(READY_JS, arg=PANEL_TITLES)
    effects_tab.settle()
    screenshot_showing(page, artifacts / "effects.png", PANEL_TITLES, ["86 matching sessions"])


def test_on_a_phone_the_main_questions_come_before_the_figures(effects_tab, artifacts):
    """At 390 x 844 the main questions sit above the figures, and the exploratory rows stay
    folded until asked for (this test app squeezes the page beside its sidebar, so only
    the order and the folding are checked here, not the real app's height)."""
    page = effects_tab.page
    page.set_viewport_size({"width": 390, "height": 844})
    effects_tab.settle()
    primary = page.locator(".primary-table").bounding_box()
    figures = page.locator(".effects-events").bounding_box()
    assert primary["y"] < figures["y"]
    folded = page.evaluate("() => document.documentElement.scrollHeight")
    effects_tab.explore()
    effects_tab.settle()
    opened = page.evaluate("() => document.documentElement.scrollHeight")
    print(f"phone page height: {folded} px folded, {opened} px with every row")
    assert folded < opened
    page.screenshot(path=str(artifacts / "effects-phone.png"), full_page=False)
