"""The served dashboard in headless Chromium, used as a person would: click, scroll, drag.

Plot state is read from the live Bokeh document (``Bokeh.documents[0]``): each
plot's x range, whether its view has drawn, and the rows of its data sources.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from dashboard.ui.plots import SPAN_COLOR

pytestmark = pytest.mark.ui

TITLES = ["Pain and massage sessions", "Sleep", "Medication"]
PAIN = TITLES[0]
PRESSURE_BUTTONS = ["Light / soft stroking", "Moderate", "Deep", "Unknown"]
SHADING = "Days after a session"
TIMEOUT_MS = 60_000
OFFSITE = re.compile(r"^(https?|wss?)://(?!(127\.0\.0\.1|localhost)[:/])")

# Installed in every page as window.fibroState(): the three plots as plain data, found
# through their live views (the document's all_models keeps replaced figures for a while).
# The first call also starts noting the time of the document's latest change.
STATE_JS = """
window.fibroLastChange = 0;
window.fibroState = () => {
  const doc = window.Bokeh && Bokeh.documents.length ? Bokeh.documents[0] : null;
  if (doc === null) return null;
  if (!doc.fibroWatched) {
    doc.fibroWatched = true;
    doc.on_change(() => { window.fibroLastChange = performance.now(); });
  }
  const plots = {};
  for (const view of Bokeh.index.all_views()) {
    const plot = view.model;
    if (plot.x_range === undefined || !plot.renderers || !plot.title) continue;
    const labels = new Map();
    for (const legend of [...plot.center, ...plot.right, ...plot.left, ...plot.above, ...plot.below]) {
      if (legend.type !== 'Legend') continue;
      for (const item of legend.items)
        for (const renderer of item.renderers) labels.set(renderer, item.label && item.label.value);
    }
    const box = view.el.getBoundingClientRect();
    const frame = view.frame.bbox;
    plots[plot.title.text] = {
      x_range: [plot.x_range.start, plot.x_range.end],
      drawn: view.has_finished(),
      frame: {x: box.left + frame.left, y: box.top + frame.top, width: frame.width, height: frame.height},
      sources: plot.renderers.filter(r => r.data_source).map(r => {
        const fill = r.glyph.fill_color;
        return {
          label: labels.get(r) ?? null,
          fill: fill && typeof fill === 'object' ? fill.value ?? null : fill ?? null,
          rows: r.data_source.get_length() ?? 0,
          pressure: r.data_source.data.pressure ? Array.from(r.data_source.data.pressure) : null,
        };
      }),
    };
  }
  return {idle: doc.is_idle, plots};
};
"""

READY_JS = """(titles) => {
  const state = window.fibroState && window.fibroState();
  return Boolean(state && state.idle && titles.every(title => {
    const plot = state.plots[title];
    return plot && plot.drawn && plot.sources.some(source => source.rows > 0);
  }));
}"""

SESSIONS_JS = """([markers, label, shading, same]) => {
  const state = window.fibroState();
  const plots = Object.values(state.plots);
  const shown = plots.flatMap(plot => plot.sources).reduce(
    (n, source) => n + (source.pressure ? source.pressure.length : 0), 0);
  const rows = title => state.plots[title].sources.filter(source => source.label === label)
    .reduce((n, source) => n + source.rows, 0);
  return state.idle && shown === markers
    && Object.entries(shading).every(([title, n]) => (rows(title) === n) === same);
}"""

QUIET_JS = """(ms) => {
  const state = window.fibroState && window.fibroState();
  return Boolean(state && state.idle && performance.now() - window.fibroLastChange > ms);
}"""
QUIET_MS = 500
CLOSING_QUIET_MS = 1500

expect.set_options(timeout=TIMEOUT_MS)


class Dashboard:
    """The page of one browser tab on the served app, and what went wrong in it."""

    def __init__(self, page: Page, url: str):
        self.page = page
        self.url = url
        self.console_errors: list[str] = []
        self.console: list[str] = []
        self.offsite_requests: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.add_init_script(STATE_JS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        page.route(OFFSITE, self._block)

    def _on_console(self, message) -> None:
        self.console.append(f"{message.type}: {message.text}")
        if message.type == "error":
            self.console_errors.append(f"console.error: {message.text}")

    def _block(self, route) -> None:
        self.offsite_requests.append(route.request.url)
        route.abort()

    def open(self) -> "Dashboard":
        self.page.goto(self.url)
        try:
            self.wait_until_drawn()
        except PlaywrightError as error:
            state = self.page.evaluate("window.fibroState && window.fibroState()")
            raise AssertionError(f"the dashboard did not draw ({error.message.splitlines()[0]});\n"
                                 f"state: {state}\nconsole:\n" + "\n".join(self.console)) from None
        return self

    def wait_until_drawn(self) -> None:
        """Until the document is idle and all three plots have drawn some data."""
        self.page.wait_for_function(READY_JS, arg=TITLES)

    def wait_until_quiet(self, timeout: float = TIMEOUT_MS) -> None:
        """Until the document has not changed for ``QUIET_MS`` (the server has sent its updates)."""
        self.page.wait_for_function(QUIET_JS, arg=QUIET_MS, timeout=timeout)

    def close(self) -> None:
        """Leave the page once the server is done, so it never writes to a closed websocket."""
        try:
            self.page.wait_for_function(QUIET_JS, arg=CLOSING_QUIET_MS, timeout=15_000)
        finally:
            self.page.goto("about:blank")

    def state(self) -> dict:
        return self.page.evaluate("window.fibroState()")

    def sessions_drawn(self) -> tuple[int, dict[str, int]]:
        """Session markers in the pain plot, and rows of after-session shading in each plot."""
        plots = self.state()["plots"]
        return (len(pressures_shown(plots[PAIN])),
                {title: rows_labelled(plots[title], SHADING) for title in TITLES})

    def wait_for_sessions(self, markers: int, shading: dict[str, int], same: bool = True) -> None:
        """Until ``markers`` markers show and every plot's shading has (or, not ``same``, has
        not) the given number of rows."""
        self.page.wait_for_function(SESSIONS_JS, arg=[markers, SHADING, shading, same])

    def plot(self, title: str) -> dict:
        return self.state()["plots"][title]

    @property
    def summary_head(self):
        return self.page.locator(".fibro-summary .head")

    @property
    def summary_cards(self):
        return self.page.locator(".fibro-summary .cards")

    def matching_sessions(self) -> int:
        text = self.summary_head.inner_text()
        match = re.match(r"\s*(\d+) matching sessions", text)
        assert match, f"summary does not start with '<N> matching sessions': {text!r}"
        return int(match.group(1))

    def pressure_button(self, label: str):
        return self.page.locator(".pressure-filter").get_by_role("button", name=label, exact=True)

    def frame_point(self, title: str, fx: float, fy: float) -> tuple[float, float]:
        """A point inside a plot's data frame, as fractions of its width and height."""
        frame = self.plot(title)["frame"]
        return frame["x"] + fx * frame["width"], frame["y"] + fy * frame["height"]

    def show_plot(self, title: str) -> None:
        """Scroll the plot called ``title`` to the middle of the window."""
        self.page.evaluate(
            "(title) => [...Bokeh.index.all_views()]"
            ".find(view => view.model.title && view.model.title.text === title)"
            ".el.scrollIntoView({block: 'center'})", title)

    def drag(self, title: str, fx0: float, fx1: float, fy: float = 0.5) -> None:
        x0, y = self.frame_point(title, fx0, fy)
        x1, _ = self.frame_point(title, fx1, fy)
        mouse = self.page.mouse
        mouse.move(x0, y)
        mouse.down()
        mouse.move(x1, y, steps=12)
        mouse.up()


def pressures_shown(plot: dict) -> list[str]:
    """The pressure of every session marker in a plot."""
    return [p for source in plot["sources"] if source["pressure"] is not None
            for p in source["pressure"]]


def rows_labelled(plot: dict, label: str) -> int:
    return sum(source["rows"] for source in plot["sources"] if source["label"] == label)


def span_rows(plot: dict) -> int:
    """Rows of the outline of box-selected days."""
    return sum(source["rows"] for source in plot["sources"] if source["fill"] == SPAN_COLOR)


def x_ranges(state: dict) -> dict[str, tuple[float, float]]:
    return {title: tuple(state["plots"][title]["x_range"]) for title in TITLES}


@pytest.fixture
def dashboard(page: Page, dashboard_server):
    """The dashboard opened and drawn in a fresh tab; fails the test on any browser error."""
    dashboard_server.ensure_running()
    board = Dashboard(page, dashboard_server.url).open()
    yield board
    board.close()
    assert board.console_errors == [], "errors in the browser console"
    assert board.offsite_requests == [], "the page tried to reach another host"


def test_three_plots_draw_their_data(dashboard):
    state = dashboard.state()
    assert set(TITLES) <= set(state["plots"])  # other pages (scores, body map) have plots too
    for title in TITLES:
        plot = state["plots"][title]
        assert plot["drawn"], f"{title} has not drawn"
        assert rows_labelled(plot, SHADING) > 0, f"{title} shades no after-session days"
    pain, sleep, medication = (state["plots"][t] for t in TITLES)
    assert rows_labelled(pain, "Pain (overall)") > 100
    assert len(pressures_shown(pain)) > 0
    assert rows_labelled(sleep, "Hours asleep") > 100 and rows_labelled(sleep, "Sleep quality") > 100
    assert sum(s["rows"] for s in medication["sources"] if s["label"] not in (None, SHADING)) > 0
    assert dashboard.matching_sessions() == len(pressures_shown(pain))


def test_pressure_buttons_start_pressed(dashboard):
    buttons = dashboard.page.locator(".pressure-filter").get_by_role("button")
    expect(buttons).to_have_text(PRESSURE_BUTTONS)
    for label in PRESSURE_BUTTONS:
        expect(dashboard.pressure_button(label)).to_have_class(re.compile(r"\bbk-active\b"))


def test_deselecting_deep_updates_summary_and_plots(dashboard):
    before = dashboard.state()["plots"]
    deep_markers = pressures_shown(before[PAIN]).count("deep")
    assert deep_markers > 0, "the demo diary should show deep sessions"
    n_before = dashboard.matching_sessions()
    cards_before = dashboard.summary_cards.inner_text()
    deep = dashboard.pressure_button("Deep")

    markers_before, shading_before = dashboard.sessions_drawn()
    assert markers_before == n_before

    deep.click()
    expect(deep).not_to_have_class(re.compile(r"\bbk-active\b"))
    expect(dashboard.summary_head).to_contain_text(f"{n_before - deep_markers} matching sessions")
    dashboard.wait_for_sessions(n_before - deep_markers, shading_before, same=False)
    shown = pressures_shown(dashboard.plot(PAIN))
    assert "deep" not in shown
    assert len(shown) == dashboard.matching_sessions() == n_before - deep_markers
    assert "deep" not in dashboard.summary_head.inner_text().split("(")[1].split(";")[0]
    assert dashboard.summary_cards.inner_text() != cards_before, "summary figures did not change"

    deep.click()
    expect(deep).to_have_class(re.compile(r"\bbk-active\b"))
    expect(dashboard.summary_head).to_contain_text(f"{n_before} matching sessions")
    dashboard.wait_for_sessions(markers_before, shading_before)
    assert dashboard.summary_cards.inner_text() == cards_before


# For each plot's legend: each entry's label, whether its swatch canvas has any painted
# pixel, and whether its renderers have data (an empty renderer has nothing to show).
SWATCHES_JS = """(titles) => {
  const out = {};
  for (const view of Bokeh.index.all_views()) {
    if (view.model.type !== 'Legend' || !view.plot_view) continue;
    const title = view.plot_view.model.title && view.plot_view.model.title.text;
    if (!titles.includes(title)) continue;
    out[title] = view.entries.map(({glyph, item, label}) => {
      const canvas = glyph.canvas;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = false;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) { painted = true; break; }
      const rows = item.renderers.reduce((n, r) => n + (r.data_source.get_length() ?? 0), 0);
      return {label, painted, rows};
    });
  }
  return out;
}"""


def unpainted_swatches(dashboard) -> dict[str, list[str]]:
    legends = dashboard.page.evaluate(SWATCHES_JS, [PAIN, "Sleep"])
    assert set(legends) == {PAIN, "Sleep"}, legends
    return {title: [e["label"] for e in entries if e["rows"] > 0 and not e["painted"]]
            for title, entries in legends.items()}


def test_legend_swatches_survive_pressure_clicks(dashboard):
    """The colour and shape swatches of the Pain and Sleep legends stay drawn after filter
    clicks (they used to vanish after the first click and never come back)."""
    assert unpainted_swatches(dashboard) == {PAIN: [], "Sleep": []}
    markers, shading = dashboard.sessions_drawn()
    deep_markers = pressures_shown(dashboard.plot(PAIN)).count("deep")
    for label in ("Deep", "Moderate", "Moderate", "Deep"):
        dashboard.pressure_button(label).click()
        dashboard.wait_until_quiet()
    dashboard.wait_for_sessions(markers, shading)
    dashboard.page.wait_for_timeout(300)  # swatches are painted on the next animation frame
    assert unpainted_swatches(dashboard) == {PAIN: [], "Sleep": []}
    assert deep_markers > 0


def wait_for_new_x_range(dashboard, old: tuple[float, float]) -> dict:
    dashboard.page.wait_for_function(
        "([title, old]) => { const s = window.fibroState(); const x = s.plots[title].x_range;"
        " return s.idle && (x[0] !== old[0] || x[1] !== old[1]); }",
        arg=[PAIN, list(old)])
    return x_ranges(dashboard.state())


def test_zoom_and_pan_move_all_three_plots(dashboard):
    dashboard.show_plot(PAIN)
    start = x_ranges(dashboard.state())
    assert len(set(start.values())) == 1, f"plots start on different dates: {start}"

    dashboard.page.mouse.move(*dashboard.frame_point(PAIN, 0.5, 0.5))
    dashboard.page.mouse.wheel(0, -400)
    zoomed = wait_for_new_x_range(dashboard, start[PAIN])
    for title in TITLES:
        assert zoomed[title] != start[title], f"{title} did not zoom"
    assert len(set(zoomed.values())) == 1, f"plots zoomed differently: {zoomed}"
    first, last = zoomed[PAIN]
    assert last - first < start[PAIN][1] - start[PAIN][0], "the wheel did not zoom in"

    dashboard.drag(PAIN, 0.6, 0.3)
    panned = wait_for_new_x_range(dashboard, zoomed[PAIN])
    assert len(set(panned.values())) == 1, f"plots panned differently: {panned}"
    assert panned[PAIN][0] > first, "dragging to the left should show later days"
    assert panned[PAIN][1] - panned[PAIN][0] == pytest.approx(last - first, rel=1e-6)


def test_box_selecting_days_and_clearing_them(dashboard):
    page = dashboard.page
    box_select = page.locator(".bk-OnOffButton[title^='Box Select']")
    assert box_select.count() > 0, "no box-select tool in the plots' toolbar"
    dashboard.show_plot(PAIN)
    box_select.first.click()
    expect(box_select.first).to_have_class(re.compile(r"\bbk-active\b"))
    clear = page.get_by_role("button", name="Clear selected days")
    expect(clear).to_be_hidden()

    dashboard.drag(PAIN, 0.3, 0.6)
    expect(dashboard.summary_head).to_contain_text("(selected days)")
    expect(clear).to_be_visible()
    page.wait_for_function(
        "([titles, color]) => { const s = window.fibroState(); return s.idle && titles.every(t =>"
        " s.plots[t].sources.some(src => src.fill === color && src.rows > 0)); }",
        arg=[TITLES, SPAN_COLOR])
    outlined = dashboard.state()["plots"]
    assert all(span_rows(outlined[title]) == 1 for title in TITLES), "selection not outlined in all plots"

    clear.click()
    expect(clear).to_be_hidden()
    expect(dashboard.summary_head).not_to_contain_text("(selected days)")
    dashboard.wait_until_quiet()
    cleared = dashboard.state()["plots"]
    assert all(span_rows(cleared[title]) == 0 for title in TITLES)


def test_demo_banner_is_visible(dashboard):
    banner = dashboard.page.locator(".demo-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("demo data")


def test_full_page_screenshot(dashboard, artifacts):
    """The whole page for a person to look at (the template scrolls inside #main: grow the window)."""
    page = dashboard.page
    height = page.evaluate(
        "() => { const main = document.querySelector('#main');"
        " const hidden = main ? main.scrollHeight - main.clientHeight : 0;"
        " return document.documentElement.clientHeight + hidden; }")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 20, 4000)})
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    dashboard.wait_until_drawn()
    path = artifacts / "dashboard.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_interactions_leave_no_errors(dashboard, dashboard_server):
    """After a filter change and a zoom: nothing in the console, nothing wrong in the server log."""
    moderate = dashboard.pressure_button("Moderate")
    n = dashboard.matching_sessions()
    markers, shading = dashboard.sessions_drawn()
    moderate_markers = pressures_shown(dashboard.plot(PAIN)).count("moderate")
    moderate.click()
    expect(dashboard.summary_head).to_contain_text(f"{n - moderate_markers} matching sessions")
    dashboard.wait_for_sessions(markers - moderate_markers, shading, same=False)
    dashboard.show_plot(PAIN)
    dashboard.page.mouse.move(*dashboard.frame_point(PAIN, 0.5, 0.5))
    dashboard.page.mouse.wheel(0, 300)
    moderate.click()
    expect(dashboard.summary_head).to_contain_text(f"{n} matching sessions")
    dashboard.wait_for_sessions(markers, shading)
    dashboard.wait_until_quiet()
    assert dashboard.console_errors == []
    assert dashboard_server.problems() == [], "server log:\n" + dashboard_server.log()
