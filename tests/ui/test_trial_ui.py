"""The Trial page in Chromium: a running trial's lost period and next session on the Overview,
its schedule with what happened, the lost period's cost and a replacement block added, the
result in words with n, interval and the three probabilities, the per-block plot drawn; then
the planner's simulated power and proposal, and a new trial planned from the page, with the
planner's warning for a design too small."""

from __future__ import annotations

import datetime as dt

import time

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from dashboard.analysis import trial as tr
from dashboard.records import DailyCheckin, MassageSession
from dashboard.session import DiarySession
from dashboard.store import Store
from dashboard.trials import check_design, save_plan
from dashboard.ui import trial_page as tr_page
from tests.ui.pages import Dashboard

pytestmark = pytest.mark.ui

TIMEOUT_MS = 90_000


# The per-block plot as the browser drew it: its points and its size on the screen.
BLOCKS_JS = """(title) => {
  for (const view of Bokeh.index.all_views()) {
    if (!view.model.title || view.model.title.text !== title) continue;
    const points = view.model.renderers.find(r => r.glyph && r.glyph.type.endsWith('Scatter'));
    const box = view.el.getBoundingClientRect();
    if (!points || box.width === 0) return null;
    return {n: points.data_source.data.block.length, width: box.width, height: box.height};
  }
  return null;
}"""


def diary_with_a_running_trial(db) -> tr.TrialDesign:
    """A trial that started 70 days ago, followed so far with a 2-point effect of deep
    pressure; one light session was given as deep (a deviation), and no pain was logged on
    the day after either session of block 2's second period (a lost period)."""
    today = dt.date.today()
    store = Store(db)
    pid = store.ensure_patient("Me")
    session = DiarySession(store)
    design = tr.TrialDesign("light", "deep", area="neck", start=today - dt.timedelta(days=70),
                            seed=11)
    plan, check = check_design(session, pid, design)
    save_plan(session, pid, design, plan, check)
    daily, sessions = tr.simulated_diary(plan, 2.0, pressure_with_effect="deep", seed=3)
    period = plan[(plan["block"] == 2) & (plan["period"] == 2)]
    blank = [pd.Timestamp(d) + pd.Timedelta(days=1) for d in period["date"]]
    daily = daily[(daily["date"].dt.date < today) & ~daily["date"].isin(blank)]
    sessions = sessions[sessions["start"].dt.date < today].reset_index(drop=True)
    first_light = sessions.index[sessions["pressure"] == "light"][0]
    sessions.loc[first_light, "pressure"] = "deep"
    store.save(pid, [DailyCheckin(r.date.date(), pain=round(r.pain, 1), sleep_hours=7.0,
                                  sleep_quality=6) for r in daily.itertuples()]
               + [MassageSession(r.start.to_pydatetime(), 60, r.pressure, ("neck", "shoulders"))
                  for r in sessions.itertuples()])
    store.close()
    return design


def test_the_trial_page_shows_the_schedule_the_result_and_plans_a_new_trial(
        tmp_path, page: Page, artifacts, serve_app):
    db = tmp_path / "own.sqlite"
    diary_with_a_running_trial(db)
    server = serve_app(db)
    board = Dashboard(page, server.url).open()
    overview = page.locator(".trial-next-overview")
    expect(overview).to_contain_text("next session:")
    expect(overview).to_contain_text("pressure (block")
    expect(overview.locator(".trial-lost")).to_contain_text(
        "Period 2 of block 2")  # the lost period, at once
    expect(overview.locator(".trial-lost")).to_contain_text("has no usable outcome")

    page.locator(".bk-tab", has_text="Trial").click()
    schedule = page.locator(".trial-schedule")
    expect(schedule).to_contain_text("given as planned", timeout=TIMEOUT_MS)
    expect(schedule).to_contain_text("deviation (deep instead of light)")
    expect(schedule).to_contain_text("to come")
    result = page.locator(".trial-result")
    expect(result).to_contain_text("interim look")
    expect(result).to_contain_text("95 % interval")
    expect(result).to_contain_text("Per protocol (deviations left out)")
    expect(result.locator(".figures")).to_contain_text("sessions")
    expect(result.locator(".zones")).to_contain_text("deep better by at least 1 point (0-10)")
    expect(result.locator(".zones")).to_contain_text("95 % credible interval")
    lost = page.locator(".trial-lost-box")
    expect(lost).to_contain_text("Period 2 of block 2")
    expect(lost).to_contain_text("pain the next day was not logged after either session")
    expect(lost).to_contain_text("at most 5 of 6 blocks can")
    drawn = page.wait_for_function(BLOCKS_JS, arg=tr_page.BLOCKS_TITLE, timeout=TIMEOUT_MS)
    blocks = drawn.json_value()
    assert blocks["n"] >= 3 and blocks["width"] > 200 and blocks["height"] > 100
    expect(page.locator(".trial-next-box .trial-next")).to_contain_text("next session:")
    page.screenshot(path=str(artifacts / "trial-page.png"), full_page=True)

    page.get_by_role("button", name="Add a randomized replacement block").click()
    expect(page.locator(".trial-message")).to_contain_text("Replacement block 7 added",
                                                           timeout=TIMEOUT_MS)
    expect(lost).to_contain_text("1 replacement block was added")
    expect(page.get_by_role("button", name="Add a randomized replacement block")).to_be_hidden()
    expect(page.locator(".trial-schedule tbody tr")).to_have_count(6 * 2 * 2 + 4)

    planner = page.locator(".trial-planner")
    planner.get_by_role("textbox", name="Difference worth finding (for the power)").fill("2.5")
    planner.get_by_role("textbox", name="Difference worth finding (for the power)").press("Enter")
    began = time.perf_counter()
    planner.get_by_role("button", name="Check this design").click()
    check = page.locator(".trial-check")
    expect(check).to_contain_text("simulated trials of this schedule", timeout=TIMEOUT_MS)
    seconds = time.perf_counter() - began
    expect(check).to_contain_text("The smallest design reaching 80 % power for 2.5 points")
    (artifacts / "trial-plan-seconds.txt").write_text(f"{seconds:.2f}\n")
    use = planner.locator(".trial-use-proposal button")
    expect(use).to_be_visible()
    use.click()
    expect(check).to_contain_text("This is the smallest design that reaches 80 % power",
                                  timeout=TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "trial-planner.png"), full_page=True)
    planner.get_by_role("textbox", name="Blocks (pairs of periods)").fill("4")
    planner.get_by_role("textbox", name="Blocks (pairs of periods)").press("Enter")
    planner.get_by_role("textbox", name="Sessions per period").fill("2")
    planner.get_by_role("textbox", name="Sessions per period").press("Enter")
    planner.get_by_role("button", name="Check this design").click()
    check = page.locator(".trial-check")
    expect(check).to_contain_text("no result can reach p < 0.05", timeout=TIMEOUT_MS)
    expect(planner.get_by_role("button", name="Save this plan")).to_be_disabled()
    page.locator(".trial-anyway input").check()
    planner.get_by_role("button", name="Save this plan").click()
    expect(page.locator(".trial-message")).to_contain_text("Trial 2 is planned",
                                                           timeout=TIMEOUT_MS)
    expect(page.locator(".trial-next-box")).to_contain_text("Trial 2")
    expect(page.locator(".trial-schedule tbody tr")).to_have_count(4 * 2 * 2)
    board.close()
    assert board.console_errors == [] and board.offsite_requests == []
