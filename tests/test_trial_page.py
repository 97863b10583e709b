"""The Trial page without a browser: what each person may do there, the therapist's next
session line, and that text from the diary reaches the page escaped."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.accounts import Accounts
from dashboard.analysis import trial as tr
from dashboard.records import MassageSession
from dashboard.session import DiarySession
from dashboard.trials import check_design, open_trial, save_plan
from dashboard.ui.datastore import DataStore
from dashboard.ui.visit import VisitView
from dashboard.ui.trial_page import TrialNextSession, TrialPage, result_html, schedule_html

PASSWORD = "a long enough password"


def clinic(store):
    accounts = Accounts(store)
    for name, role in (("ann", "patient"), ("sam", "therapist"), ("reed", "therapist")):
        accounts.add_user(name, role, PASSWORD)
    accounts.add_grant("ann", "sam", "log")
    accounts.add_grant("ann", "reed", "read")
    ann = DiarySession.hosted(store, accounts.sign_in("ann", PASSWORD))
    pid = ann.principal.patient_id
    start = dt.date.today() - dt.timedelta(days=4)
    design = tr.TrialDesign("light", "deep", start=start, seed=9)
    plan, check = check_design(ann, pid, design)
    save_plan(ann, pid, design, plan, check)
    first = plan.iloc[0]
    ann.save(pid, [MassageSession(dt.datetime.combine(first["date"], dt.time(17)), 60,
                                  first["pressure"], ("neck",), notes="<b>ouch</b>")])
    return accounts, pid, plan


def page_for(store, accounts, name) -> TrialPage:
    return TrialPage(data=DataStore(DiarySession.hosted(store, accounts.sign_in(name, PASSWORD))))


def test_read_scope_follows_the_trial_and_log_scope_may_plan(store):
    accounts, _pid, plan = clinic(store)
    reed, sam, ann = (page_for(store, accounts, n) for n in ("reed", "sam", "ann"))
    for page in (reed, sam, ann):
        assert "next session:" in page.next_line.object
        assert "given as planned" in page.schedule.object
    assert not reed.planner.visible and not reed.stop_button.visible and reed.read_only.visible
    assert not sam.read_only.visible
    assert sam.planner.visible and sam.stop_button.visible and ann.planner.visible
    sam._check()
    sam._save()
    assert "Trial 2 is planned" in sam.message.object
    assert sam.found.trial_id == 2 and sam.found.stored["created_by"] == "sam"


def test_the_therapists_first_screen_and_the_overview_name_the_next_session(store):
    accounts, pid, plan = clinic(store)
    data = DataStore(DiarySession.hosted(store, accounts.sign_in("reed", PASSWORD)))
    second = plan.iloc[1]
    expected = f"next session: {second['pressure']} pressure (block 1, period 1)"
    assert expected in VisitView(data=data, therapist="reed").head.object
    line = TrialNextSession(data=data).line
    assert line.visible and expected in line.object


def test_diary_text_is_escaped_on_the_page(store):
    _accounts, pid, _plan = clinic(store)
    found = open_trial(DiarySession(store), pid)
    slots = found.progress.slots.copy()
    slots.loc[0, "deviation"] = "<script>alert(1)</script>"
    assert "<script>" not in schedule_html(slots) and "&lt;script&gt;" in schedule_html(slots)
    result = found.result()
    result["sentence"] = "<img src=x onerror=alert(1)>"
    assert "<img" not in result_html(result)


@pytest.mark.parametrize("blocks, warned", [(4, True), (6, False)])
def test_the_planner_asks_before_saving_a_design_that_cannot_reach_significance(store, blocks,
                                                                                 warned):
    accounts, _pid, _plan = clinic(store)
    page = page_for(store, accounts, "ann")
    page.fields["blocks"].value = blocks
    page._check()
    assert ("no result can reach p &lt; 0.05" in page.check_text.object) == warned
    assert page.anyway.visible == warned and page.save_button.disabled == warned
    if warned:
        page.anyway.value = True
        assert not page.save_button.disabled


def lost_period_diary(store):
    """ann's 6 x 2 trial, begun 80 days ago and followed as planned, with no pain logged
    after either session of block 2's second period."""
    from dashboard.records import DailyCheckin

    accounts = Accounts(store)
    for name, role in (("ann", "patient"), ("reed", "therapist")):
        accounts.add_user(name, role, PASSWORD)
    accounts.add_grant("ann", "reed", "read")
    ann = DiarySession.hosted(store, accounts.sign_in("ann", PASSWORD))
    pid = ann.principal.patient_id
    today = dt.date.today()
    design = tr.TrialDesign("light", "deep", start=today - dt.timedelta(days=80), seed=5)
    plan, check = check_design(ann, pid, design)
    save_plan(ann, pid, design, plan, check)
    daily, sessions = tr.simulated_diary(plan, 2.0, pressure_with_effect="deep", seed=2)
    period = plan[(plan["block"] == 2) & (plan["period"] == 2)]
    blank = {pd.Timestamp(d) + pd.Timedelta(days=1) for d in period["date"]}
    daily = daily[(daily["date"].dt.date < today) & ~daily["date"].isin(blank)]
    sessions = sessions[sessions["start"].dt.date < today]
    ann.save(pid, [DailyCheckin(r.date.date(), pain=round(r.pain)) for r in daily.itertuples()]
             + [MassageSession(r.start.to_pydatetime(), 60, r.pressure, ("neck",))
                for r in sessions.itertuples()])
    return accounts, pid


def test_a_lost_period_is_news_on_the_page_the_overview_and_the_therapists_view(store):
    accounts, _pid = lost_period_diary(store)
    ann = page_for(store, accounts, "ann")
    assert "Period 2 of block 2" in ann.lost.object and "no usable outcome" in ann.lost.object
    assert ann.replace_button.visible
    reed = page_for(store, accounts, "reed")
    assert "Period 2 of block 2" in reed.lost.object and not reed.replace_button.visible
    data = DataStore(DiarySession.hosted(store, accounts.sign_in("reed", PASSWORD)))
    assert "Period 2 of block 2" in TrialNextSession(data=data).line.object
    assert "Period 2 of block 2" in VisitView(data=data, therapist="reed").head.object
    ann._add_block()
    assert "Replacement block 7 added" in ann.message.object
    assert "1 replacement block was added" in ann.lost.object and not ann.replace_button.visible
    assert ann.found.progress.slots["block"].max() == 7


def test_the_planner_shows_its_simulation_and_proposes_a_smaller_or_longer_design(store):
    accounts, _pid, _plan = clinic(store)
    page = page_for(store, accounts, "ann")
    page.fields["difference"].value = 2.5
    page._check()
    said = page.check_text.object
    assert "simulated trials of this schedule" in said and "too new to measure" in said
    proposal = page._checked[2].proposal
    assert proposal.reached and page.use_proposal.visible
    assert f"The smallest design reaching 80 % power for 2.5 points (0-10): {proposal.blocks}" in said
    page._use_proposal()
    assert page.fields["blocks"].value == proposal.blocks
    assert "This is the smallest design that reaches 80 %" in page.check_text.object
    assert not page.use_proposal.visible and not page.save_button.disabled
