"""The services pages, the PDF, the CLI and the notebook share: effects, the overuse summary
and the body map's values, each called without Panel on a diary."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard import body_areas, domain
from dashboard import effects as service
from dashboard.analysis import effects as fx
from dashboard.analysis import scores
from dashboard.analysis.visit import Visit
from dashboard.cli import main
from dashboard.overuse import doses_of_months, overuse_summary
from dashboard.session import Diary, DiarySession
from dashboard.store import Store
from dashboard.ui import effects_page
from dashboard.ui.visit import visit_rest_html
from dashboard.visit import VisitReport

START, END = dt.date(2026, 4, 1), dt.date(2026, 5, 31)


@pytest.fixture(scope="module")
def diary(tmp_path_factory) -> Diary:
    """A 400-day demo diary as the session reads it."""
    from dashboard import demo

    store = Store(tmp_path_factory.mktemp("services") / "demo.sqlite")
    demo.write_demo(store, days=400, seed=11, end=dt.date(2026, 6, 30))
    session = DiarySession(store)
    found = session.diary(int(store.patients()["id"].iloc[0]))
    store.close()
    return found


# --- effects -------------------------------------------------------------------------

def test_the_scope_is_the_whole_diary_or_the_days_shown_with_sessions_of_every_pressure(diary):
    whole = service.scope_frames(diary, "all", START, END)
    assert all(a is b for a, b in zip(whole, (diary.daily, diary.sessions, diary.doses)))
    daily, sessions, doses = service.scope_frames(diary, "window", START, END)
    assert len(daily) == diary.daily["date"].dt.date.between(START, END).sum() > 50
    assert sessions["start"].dt.date.between(START, END).all()
    assert set(sessions["pressure"]) == set(diary.sessions["pressure"])  # never by pressure
    assert len(sessions) == diary.sessions["start"].dt.date.between(START, END).sum()
    assert doses["time"].dt.date.between(START, END).all()
    with pytest.raises(ValueError, match="scope is one of all, window"):
        service.scope_frames(diary, "week")


def test_page_effects_follow_the_pressures_and_areas(diary):
    result = service.page_effects(diary, ["deep", "light"], ["neck"], "window", START, END)
    assert set(result.effects["pressure"]) == {"deep", "light"}
    assert set(result.effects["area"]) == {"neck"}
    assert result.comparisons is not None  # deep and light both chosen
    chosen = diary.sessions[diary.sessions["start"].dt.date.between(START, END)
                            & diary.sessions["pressure"].isin(["deep", "light"])
                            & diary.sessions["areas"].str.contains("neck")]
    assert result.n_sessions == len(chosen) > 0
    assert service.page_effects(diary, ["moderate"]).comparisons is None
    nothing = service.page_effects(diary, [])
    assert nothing.effects.empty and nothing.sentences == [] and nothing.n_sessions == 0


def test_the_page_shows_what_the_service_computes(diary):
    result = service.page_effects(diary, ["light", "moderate"], [], "all")
    again = effects_page.compute_effects(diary.daily, diary.sessions, diary.doses,
                                         ("light", "moderate"), ())
    pd.testing.assert_frame_equal(result.effects, again.effects)
    assert result.sentences == again.sentences


def test_waiting_names_what_to_log_before_an_estimate():
    effects = pd.DataFrame({
        "pressure": ["deep", "deep", "deep", "light", "light"],
        "area": [fx.ALL_AREAS, fx.ALL_AREAS, "neck", fx.ALL_AREAS, "legs"],
        "n_sessions": [3, 2, 3, 9, 1],
        "estimate": [math.nan, math.nan, math.nan, -0.5, math.nan]})
    rows = service.waiting(effects)
    # deep has no estimate at all: one row over all areas, its areas left out; light's
    # legs wait while light over all areas has one.
    assert rows.to_dict("records") == [
        {"pressure": "deep", "area": fx.ALL_AREAS, "n": 3, "needed": fx.MIN_SESSIONS - 3},
        {"pressure": "light", "area": "legs", "n": 1, "needed": fx.MIN_SESSIONS - 1}]
    assert service.waiting(effects.iloc[:0]).empty


def test_pooled_estimates_are_the_all_areas_rows_with_an_estimate(diary):
    table = fx.effects_table(diary.daily, diary.sessions, diary.doses)
    pooled = service.pooled_estimates(table)
    assert (pooled["area"] == fx.ALL_AREAS).all() and pooled["estimate"].notna().all()
    assert len(pooled) == ((table["area"] == fx.ALL_AREAS) & table["estimate"].notna()).sum() > 0
    assert service.pooled_estimates(table.iloc[:0]).empty


def test_the_cli_and_the_notebook_read_the_same_effects(diary, tmp_path):
    answer = service.effects_json(diary, ["deep", "light"], ())
    assert answer == fx.effects_json(diary.daily, diary.sessions, diary.doses,
                                     pressures=["deep", "light"])
    assert {row["pressure"] for row in answer["effects"]} == {"deep", "light"}
    assert answer["comparisons"]


def test_one_minimum_of_sessions_and_every_text_says_it(monkeypatch):
    assert fx.MIN_SESSIONS is domain.MIN_SESSIONS
    assert not hasattr(effects_page, "MIN_SESSIONS")  # no second declaration
    help_text = CliRunner().invoke(main, ["effects", "--help"]).output
    assert f"[default: {domain.MIN_SESSIONS};" in help_text
    monkeypatch.setattr(fx, "MIN_SESSIONS", 7)
    empty = service.EffectsResult.empty(("deep", "light"))
    assert "Fewer than 7 sessions" in effects_page.tables_html(empty)
    waiting = pd.DataFrame({"pressure": ["deep"], "area": [fx.ALL_AREAS], "n_sessions": [2],
                            "estimate": [math.nan]})
    assert "an estimate needs 7 sessions" in effects_page.waiting_html(waiting)
    report = VisitReport(Visit(pd.Timestamp("2026-06-01"), False, pd.DataFrame()),
                         waiting.assign(outcome="pain_next_day"), [], overuse_summary(_doses()),
                         [])
    assert "at least 7 sessions of a pressure" in visit_rest_html(report)


# --- the overuse summary -----------------------------------------------------------------

def _doses(**days_by_class) -> pd.DataFrame:
    rows = [(pd.Timestamp(day) + pd.Timedelta(hours=9), drug_class)
            for drug_class, days in days_by_class.items() for day in days]
    return pd.DataFrame(rows, columns=["time", "drug_class"])


def _month(month: str, n: int) -> list[str]:
    return [f"{month}-{d:02d}" for d in range(1, n + 1)]


def test_the_latest_month_and_the_earlier_months_that_reached_a_threshold():
    doses = _doses(triptan=_month("2026-03", 10), nsaid=_month("2026-04", 3),
                   antidepressant=_month("2026-03", 20))
    summary = overuse_summary(doses)
    assert summary.latest_month == "2026-04" and summary.latest_month_name == "April 2026"
    assert [n.split(" used")[0] for n in summary.latest] == [
        domain.DRUG_CLASS_LABELS["nsaid"], scores.ALL_ACUTE_LABEL + " were"]
    assert len(summary.earlier) == 1 and "March 2026" in summary.earlier[0]  # triptans, 10 days
    assert "reached the ICHD-3" in summary.earlier[0]
    assert "antidepressant" in set(summary.table["drug_class"])
    assert "antidepressant" not in set(summary.acute["drug_class"])  # the PDF's rows


def test_a_last_month_of_preventives_only_says_no_acute_medicine_was_used():
    # Every month with a dose has its combined acute row, which ICHD-3 counts: the latest
    # month is the latest with any dose (as the Scores page and the visit have said).
    summary = overuse_summary(_doses(nsaid=["2026-04-02"], antidepressant=["2026-05-02"]))
    assert summary.latest_month == "2026-05"
    assert summary.latest == ["No acute pain or headache medicines were used in May 2026."]


def test_the_summary_counts_the_whole_months_a_period_touches():
    doses = _doses(nsaid=["2026-03-31", "2026-04-01", "2026-05-31", "2026-06-01"])
    kept = doses_of_months(doses, dt.date(2026, 4, 20), dt.date(2026, 5, 3))
    assert kept["time"].dt.month.tolist() == [4, 5]
    summary = overuse_summary(doses, dt.date(2026, 4, 20), dt.date(2026, 5, 3))
    assert sorted(summary.table["month"].unique()) == ["2026-04", "2026-05"]
    assert summary.latest_month == "2026-05"
    assert len(doses_of_months(doses)) == 4  # no period: every dose


def test_no_counted_medicine_no_latest_month():
    for doses in (pd.DataFrame(), _doses()):
        summary = overuse_summary(doses)
        assert summary.latest_month is None and summary.latest_month_name is None
        assert summary.latest == summary.earlier == []


def test_the_scores_page_the_pdf_and_the_cli_count_alike(diary, tmp_path):
    from dashboard.report.content import build_report

    report = build_report("P", diary.daily, diary.sessions, diary.doses, start=START, end=END,
                          today=END)
    pd.testing.assert_frame_equal(report.overuse, overuse_summary(diary.doses, START, END).acute)
    whole = overuse_summary(diary.doses).table
    assert whole["days"].sum() > 0


# --- the body map's values ------------------------------------------------------------

def test_area_values_in_the_days_and_pressures_chosen():
    daily = pd.DataFrame({"date": pd.to_datetime(["2026-04-01", "2026-04-02", "2026-05-01"]),
                          "pain_neck": [4.0, 6.0, 10.0], "pain_legs": [None, 2.0, None]})
    sessions = pd.DataFrame({"start": pd.to_datetime(["2026-04-01 10:00", "2026-04-02 10:00",
                                                      "2026-05-01 10:00"]),
                             "pressure": ["deep", "light", "deep"],
                             "areas": ["neck;shoulders", "neck", "legs"]})
    diary = Diary(daily, sessions, pd.DataFrame(columns=["time", "drug_class"]))
    april = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    pain = body_areas.area_values(diary, body_areas.PAIN_MEASURE, None, *april)
    assert pain["neck"] == 5.0 and pain["legs"] == 2.0 and math.isnan(pain["feet"])
    counts = body_areas.area_values(diary, body_areas.SESSIONS_MEASURE, ["deep"], *april)
    assert counts["neck"] == counts["shoulders"] == 1.0 and counts["legs"] == 0.0
    every = body_areas.area_values(diary, body_areas.SESSIONS_MEASURE)
    assert every["neck"] == 2.0 and every["legs"] == 1.0
    with pytest.raises(ValueError, match="measure is one of pain, sessions"):
        body_areas.area_values(diary, "sleep")


def test_area_values_of_no_patient_yet():
    empty = Diary.empty()
    assert set(body_areas.area_values(empty, body_areas.SESSIONS_MEASURE).values()) == {0.0}
    assert all(math.isnan(v) for v in body_areas.area_values(empty).values())


# --- the visit ----------------------------------------------------------------------

def test_the_visit_report_is_what_the_view_shows_and_every_call_is_checked(store):
    from dashboard.accounts import Accounts
    from dashboard.demo import write_demo
    from dashboard.session import Refused
    from dashboard.visit import visit_report

    password = "a long enough password"
    accounts = Accounts(store)
    write_demo(store, patient="ann", days=200, seed=3)
    accounts.add_user("sam", "therapist", password)
    accounts.add_user("kim", "therapist", password)
    grant = accounts.add_grant("ann", "sam", "read")
    ann = accounts.patient_id("ann")
    sam = DiarySession.hosted(store, accounts.sign_in("sam", password))
    report = visit_report(sam, ann, "Sam")
    diary = sam.diary(ann)
    assert report.flares == int(report.visit.sessions["flare"].sum())
    pd.testing.assert_frame_equal(report.pooled, service.pooled_estimates(report.effects))
    assert not report.pooled.empty
    whole = overuse_summary(diary.doses)
    assert report.overuse_month == whole.latest_month_name is not None
    assert report.overuse_notes == whole.latest
    assert [title for title, _on, _text in report.scores] == ["ACR 2016", "FIQR"]
    kim = DiarySession.hosted(store, accounts.sign_in("kim", password))
    with pytest.raises(Refused):
        visit_report(kim, ann, "kim")  # no grant
    accounts.revoke("grant", grant)
    with pytest.raises(Refused):
        visit_report(sam, ann, "sam")  # the kept report is not handed out after a revoke
