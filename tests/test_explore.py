"""dashboard/explore.py without a browser: its HoloViews views hold the store's data, follow
the Filters, a selection gives the days and the summary the analysis layer computes for
them, a saved page loads nothing from the network; and the served app loads no HoloViews."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import holoviews as hv
import numpy as np
import pandas as pd
import pytest

from dashboard import domain, explore
from dashboard.analysis import effects as fx
from dashboard.analysis import summary as an
from dashboard.store import Store
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data(demo_path):
    store = Store(demo_path)
    yield DataStore(DiarySession(store))
    store.close()


def frame(dmap: hv.DynamicMap) -> hv.Element:
    return dmap[()]


def present(element: hv.Element, column: str) -> pd.DataFrame:
    """The rows an element draws (gaps are NaN rows that break the line)."""
    return element.dframe().dropna(subset=[column]).reset_index(drop=True)


def test_the_date_views_hold_the_stores_days(data):
    daily = data.daily()
    assert len(daily) > 100
    pain = present(frame(explore.pain(data)), "pain")
    assert list(pain["date"]) == list(daily["date"])
    assert np.allclose(pain["pain"], daily["pain"])
    sleep = present(frame(explore.sleep(data)), "sleep_hours")
    hours = daily.dropna(subset=["sleep_hours"])
    assert list(sleep["date"]) == list(hours["date"]) and np.allclose(sleep["sleep_hours"],
                                                                       hours["sleep_hours"])
    doses = frame(explore.painkillers(data)).dframe().set_index("date")["painkiller_doses"]
    acute = data.doses()[data.doses()["drug_class"].isin(domain.ACUTE_CLASSES)]
    assert doses.sum() == len(acute) > 0
    first = acute["time"].dt.normalize().min()
    assert doses[first] == (acute["time"].dt.normalize() == first).sum()


def test_sessions_are_points_by_pressure_in_the_apps_colours(data):
    overlay = frame(explore.sessions(data))
    matching = data.matching_sessions()
    by_label = {e.label: e for e in overlay}
    for pressure in domain.PRESSURES:
        points = by_label[domain.PRESSURE_LABELS[pressure]]
        want = matching[matching["pressure"] == pressure]
        assert list(points.dframe()["date"]) == list(want["start"])
        style = hv.Store.lookup_options("bokeh", points, "style").kwargs
        assert style["color"] == domain.PRESSURE_COLORS[pressure]
        assert style["marker"] == domain.PRESSURE_MARKERS[pressure]
    assert sum(len(e) for e in overlay) == len(matching) > 10


def test_a_filter_change_changes_the_views(data):
    points, pain = explore.sessions(data), explore.pain(data)
    shown = {e.label: len(e) for e in frame(points)}
    assert shown[domain.PRESSURE_LABELS["deep"]] > 0
    data.filters.pressures = ["light", "moderate"]
    now = {e.label: len(e) for e in frame(points)}
    assert now[domain.PRESSURE_LABELS["deep"]] == 0
    assert now[domain.PRESSURE_LABELS["light"]] == shown[domain.PRESSURE_LABELS["light"]]
    data.filters.areas = ["neck"]
    assert frame(pain).vdims[0].label.startswith("Pain in neck (")  # the area's own, as in the app
    before = len(present(frame(pain), "pain"))
    first, last = data.filters.date_range
    data.filters.date_range = (last - pd.Timedelta(days=29).to_pytimedelta(), last)
    neck = an.daily_pain(data.daily(), ["neck"])[0]
    assert len(present(frame(pain), "pain")) == neck.notna().sum() < before
    assert 25 <= neck.notna().sum() <= 30


def test_the_event_means_are_the_analysis_layers(data):
    means = frame(explore.event_means(data, "pain"))
    f = data.filters
    table = fx.event_aligned(data.diary.daily, data.matching_sessions(), data.diary.doses,
                             pressures=f.pressures, areas=f.areas, days=3)
    deep = table[(table["measure"] == "pain") & (table["pressure"] == "deep")]
    curves = [e for e in means if type(e) is hv.Curve
              and e.label == domain.PRESSURE_LABELS["deep"]]
    assert len(curves) == 1
    drawn = curves[0].dframe()
    assert list(drawn["offset"]) == list(range(-3, 4))
    assert np.allclose(drawn["pain"], deep["mean"], equal_nan=True)
    band = [e for e in means if isinstance(e, hv.Area)
            and e.label == domain.PRESSURE_LABELS["deep"]][0].dframe()
    assert np.allclose(band["ci_low"], deep["ci_low"], equal_nan=True)
    assert np.allclose(band["ci_high"], deep["ci_high"], equal_nan=True)
    data.filters.pressures = ["light"]
    kept = {e.label for e in frame(explore.event_means(data)) if len(e.dframe().dropna())}
    assert kept == {domain.PRESSURE_LABELS["light"]}


def test_a_selection_gives_its_days_and_their_summary(data):
    views = explore.Exploration(data)
    layout = views.layout()
    assert isinstance(layout, hv.Layout) and len(layout) == 4
    means = explore.event_means(data)
    before = frame(means)
    views.select("2026-03-21", "2026-03-01")
    assert data.span == (pd.Timestamp("2026-03-01"), pd.Timestamp("2026-03-21"))
    days = views.days()
    assert days["date"].min() >= pd.Timestamp("2026-03-01")
    assert days["date"].max() <= pd.Timestamp("2026-03-21")
    assert len(days) >= 15
    expected = an.window_summary(data.diary.daily, data.diary.doses,
                                 an.filter_sessions(data.diary.sessions, data.filters.pressures),
                                 "2026-03-01", "2026-03-21")
    assert views.summary() == expected
    table = views.summary_frame()
    assert list(table["n_after"]) == [c.n_after for c in expected.comparisons]
    assert (table["first_day"] == pd.Timestamp("2026-03-01")).all()
    band = frame(explore.selected_days(data))
    assert (band.data[0], band.data[1]) == (pd.Timestamp("2026-03-01"), pd.Timestamp("2026-03-22"))
    # the means around sessions are now those of the sessions in the chosen days
    n_before = max(e.dframe()["n"].max() for e in before if type(e) is hv.Curve)
    n_after = max(e.dframe()["n"].max() for e in frame(means) if type(e) is hv.Curve)
    assert 0 < n_after < n_before
    views.clear()
    assert data.span is None and len(views.days()) == len(data.daily())
    assert frame(explore.selected_days(data)).data[0] is None


def test_a_brush_selects_the_days_it_touches(data):
    views = explore.Exploration(data)
    views.date_views()
    other = explore.Exploration(data)
    other.date_views()
    assert len(views.brushes) == 3 and not set(views.brushes) & set(other.brushes)
    x0 = pd.Timestamp("2026-04-01 18:00").value // 10**6  # Bokeh's milliseconds
    x1 = pd.Timestamp("2026-04-05 06:00").value // 10**6
    views.brushes[1].event(boundsx=(x0, x1))  # what the sleep view's box-select sends
    assert data.span == (pd.Timestamp("2026-04-01"), pd.Timestamp("2026-04-05"))
    assert len(views.days()) <= 5


def test_views_compose_and_take_options(data):
    combined = (explore.pain(data) * explore.sessions(data)).opts(height=300)
    assert isinstance(combined, hv.DynamicMap)
    layout = explore.pain(data) + explore.sleep(data)
    assert isinstance(layout, hv.Layout) and len(layout) == 2
    figure = hv.render(combined)
    assert figure.height == 300


def test_a_saved_page_loads_nothing_from_the_network(data, tmp_path):
    views = explore.Exploration(data)
    layout = views.layout()
    hv.render(layout)
    data.filters.pressures = ["moderate"]  # the file shows the state at saving
    path = explore.save(layout, tmp_path / "views")
    html = path.read_text()
    assert path.suffix == ".html" and oct(path.stat().st_mode & 0o777) == "0o600"
    assert explore.network_references(html) == []
    assert "BEGIN bokeh.min.js" in html  # BokehJS is inside the file
    assert "Moderate" in html
    assert explore.network_references('<link rel="icon" href="https://cdn.x/i.png">'
                                      '<script src="//cdn.x/a.js"></script>') == [
        "https://cdn.x/i.png", "//cdn.x/a.js"]  # the check can fail


def test_the_served_app_does_not_import_holoviews(demo_path):
    """Importing the served entry points and building a page leave HoloViews unloaded."""
    code = ("import sys; from dashboard.ui import app, hosted; import dashboard.cli; "
            "from dashboard.session import DiarySession; from dashboard.store import Store; "
            "from dashboard.ui.datastore import DataStore; "
            f"a = app.App(data=DataStore(DiarySession(Store({str(demo_path)!r})))); a.__panel__(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('holoviews', 'hvplot')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_new_diary_and_an_empty_store_draw_without_error(tmp_path):
    """Two check-ins, no session and no dose; and a store with no diary at all."""
    import datetime as dt

    from dashboard.records import DailyCheckin

    store = Store(tmp_path / "new.sqlite")
    store.save_by_name({"Ann": [DailyCheckin(date=dt.date(2026, 5, 1), pain=4),
                                DailyCheckin(date=dt.date(2026, 5, 3), pain=6, sleep_hours=7)]},
                       today=dt.date(2026, 6, 1))
    empty = Store(tmp_path / "empty.sqlite")
    for data in (DataStore(DiarySession(store)), DataStore(DiarySession(empty))):
        views = explore.Exploration(data)
        hv.render(views.layout())
        for measure in explore.EVENT_MEASURES:
            hv.render(explore.event_means(data, measure))
        assert sum(len(e) for e in frame(explore.sessions(data))) == 0
    pain = present(frame(explore.pain(DataStore(DiarySession(store)))), "pain")
    assert list(pain["pain"]) == [4.0, 6.0]
    views = explore.Exploration(DataStore(DiarySession(store)))
    views.select("2026-05-01", "2026-05-02")
    assert len(views.days()) == 1 and views.summary().comparisons[0].n_other == 1
    store.close()
    empty.close()
