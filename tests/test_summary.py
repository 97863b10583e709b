"""Filter logic and the summary figures, on hand-made diaries with known answers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.analysis import summary as an
from dashboard.records import DailyCheckin, MassageSession, MedicationDose


def _sessions(store, pid):
    store.save(pid, [
        MassageSession(dt.datetime(2026, 1, 5, 17, 30), 60, "deep", ("neck", "shoulders")),
        MassageSession(dt.datetime(2026, 1, 12, 10, 0), 45, "light", ("lower_back",)),
        MassageSession(dt.datetime(2026, 1, 19, 10, 0), 30, "moderate", ("neck",)),
        MassageSession(dt.datetime(2026, 2, 2, 10, 0), 30, "unknown", ("legs",)),
    ])
    return store.sessions(pid)


def test_filter_by_pressure_area_and_dates(store):
    sessions = _sessions(store, store.ensure_patient("R"))
    starts = lambda f: [s.strftime("%m-%d") for s in f["start"]]  # noqa: E731
    assert starts(an.filter_sessions(sessions, ["deep", "moderate"])) == ["01-05", "01-19"]
    assert starts(an.filter_sessions(sessions, None, ["neck"])) == ["01-05", "01-19"]
    assert starts(an.filter_sessions(sessions, ["deep"], ["neck"])) == ["01-05"]
    assert starts(an.filter_sessions(sessions, None, ["hips"])) == []
    assert starts(an.filter_sessions(sessions, None, None, "2026-01-12", "2026-01-19")) == ["01-12", "01-19"]


def test_no_pressure_selected_matches_nothing_but_no_area_selected_matches_all(store):
    sessions = _sessions(store, store.ensure_patient("R"))
    assert an.filter_sessions(sessions, []).empty
    assert len(an.filter_sessions(sessions, None, [])) == 4


def test_after_session_days_are_the_two_days_after_the_session_day(store):
    sessions = _sessions(store, store.ensure_patient("R"))
    days = an.after_session_days(sessions.iloc[:1])
    assert [d.strftime("%Y-%m-%d") for d in days] == ["2026-01-06", "2026-01-07"]
    spans = an.after_session_spans(sessions.iloc[:1])
    assert spans.iloc[0].tolist() == [pd.Timestamp("2026-01-06"), pd.Timestamp("2026-01-08")]


def test_daily_pain_uses_the_selected_areas_when_logged(store):
    pid = store.ensure_patient("R")
    store.save(pid, [DailyCheckin(dt.date(2026, 1, 1), pain=5, area_pain={"neck": 8, "shoulders": 6}),
                     DailyCheckin(dt.date(2026, 1, 2), pain=4, area_pain={"neck": 2})])
    daily = store.daily(pid)
    pain, label = an.daily_pain(daily, ["neck", "shoulders"])
    assert pain.tolist() == [7, 2] and label == "Pain in neck, shoulders"
    pain, label = an.daily_pain(daily, ["hips"])  # nothing logged there: overall pain
    assert pain.tolist() == [5, 4] and label == "Pain (overall)"
    assert an.daily_pain(daily)[0].tolist() == [5, 4]


def _diary(store):
    """24 days in January 2026: pain 8 on the two days after the deep sessions of 2, 9 and
    16 Jan, else 4.  Painkillers on those six after-days and on one other day; sleep 5 h
    after, 7 h on other nights.  One light session on 21 Jan.
    """
    pid = store.ensure_patient("R")
    after = {dt.date(2026, 1, d) for d in (3, 4, 10, 11, 17, 18)}
    records = []
    for d in range(1, 25):
        day = dt.date(2026, 1, d)
        records.append(DailyCheckin(day, pain=8 if day in after else 4,
                                    sleep_hours=5 if day in after else 7))
        if day in after or d == 15:
            records.append(MedicationDose(dt.datetime.combine(day, dt.time(9)), "Ibuprofen", "nsaid", 400))
        records.append(MedicationDose(dt.datetime.combine(day, dt.time(22)), "Amitriptyline",
                                      "antidepressant", 10))
    records += [MassageSession(dt.datetime(2026, 1, 2, 17), 60, "deep", ("neck",)),
                MassageSession(dt.datetime(2026, 1, 9, 17), 60, "deep", ("neck",)),
                MassageSession(dt.datetime(2026, 1, 16, 17), 60, "deep", ("neck",)),
                MassageSession(dt.datetime(2026, 1, 21, 17), 60, "light", ("legs",))]
    store.save(pid, records)
    return store.daily(pid), store.sessions(pid), store.doses(pid)


def test_window_summary_compares_after_days_with_other_days(store):
    daily, sessions, doses = _diary(store)
    deep = an.filter_sessions(sessions, ["deep"])
    result = an.window_summary(daily, doses, deep)
    pain, sleep, pills = result.comparisons
    assert result.n_sessions == 3
    assert (pain.after, pain.other, pain.n_after, pain.n_other) == (8, 4, 6, 18)
    assert pain.difference == pytest.approx(4)
    assert pain.ci_low == pytest.approx(4) and pain.ci_high == pytest.approx(4)  # no spread
    assert (sleep.after, sleep.other) == (5, 7)
    # Painkiller days: 6 of 6 after-days, 1 of 18 other days (amitriptyline is not a painkiller).
    assert (pills.after, pills.n_after, pills.n_other) == (100, 6, 18)
    assert pills.other == pytest.approx(100 / 18)
    assert pills.ci_low <= pills.difference <= pills.ci_high


def test_window_summary_says_not_enough_data_below_five_days(store):
    daily, sessions, doses = _diary(store)
    light = an.filter_sessions(sessions, ["light"])  # one session: two after-days
    pain = an.window_summary(daily, doses, light).comparisons[0]
    assert pain.n_after == 2 and not pain.enough
    assert pain.difference is None and pain.ci_low is None


def test_window_limits_the_days_but_earlier_sessions_still_mark_after_days(store):
    daily, sessions, doses = _diary(store)
    deep = an.filter_sessions(sessions, ["deep"])
    result = an.window_summary(daily, doses, deep, start="2026-01-10", end="2026-01-20")
    pain = result.comparisons[0]
    assert result.n_sessions == 1  # the session of 9 Jan is before the window...
    assert (pain.n_after, pain.n_other) == (4, 7)  # ...but 10 and 11 Jan are its after-days


def test_doses_per_day_counts_by_class(store):
    _daily, _sessions, doses = _diary(store)
    table = an.doses_per_day(doses)
    assert list(table.columns) == ["nsaid", "antidepressant"]
    assert table.loc["2026-01-03"].tolist() == [1, 1]
    assert table.loc["2026-01-05"].tolist() == [0, 1]
