"""The one filter (``dashboard.filtering``): the dashboard's filtered value, the report's
period and period before, and the notebook's brushed span all come from it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.explore import event_frame
from dashboard.filtering import filter_diary
from dashboard.report.content import build_report
from dashboard.session import DiarySession
from dashboard.store import Store
from dashboard.ui.datastore import DataStore


@pytest.fixture(scope="module")
def diary(demo_path):
    return DiarySession(Store(demo_path)).diary(1)


def test_filter_keeps_days_pressures_and_areas(diary):
    first, last = diary.day_span()
    start, end = first + pd.Timedelta(days=60), first + pd.Timedelta(days=180)
    shown = filter_diary(diary, start, end, ["light", "deep"], ["neck"])
    days = shown.sessions["start"].dt.normalize()
    assert len(shown.sessions) > 0 and days.min() >= start and days.max() <= end
    assert set(shown.sessions["pressure"]) <= {"light", "deep"}
    assert all("neck" in a.split(";") for a in shown.sessions["areas"])
    assert shown.daily["date"].between(start, end).all() and 100 < len(shown.daily) <= 121
    assert filter_diary(diary, start, end, [], []).sessions.empty  # no pressure: none
    assert len(filter_diary(diary).sessions) == len(diary.sessions)  # no filter: all


def test_within_is_the_same_filter_over_other_days(diary):
    first, _last = diary.day_span()
    shown = filter_diary(diary, first + pd.Timedelta(days=200), first + pd.Timedelta(days=260),
                         ["moderate"], ["shoulders"], span=(first + pd.Timedelta(days=210),
                                                            first + pd.Timedelta(days=220)))
    before = shown.within(first + pd.Timedelta(days=139), first + pd.Timedelta(days=199))
    fresh = filter_diary(diary, first + pd.Timedelta(days=139), first + pd.Timedelta(days=199),
                         ["moderate"], ["shoulders"])
    assert before.sessions.equals(fresh.sessions) and len(before.sessions) > 0
    assert before.span is None and shown.in_span().start == shown.span[0]
    assert len(shown.in_span().sessions) < len(shown.sessions)


def test_the_report_compares_with_the_period_before_under_the_same_filters(diary):
    first, _last = diary.day_span()
    start, end = (first + pd.Timedelta(days=200)).date(), (first + pd.Timedelta(days=259)).date()
    report = build_report("Demo", diary.daily, diary.sessions, diary.doses, start=start, end=end,
                          pressures=["moderate"], areas=["shoulders"],
                          today=dt.date(2026, 12, 1))
    before = filter_diary(diary, *report.previous, ["moderate"], ["shoulders"])
    sessions = next(f for f in report.figures if f.label == "Sessions")
    assert sessions.now == len(report.sessions) > 0 and sessions.before == len(before.sessions) > 0
    assert report.previous == (start - dt.timedelta(days=60), start - dt.timedelta(days=1))


def test_the_notebooks_event_means_take_the_brushed_span(demo_path):
    data = DataStore(DiarySession(Store(demo_path)))
    data.filters.pressures = ["deep", "light"]
    whole = event_frame(data)
    first, _last = data.diary.day_span()
    data.span = (first + pd.Timedelta(days=100), first + pd.Timedelta(days=200))
    spanned = event_frame(data)
    at_zero = lambda t: int(t.loc[t["offset"] == 0, "n"].sum())  # noqa: E731
    assert 0 < at_zero(spanned) < at_zero(whole)
    assert at_zero(spanned) <= len(data.filtered.in_span().sessions)
