"""The per-session DataStore and Filters, without a browser."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.records import DailyCheckin
from dashboard.session import DiarySession
from dashboard.store import Store
from dashboard.ui.datastore import DataStore
from dashboard.ui.filters import DEFAULT_WINDOW_DAYS, Filters


def test_filters_take_options_and_bounds_from_the_data():
    patients = pd.DataFrame({"id": [4, 9], "name": ["Ann", "Ben"]})
    f = Filters.from_data(patients, "2025-01-01", "2026-06-30")
    assert f.param.patient.names == {"Ann": 4, "Ben": 9} and f.patient == 4
    assert f.param.date_range.bounds == (dt.date(2025, 1, 1), dt.date(2026, 6, 30))
    assert f.date_range == (dt.date(2026, 6, 30) - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1),
                            dt.date(2026, 6, 30))
    assert f.pressures == ["light", "moderate", "deep", "unknown"] and f.areas == []


def test_data_store_follows_the_filters(demo_path):
    data = DataStore(DiarySession(Store(demo_path)))
    everything = data.matching_sessions()
    assert len(everything) > 10
    data.filters.pressures = ["deep"]
    deep = data.matching_sessions()
    assert 0 < len(deep) < len(everything) and set(deep["pressure"]) == {"deep"}
    data.filters.areas = ["neck"]
    assert all("neck" in a.split(";") for a in data.matching_sessions()["areas"])
    assert data.summary().n_sessions == len(data.matching_sessions())


def test_a_selected_span_narrows_the_summary(demo_path):
    data = DataStore(DiarySession(Store(demo_path)))
    whole = data.summary()
    end = pd.Timestamp(data.filters.end)
    data.span = (end - pd.Timedelta(days=30), end)
    part = data.summary()
    days = lambda s: s.comparisons[0].n_after + s.comparisons[0].n_other  # noqa: E731
    assert days(part) < days(whole) and days(part) <= 31
    assert part.start == end - pd.Timedelta(days=30)


def test_reload_sees_a_new_save_and_switching_patient_reloads(tmp_path):
    store = Store(tmp_path / "two.sqlite")
    store.save_by_name({"Ann": [DailyCheckin(dt.date(2026, 1, 1), pain=2)],
                        "Ben": [DailyCheckin(dt.date(2026, 1, 1), pain=8)]})
    data = DataStore(DiarySession(store))
    assert data.diary.daily["pain"].tolist() == [2]
    store.save(data.filters.patient, [DailyCheckin(dt.date(2026, 1, 2), pain=3)])
    data.reload()
    assert data.diary.daily["pain"].tolist() == [2, 3]
    data.filters.patient = data.filters.param.patient.names["Ben"]
    assert data.diary.daily["pain"].tolist() == [8]


def test_an_import_of_older_days_brings_them_into_view(tmp_path):
    """Days saved outside the window shown (an older diary imported) are shown afterwards,
    and the slider's two handles stay apart."""
    store = Store(tmp_path / "own.sqlite")
    store.save_by_name({"Me": [DailyCheckin(dt.date(2026, 6, 1) + dt.timedelta(days=i), pain=3)
                               for i in range(30)]})
    data = DataStore(DiarySession(store))
    assert data.filters.date_range == (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    old = [DailyCheckin(dt.date(2016, 4, 12) + dt.timedelta(days=i), pain=6) for i in range(31)]
    store.save(int(data.filters.patient), old)
    data.reload(show=("2016-04-12", "2016-05-12"))
    assert data.filters.date_range == (dt.date(2016, 4, 12), dt.date(2016, 5, 12))
    assert data.filters.param.date_range.bounds == (dt.date(2016, 4, 12), dt.date(2026, 6, 30))
    assert len(data.daily()) == 31 and set(data.daily()["pain"]) == {6}

    data.reload(show=("2016-04-12", "2016-04-12"))  # a one-day import
    first, last = data.filters.date_range
    assert first < last and first <= dt.date(2016, 4, 12) <= last


def test_lines_break_at_gaps_of_more_than_a_few_days():
    from dashboard.ui.plots import GAP_DAYS, break_at_gaps

    assert GAP_DAYS == 3
    days = pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03", "2024-05-01",
                                     "2024-05-04", "2024-05-09"]))
    dates, values = break_at_gaps(days, pd.Series([1, 2, 3, 4, 5, 6]))
    assert list(pd.to_datetime(dates).strftime("%Y-%m-%d")) == [
        "2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04",  # gap of four years
        "2024-05-01", "2024-05-04",                              # three days: no break
        "2024-05-05", "2024-05-09"]                               # five days: a break
    assert np.isnan(values[3]) and np.isnan(values[6])
    assert np.nansum(values) == 21 and np.isnan(values).sum() == 2


def test_the_medication_plots_top_follows_the_diary_not_the_days_shown(tmp_path):
    """The medication plot's fixed top is the busiest day of the whole diary plus one: moving
    the days shown keeps it, a save that makes a busier day raises it."""
    from dashboard import domain
    from dashboard.records import MedicationDose
    from dashboard.ui.plots import dose_top
    from dashboard.ui.views import LinkedPlots

    store = Store(tmp_path / "d.sqlite")
    day = dt.date(2026, 5, 1)
    store.save_by_name({"Ann": [
        *[DailyCheckin(day + dt.timedelta(days=i), pain=4) for i in range(30)],
        MedicationDose(time=dt.datetime(2026, 5, 3, 8), name="Ibuprofen",
                       drug_class=domain.DRUG_CLASSES[0])]}, today=dt.date(2026, 6, 1))
    data = DataStore(DiarySession(store))
    plots_ = LinkedPlots(data=data)
    top = plots_.figures.medication.y_range
    assert top.end == dose_top(data.diary.doses) == 2.0
    start, end = data.filters.date_range
    data.filters.date_range = (start + dt.timedelta(days=10), end)
    assert top.end == 2.0
    data.save(MedicationDose(time=dt.datetime(2026, 5, 20, 9), name="Ibuprofen",
                             drug_class=domain.DRUG_CLASSES[0]))
    data.save(MedicationDose(time=dt.datetime(2026, 5, 20, 21), name="Ibuprofen",
                             drug_class=domain.DRUG_CLASSES[0]))
    assert top.end == dose_top(data.diary.doses) == 3.0
    store.close()


def test_a_new_diary_s_days_shown_start_on_its_first_day(tmp_path):
    """One day logged: that day alone is shown (not the day before it too); a second day
    widens the range to both, still from the first."""
    day = dt.date(2026, 3, 6)
    store = Store(tmp_path / "own.sqlite")
    store.save_by_name({"Me": [DailyCheckin(day, pain=3)]})
    data = DataStore(DiarySession(store))
    assert data.filters.param.date_range.bounds == (day, day)
    assert data.filters.date_range == (day, day)
    assert data.daily()["date"].tolist() == [pd.Timestamp(day)]
    store.save(int(data.filters.patient), [DailyCheckin(day + dt.timedelta(days=1), pain=4)])
    data.reload()
    assert data.filters.param.date_range.bounds == (day, day + dt.timedelta(days=1))
    assert data.filters.date_range == (day, day + dt.timedelta(days=1))
    store.close()


def test_a_datastore_takes_only_a_session(store):
    """Who may see and change what is the session's to decide: a bare Store is refused."""
    with pytest.raises(TypeError, match="DiarySession"):
        DataStore(store)


def test_a_patient_switch_is_one_change_and_one_drawing(tmp_path, monkeypatch):
    """Switching patient sets the diary and its days as one change: the views get one
    filtered value (the new diary in its own days) and the linked plots draw once; they
    drew twice before, first the old diary in the new days."""
    from dashboard.ui.plots import LinkedFigures
    from dashboard.ui.views import LinkedPlots

    store = Store(tmp_path / "two.sqlite")
    store.save_by_name({
        "Ann": [DailyCheckin(dt.date(2025, 1, 1) + dt.timedelta(days=i), pain=2) for i in range(20)],
        "Ben": [DailyCheckin(dt.date(2026, 3, 1) + dt.timedelta(days=i), pain=8) for i in range(20)]},
        today=dt.date(2026, 6, 1))
    data = DataStore(DiarySession(store))
    LinkedPlots(data=data)
    published, drawn = [], []
    data.param.watch(lambda e: published.append(e.new), "filtered")
    monkeypatch.setattr(LinkedFigures, "update_daily",
                        lambda self, daily, areas=None: drawn.append(daily["pain"].tolist()))

    data.filters.patient = data.filters.param.patient.names["Ben"]

    assert len(published) == 1 and "diary" in published[0].changed and "days" in published[0].changed
    shown = published[0]
    assert shown.diary is data.diary and (shown.start, shown.end) == data.filters.date_range
    assert shown.daily["pain"].tolist() == [8] * 20
    assert drawn == [[8] * 20]  # once, and never Ann's diary in Ben's days


def test_one_filtered_value_per_click_shared_by_the_views(demo_path):
    """A filter click publishes one value whose frames are worked out once, whoever asks."""
    data = DataStore(DiarySession(Store(demo_path)))
    published = []
    data.param.watch(lambda e: published.append(e.new), "filtered")
    data.filters.pressures = ["deep"]
    assert len(published) == 1 and published[0].changed == {"pressures"}
    assert data.matching_sessions() is data.filtered.sessions  # the same frame, not again
    data.filters.pressures = ["deep"]  # no change: nothing published
    data.reload()  # the same diary and days: nothing to publish either
    assert len(published) == 1


def test_a_logged_session_redraws_the_sessions_not_the_days(tmp_path):
    """Saving a massage keeps the diary's check-ins and doses (the same frames), so the
    daily and dose plots are not worked out again, only the session markers; a check-in
    saved after it redraws the days."""
    from dashboard.records import MassageSession
    from dashboard.ui.views import LinkedPlots

    store = Store(tmp_path / "d.sqlite")
    day = dt.date.today() - dt.timedelta(days=20)
    store.save_by_name({"Ann": [DailyCheckin(day + dt.timedelta(days=i), pain=4)
                                for i in range(15)]})
    data = DataStore(DiarySession(store))
    figures = LinkedPlots(data=data).figures
    redrawn = []
    for name in ("update_daily", "update_doses"):
        drawn = getattr(figures, name)
        setattr(figures, name, lambda *a, _name=name, _drawn=drawn: redrawn.append(_name)
                or _drawn(*a))
    markers = figures.sessions.data
    data.save(MassageSession(start=dt.datetime.combine(day + dt.timedelta(days=3), dt.time(10)),
                             duration_min=45, pressure="deep", areas=("neck",)))
    assert redrawn == []
    assert len(figures.sessions.data["date"]) == len(markers["date"]) + 1
    data.save(DailyCheckin(day + dt.timedelta(days=15), pain=8))
    assert "update_daily" in redrawn and 8 in list(figures.pain_line.data["value"])
    store.close()
