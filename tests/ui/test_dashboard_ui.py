"""The served dashboard in headless Chromium, used as a person would: click, scroll, drag.

Plot state is read from the live Bokeh document (``Bokeh.documents[0]``): each
plot's x range, whether its view has drawn, and the rows of its data sources.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.ui.plots import SPAN_COLOR
from tests.ui.pages import (BANDS, PAIN, PRESSURE_BUTTONS, SHADING, SWATCHES_JS, TITLES, Dashboard,
                            pressures_shown, rows_labelled, rows_named, screenshot_showing,
                            span_rows, x_ranges)

pytestmark = pytest.mark.ui


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
        assert rows_named(plot, BANDS) > 0, f"{title} shades no after-session days"
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
    dashboard.wait_until_drawn()
    screenshot_showing(page, artifacts / "dashboard.png", TITLES, PRESSURE_BUTTONS)


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
