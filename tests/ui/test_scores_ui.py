"""The Scores page and the body-area map, served on their own and used in headless Chromium.

A tiny app (``scores_app``, served in this process) shows ``ScoresPage`` and
``AreaBodyMap`` on a seeded demo diary, under a slider of the days shown.  Figures are read from the
live Bokeh document (``Bokeh.documents[0]``): each body figure is a plot named
``wpi-figure`` or ``area-figure``, and a click is aimed from a part's aim point and
the plot's ranges and frame.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd
import panel as pn
import pytest
from playwright.sync_api import Page, expect

from dashboard import demo
from dashboard.analysis import scores
from dashboard.overuse import doses_of_months
from dashboard.session import DiarySession
from dashboard.store import Store
from dashboard.ui import bodymap as bm
from dashboard.ui.bodymap import AreaBodyMap
from dashboard.ui.datastore import DataStore
from dashboard.ui.scores_page import Acr2016Form, OveruseView, ScoresPage, past_results
from tests.ui.conftest import served_in_process
from tests.ui.pages import BrowserTab, screenshot_showing

pytestmark = pytest.mark.ui

DEMO_END = dt.date(2026, 6, 30)
TIMEOUT_MS = 60_000


def scores_app(db: Path):
    """The Scores page and the area map on ``db``, under a slider of the days shown."""
    data = DataStore(DiarySession(Store(db)))
    days = pn.widgets.DateRangeSlider.from_param(data.filters.param.date_range, name="Days shown",
                                                 step=1, css_classes=["days-shown"], width=600)
    return pn.Column(days, ScoresPage(data=data), AreaBodyMap(data=data),
                     sizing_mode="stretch_width")


# window.bodyFigure(name): a body figure as plain data: where its frame is on the page,
# its ranges, and each part's fill and outline as the glyph draws them.
FIGURE_JS = """
window.lastChange = 0;
window.bodyFigure = (name) => {
  const doc = window.Bokeh && Bokeh.documents.length ? Bokeh.documents[0] : null;
  if (doc === null) return null;
  if (!doc.scoresWatched) {
    doc.scoresWatched = true;
    doc.on_change(() => { window.lastChange = performance.now(); });
  }
  const plot = [...doc.all_models].find(m => m.name === name);
  if (!plot) return null;
  const view = [...Bokeh.index.all_views()].find(v => v.model === plot);
  const renderer = plot.renderers.find(r => r.data_source && r.data_source.data.part);
  const data = renderer.data_source.data;
  const spec = (s, i) => s && typeof s === 'object' && 'field' in s ? data[s.field][i]
                         : (s && typeof s === 'object' ? s.value : s);
  const glyph = renderer.glyph;
  const parts = {};
  Array.from(data.part).forEach((part, i) => {
    parts[part] = {fill: spec(glyph.fill_color, i), line: spec(glyph.line_color, i),
                   width: spec(glyph.line_width, i), text: data.text[i]};
  });
  const box = view ? view.el.getBoundingClientRect() : null;
  const frame = view ? view.frame.bbox : null;
  return {
    idle: doc.is_idle, drawn: view ? view.has_finished() : false,
    frame: box ? {x: box.left + frame.left, y: box.top + frame.top,
                  width: frame.width, height: frame.height} : null,
    x_range: [plot.x_range.start, plot.x_range.end],
    y_range: [plot.y_range.start, plot.y_range.end],
    selected: Array.from(renderer.data_source.selected.indices),
    parts,
  };
};
window.plotTitles = () => {
  const doc = window.Bokeh && Bokeh.documents.length ? Bokeh.documents[0] : null;
  if (doc === null) return [];
  const views = new Map([...Bokeh.index.all_views()].map(view => [view.model, view]));
  return [...doc.all_models].filter(m => m.title && m.title.text && views.get(m)
                                          && views.get(m).has_finished()).map(m => m.title.text);
};
"""

READY_JS = """(names) => names.every(name => {
  const f = window.bodyFigure && window.bodyFigure(name);
  return f && f.idle && f.drawn;
})"""

QUIET_JS = """(ms) => { const f = window.bodyFigure('wpi-figure') || window.bodyFigure('area-figure');
  return Boolean(f && f.idle && performance.now() - window.lastChange > ms); }"""
QUIET_MS = 1000

PART_JS = """([name, part, key, value]) => {
  const f = window.bodyFigure(name);
  return f && f.idle && f.parts[part][key] === value;
}"""

# Ticked by hand: 7 regions touching all 5 generalized-pain regions; SSS 2 + 3 + 1 + 1 + 0 + 1.
TICKED = ["left_jaw", "right_jaw", "neck", "left_shoulder_girdle", "right_upper_arm", "left_hip",
          "right_lower_leg"]
SSS_ANSWERS = {"fatigue": "Moderate (2)", "unrefreshed": "Severe (3)", "cognitive": "Slight or mild (1)",
               "headaches": "Yes", "abdominal": "No", "depression": "Yes"}
# The FIQR by hand: function 8 of 9 answered, 6 each: 48 * 9/8 / 3 = 18; overall 7 + 5 = 12;
# symptoms (7+3+6+5+4+5+6+8+2+4) / 2 = 25; total 55, "moderate" (41-63).
FIQR_ANSWERS = {
    "brush_hair": 6, "walk": 6, "prepare_meal": 6, "vacuum": 6, "carry_groceries": 6, "stairs": 6,
    "bed_sheets": 6, "shop": 6, "goals": 7, "overwhelmed": 5, "pain": 7, "energy": 3,
    "stiffness": 6, "sleep": 5, "depression": 4, "memory": 5, "anxiety": 6, "tenderness": 8,
    "balance": 2, "sensitivity": 4,
}

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """A store holding a 400-day demo diary (seed 3) as the person's own diary."""
    path = tmp_path_factory.mktemp("scores") / "diary.sqlite"
    store = Store(path)
    demo.write_demo(store, days=400, seed=3, end=DEMO_END)
    store.close()
    return path


@pytest.fixture(scope="module")
def scores_server(db):
    yield from served_in_process(db, "component", page=lambda: scores_app(db))


class ScoresBoard(BrowserTab):
    """One browser tab on the served page, and what went wrong in it."""

    def __init__(self, page: Page, url: str):
        super().__init__(page, url, FIGURE_JS)
        page.goto(url)
        page.wait_for_function(READY_JS, arg=["wpi-figure", "area-figure"])

    def figure(self, name: str) -> dict:
        return self.page.evaluate("(name) => window.bodyFigure(name)", name)

    def show(self, name: str) -> None:
        self.page.evaluate(
            "(name) => [...Bokeh.index.all_views()].find(v => v.model.name === name)"
            ".el.scrollIntoView({block: 'center'})", name)

    def click_part(self, name: str, part: str) -> None:
        """Click the middle of a part of a body figure, as a person would."""
        self.show(name)
        figure = self.figure(name)
        x, y = next(p for p in bm.body_parts() if p.name == part).aim_point()
        (x0, x1), (y0, y1), frame = figure["x_range"], figure["y_range"], figure["frame"]
        self.page.mouse.click(frame["x"] + (x - x0) / (x1 - x0) * frame["width"],
                              frame["y"] + (y1 - y) / (y1 - y0) * frame["height"])

    def wait_for_part(self, name: str, part: str, key: str, value) -> None:
        self.page.wait_for_function(PART_JS, arg=[name, part, key, value])

    def checkbox(self, label: str):
        return self.page.locator(".wpi-checkboxes").get_by_label(label, exact=True)

    def choose(self, css_class: str, option: str) -> None:
        """Click one option of a radio group (an SSS or FIQR item) and see it chosen."""
        radio = self.page.locator(f".{css_class}").get_by_role("radio", name=option, exact=True)
        radio.click()
        expect(radio).to_have_attribute("aria-checked", "true")

    def tab(self, name: str) -> None:
        self.page.locator(".scores-tabs .bk-tab", has_text=re.compile(f"^{re.escape(name)}$")).click()

    def wait_for_plot(self, title: str) -> None:
        self.page.wait_for_function("(title) => window.plotTitles().includes(title)", arg=title)

    def screenshot(self, path: Path, *plots: str) -> None:
        """The whole page, for a person to look at; the area map and ``plots`` (titles or
        names) must be drawn in it."""
        screenshot_showing(self.page, path, ["area-figure", *plots], [])

    def wait_until_quiet(self) -> None:
        """Until the document has not changed for ``QUIET_MS`` (the server has sent its updates)."""
        self.page.wait_for_function(QUIET_JS, arg=QUIET_MS)

    def close(self) -> None:
        """Leave the page once the server is done, so it never writes to a closed websocket."""
        try:
            self.wait_until_quiet()
        finally:
            self.page.goto("about:blank")


@pytest.fixture
def board(page: Page, scores_server):
    """The page opened in a fresh tab; fails the test on any browser error or offsite request."""
    opened = ScoresBoard(page, scores_server.url)
    yield opened
    opened.close()
    assert opened.console_errors == [], "errors in the browser console:\n" + "\n".join(opened.console)
    assert opened.offsite_requests == [], "the page tried to reach another host"


def patient_id(db: Path) -> int:
    store = Store(db)
    try:
        return int(store.patients()["id"].iloc[0])
    finally:
        store.close()


def kept(db: Path, instrument: str):
    store = Store(db)
    try:
        return store.assessments(patient_id(db), instrument)
    finally:
        store.close()


# --- the WPI body map ----------------------------------------------------------------

def test_clicked_regions_light_up_and_tick_the_list(board, artifacts):
    for region in ("left_jaw", "neck", "right_upper_arm"):
        board.click_part("wpi-figure", region)
        board.wait_for_part("wpi-figure", region, "fill", bm.SELECTED_FILL)
        expect(board.checkbox(bm.domain.area_label(region))).to_be_checked()
    figure = board.figure("wpi-figure")
    (x0, x1), (y0, y1), frame = figure["x_range"], figure["y_range"], figure["frame"]
    assert frame["width"] / frame["height"] == pytest.approx((x1 - x0) / (y1 - y0), rel=0.02), \
        "the figure is not drawn to scale"
    ticked = {part for part, drawn in figure["parts"].items() if drawn["fill"] == bm.SELECTED_FILL}
    assert ticked == {"left_jaw", "neck", "right_upper_arm"}
    assert all(figure["parts"][p]["width"] > bm.LINE_WIDTH for p in ticked)
    assert figure["parts"]["right_jaw"]["fill"] == bm.REGION_FILL
    board.screenshot(artifacts / "scores-wpi-bodymap.png", "wpi-figure")

    board.click_part("wpi-figure", "left_jaw")  # a second click unticks
    board.wait_for_part("wpi-figure", "left_jaw", "fill", bm.REGION_FILL)
    expect(board.checkbox("Left jaw")).not_to_be_checked()

    board.click_part("wpi-figure", "head")  # not a WPI region: nothing happens
    board.click_part("wpi-figure", "back_left_upper_arm")
    board.wait_until_quiet()
    assert board.figure("wpi-figure")["parts"]["head"]["fill"] == bm.CONTEXT_FILL
    expect(board.page.locator(".wpi-checkboxes input:checked")).to_have_count(2)


def test_the_checkbox_list_lights_up_the_figure(board):
    board.checkbox("Upper back").check()
    board.wait_for_part("wpi-figure", "upper_back", "fill", bm.SELECTED_FILL)
    board.checkbox("Upper back").uncheck()
    board.wait_for_part("wpi-figure", "upper_back", "fill", bm.REGION_FILL)


# --- ACR 2016 -------------------------------------------------------------------------

def test_acr_2016_scores_a_hand_worked_case_and_keeps_it(board, db, artifacts):
    page = board.page
    page.locator(".score-button").first.click()
    expect(page.locator(".score-message").first).to_contain_text("Please answer every symptom item")
    expect(page.locator(".field-error").filter(has_text="Please choose one.")).to_have_count(6)

    for region in TICKED:
        board.click_part("wpi-figure", region)
        board.wait_for_part("wpi-figure", region, "fill", bm.SELECTED_FILL)
    for name, option in SSS_ANSWERS.items():
        board.choose(f"sss-{name}", option)
    page.locator(".score-button").first.click()

    result = page.locator(".acr-result")
    expect(result.locator(".wpi")).to_have_text("7")
    expect(result.locator(".sss")).to_have_text("8")
    expect(result.locator(".fs")).to_have_text("15")
    expect(result).to_contain_text("FS score (of 31): severe")
    expect(result).to_contain_text("Generalized pain: yes, pain in 5 of 5 regions: left upper, right upper, "
                                "left lower, right lower, axial")
    expect(result).to_contain_text("These answers meet the ACR 2016 criteria.")
    expect(result.locator(".rule")).to_contain_text("(WPI >= 7 and SSS >= 5) or (WPI 4-6 and SSS >= 9)")

    keep = page.locator(".keep-button").first.get_by_role("button")
    expect(keep).to_be_enabled()
    keep.click()
    expect(page.locator(".score-message").first).to_contain_text("Kept the ACR 2016 result")
    board.wait_for_plot("ACR 2016 over time")
    rows = kept(db, "acr2016")
    last = rows.iloc[-1]
    assert last["taken_on"].date() == dt.date.today()
    assert (last["wpi"], last["sss"], last["fs"]) == (7, 8, 15)
    assert last["severity"] == "severe" and bool(last["criteria_met"]) and bool(last["generalized_pain"])
    assert sorted(last["answers"]["pain_regions"]) == sorted(TICKED)
    assert last["answers"]["unrefreshed"] == 3 and last["answers"]["headaches"] is True
    board.screenshot(artifacts / "scores-acr2016.png", "wpi-figure")

    board.choose("sss-fatigue", "None (0)")  # a changed answer makes the result stale
    expect(keep).to_be_disabled()
    expect(result).to_be_hidden()


# --- FIQR -----------------------------------------------------------------------------

def test_fiqr_scores_a_hand_worked_case_with_one_blank_and_keeps_it(board, db, artifacts):
    page = board.page
    board.tab("FIQR")
    copyright_line = page.locator(".fiqr-copyright")
    expect(copyright_line).to_contain_text("copyrighted")
    expect(copyright_line.get_by_role("link")).to_have_attribute("href", scores.FIQR_FORM_URL)
    for key, value in FIQR_ANSWERS.items():
        board.choose(f"fiqr-{key}", str(value))
    page.locator(".fiqr-form .score-button").click()

    result = page.locator(".fiqr-result")
    expect(result.locator(".function")).to_have_text("18.0")
    expect(result.locator(".overall")).to_have_text("12.0")
    expect(result.locator(".symptoms")).to_have_text("25.0")
    expect(result.locator(".total")).to_have_text("55.0")
    expect(result).to_contain_text("Severity band (Salaffi 2020): moderate")
    expect(result).to_contain_text("Valid questionnaire.")
    expect(result.locator(".problems")).to_contain_text(
        "1 of 9 function items unanswered (Sit 45 minutes); the function sum was scaled by 9/8")

    page.locator(".fiqr-form .keep-button").get_by_role("button").click()
    expect(page.locator(".fiqr-form .score-message")).to_contain_text("Kept the FIQR result")
    board.wait_for_plot("FIQR over time")
    last = kept(db, "fiqr").iloc[-1]
    assert last["taken_on"].date() == dt.date.today()
    assert (last["function"], last["overall"], last["symptoms"], last["total"]) == (18.0, 12.0, 25.0, 55.0)
    assert last["severity"] == "moderate" and bool(last["valid"])
    assert last["answers"]["sit"] is None and last["answers"]["tenderness"] == 8
    board.screenshot(artifacts / "scores-fiqr.png", "FIQR over time")


def test_an_invalid_fiqr_cannot_be_kept(board):
    page = board.page
    board.tab("FIQR")
    board.choose("fiqr-pain", "5")
    page.locator(".fiqr-form .score-button").click()
    result = page.locator(".fiqr-result")
    expect(result).to_contain_text("Not valid")
    expect(result.locator(".total")).to_have_text("–")
    expect(page.locator(".fiqr-form .keep-button").get_by_role("button")).to_be_disabled()


# --- medication overuse ------------------------------------------------------------------

def test_medication_overuse_chart_notes_and_caveat(board, db, artifacts):
    page = board.page
    board.tab("Medication overuse")
    board.wait_for_plot("Days of use per month (ICHD-3 counts)")
    expect(page.locator(".overuse-caveat")).to_contain_text("are not a diagnosis")
    notes = page.locator(".overuse-notes")
    expect(notes).to_contain_text("Latest month shown (June 2026)")
    store = Store(db)
    try:
        crossed, latest = scores.overuse_notes(OveruseView(data=DataStore(DiarySession(store))).table())
    finally:
        store.close()
    assert latest, "the demo diary has acute medicines in its last month"
    for note in crossed + latest:
        expect(notes).to_contain_text(note)
    board.screenshot(artifacts / "scores-overuse.png")


# --- the body-area map ---------------------------------------------------------------------

def test_area_map_colours_areas_and_a_click_filters_by_one(board, artifacts):
    figure = board.figure("area-figure")
    pain_fills = {part: drawn["fill"] for part, drawn in figure["parts"].items()}
    assert pain_fills["neck"] in bm.PALETTE, "the demo logs neck pain"
    assert pain_fills["head"] == bm.NO_DATA_FILL, "the demo never rates the head"
    legend = board.page.locator(".area-legend")
    expect(legend).to_contain_text("Mean pain per area (0-10)")
    expect(legend).to_contain_text("none (all areas)")

    board.click_part("area-figure", "back_left_upper_leg")
    board.wait_for_part("area-figure", "right_lower_leg", "width", bm.SELECTED_WIDTH)
    expect(legend.locator(".areas")).to_have_text("Legs")
    drawn = board.figure("area-figure")["parts"]
    assert drawn["left_upper_leg"]["line"] == bm.SELECTED_LINE
    assert drawn["neck"]["width"] == bm.LINE_WIDTH

    board.page.locator(".area-measure").get_by_role("button", name="Matching sessions per area").click()
    expect(legend).to_contain_text("Matching sessions per area")
    board.page.wait_for_function(
        "() => { const f = window.bodyFigure('area-figure');"
        " return f.idle && f.parts.head.fill !== '#FFFFFF'; }")
    board.show("area-figure")
    board.screenshot(artifacts / "scores-area-bodymap.png")

    board.click_part("area-figure", "right_lower_leg")
    board.wait_for_part("area-figure", "right_lower_leg", "width", bm.LINE_WIDTH)
    expect(legend.locator(".areas")).to_have_text("none (all areas)")


# --- the same page without a browser ---------------------------------------------------------

def fill_acr(form) -> None:
    for region in TICKED:
        form.bodymap.toggle(region)
    values = {"fatigue": 2, "unrefreshed": 3, "cognitive": 1, "headaches": True,
              "abdominal": False, "depression": True}
    for name, value in values.items():
        form.items[name].value = value


def test_results_kept_while_the_demo_is_shown_go_to_the_own_store_as_me(tmp_path):
    own, shown = Store(tmp_path / "fibro.sqlite"), Store(tmp_path / "demo.sqlite")
    demo.write_demo(shown, days=60, seed=2, end=DEMO_END)
    page = ScoresPage(data=DataStore(DiarySession(shown, own_store=own, is_demo=True)))
    fill_acr(page.acr)
    page.acr.score()
    assert (page.acr.result.wpi, page.acr.result.sss, page.acr.result.fs) == (7, 8, 15)
    page.acr.keep()
    assert "own diary" in page.acr.message.object
    me = own.ensure_patient("Me")
    assert own.assessments(me, "acr2016")["fs"].tolist() == [15]
    demo_patient = int(shown.patients()["id"].iloc[0])
    assert shown.assessments(demo_patient, "acr2016").empty
    assert own.is_empty(), "a questionnaire alone does not end the demo"


def test_a_changed_answer_or_region_makes_the_score_stale(store):
    demo.write_demo(store, days=30, seed=2, end=DEMO_END)
    form = Acr2016Form(data=DataStore(DiarySession(store)))
    fill_acr(form)
    form.score()
    assert not form.keep_button.disabled
    form.bodymap.toggle("chest")
    assert form.result is None and form.keep_button.disabled
    form.keep()
    assert store.assessments(int(store.patients()["id"].iloc[0]), "acr2016").empty


def test_overuse_counts_whole_months_of_the_days_shown(store):
    doses = pd.DataFrame({"time": pd.to_datetime(["2026-03-31 08:00", "2026-04-01 08:00",
                                                  "2026-05-31 20:00", "2026-06-01 08:00"]),
                          "drug_class": ["nsaid"] * 4})
    kept_months = doses_of_months(doses, dt.date(2026, 4, 20), dt.date(2026, 5, 3))
    assert kept_months["time"].dt.month.tolist() == [4, 5]


def test_an_empty_store_shows_no_overuse_and_no_past_results(store):
    data = DataStore(DiarySession(store))
    assert OveruseView(data=data).table().empty
    assert past_results(data, "fiqr").empty
    area_map = bm.AreaBodyMap(data=data)
    assert all(math.isnan(v) for v in area_map.values().values())
    area_map.measure = bm.SESSIONS_MEASURE
    assert set(area_map.values().values()) == {0.0}


def test_a_new_date_range_updates_the_hidden_overuse_tab_and_the_area_map(board):
    """Moving the first day on by keyboard redraws views out of sight, all from 127.0.0.1.

    The window starts on 31 Dec 2025; three days on, December drops out of the overuse months.
    """
    notes = board.page.locator(".overuse-notes")
    board.tab("Medication overuse")  # built when first opened; then hidden again
    expect(notes).to_contain_text("December 2025")
    board.tab("ACR 2016")
    expect(notes).to_be_hidden()
    handle = board.page.locator(".days-shown .noUi-handle-lower")
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    expect(board.page.locator(".area-legend .measure")).to_contain_text("03 Jan 2026 – 30 Jun 2026")
    board.wait_until_quiet()
    board.tab("Medication overuse")
    board.wait_for_plot("Days of use per month (ICHD-3 counts)")
    expect(notes).to_contain_text("Latest month shown (June 2026)")
    expect(notes).not_to_contain_text("December 2025")
