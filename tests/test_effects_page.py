"""The effects page without a browser: display rows, plot elements, text, and filters."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import panel as pn
import param
import pytest

from dashboard import demo, domain
from dashboard.analysis import effects as ef
from dashboard.store import Store
from dashboard.ui import charts
from dashboard.ui import effects_page as ep
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore

LABELS = domain.PRESSURE_LABELS


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A 600-day demo diary (seed 3) in its own SQLite file, shared by this module."""
    store = Store(tmp_path_factory.mktemp("effects") / "x.sqlite")
    demo.write_demo(store, days=600, seed=3, end=dt.date(2026, 6, 30))
    yield store
    store.close()


@pytest.fixture
def data(demo_store) -> DataStore:
    """Fresh filters on the shared diary for every test."""
    return DataStore(DiarySession(demo_store))


@pytest.fixture
def effects(data) -> ep.EffectsPage:
    """The page on those filters (not named ``page``: that is the browser tab fixture)."""
    return ep.EffectsPage(data=data)


def run_async(function):
    """Await ``function()`` on a loop of its own in another thread: a browser test run
    earlier in this process (Playwright's sync API) leaves a loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(function())).result()


def all_cells(table: pd.DataFrame) -> list[str]:
    return [str(v) for v in table.to_numpy().ravel()]


def test_effect_rows_are_readable(effects):
    result = effects.compute()
    rows = ep.effect_rows(result.effects)
    assert list(rows.columns) == ep.EFFECT_HEADERS
    assert 0 < len(rows) <= len(result.effects)
    assert not any(cell.lower() in ("nan", "none", "<na>") for cell in all_cells(rows))
    assert set(ef.OUTCOME_LABELS.values()) <= set(rows["Outcome"]) <= {
        *ef.OUTCOME_LABELS.values(), "Every outcome"}
    assert set(rows["Pressure"]) <= set(LABELS.values())
    assert "All areas" in set(rows["Body area"])
    immediate = rows["Outcome"] == ef.OUTCOME_LABELS["pain_change_immediate"]
    assert (rows.loc[immediate, "Comparison days"] == "same session").all()
    estimated = rows[rows["Estimate"] != "–"]
    assert estimated["Estimate"].str.fullmatch(r"[+−]?\d+\.\d{2}").all()
    assert estimated["95 % interval"].str.fullmatch(r"[+−]?\d+\.\d{2} to [+−]?\d+\.\d{2}").all()


def test_rows_below_the_minimum_say_not_enough_data_yet(effects):
    effects = effects.compute().effects
    rows = ep.effect_rows(effects)
    few = rows["Sessions"] < ef.MIN_SESSIONS
    assert few.any(), "the demo should have some pressure x area rows with few sessions"
    assert (rows.loc[few, "Reading"] == ef.NOT_ENOUGH).all()
    assert (rows.loc[few, ["Estimate", "95 % interval", "p-value"]] == "–").all().all()
    assert not (rows.loc[~few, "Reading"] == ef.NOT_ENOUGH).any()


def test_a_pressure_and_area_without_any_estimate_takes_one_row():
    """Five outcomes of nothing are one line, and the areas of a pressure with too few
    sessions overall are not listed at all; the note says how many more to log."""
    outcomes = list(ef.OUTCOME_LABELS)
    rows = []
    for pressure, area, n in [("deep", ef.ALL_AREAS, 3), ("deep", "neck", 2),
                              ("light", ef.ALL_AREAS, 8), ("light", "neck", 4)]:
        for outcome in outcomes:
            estimated = n >= ef.MIN_SESSIONS
            rows.append(dict(pressure=pressure, area=area, outcome=outcome, n_sessions=n,
                             n_comparison=20, estimate=-0.5 if estimated else float("nan"),
                             ci_low=-1.0 if estimated else float("nan"),
                             ci_high=0.1 if estimated else float("nan"),
                             p_value=0.2 if estimated else float("nan"),
                             verdict=ef.UNCLEAR if estimated else ef.NOT_ENOUGH))
    effects = pd.DataFrame(rows, columns=ef.EFFECT_COLUMNS)
    table = ep.effect_rows(effects)
    pairs = list(zip(table["Pressure"], table["Body area"], table["Outcome"]))
    assert pairs[0] == (LABELS["deep"], "All areas", "Every outcome")
    assert (LABELS["deep"], "Neck", "Every outcome") not in pairs
    assert [p for p in pairs if p[0] == LABELS["light"] and p[1] == "All areas"] == [
        (LABELS["light"], "All areas", ef.OUTCOME_LABELS[o]) for o in outcomes]
    assert (LABELS["light"], "Neck", "Every outcome") in pairs
    assert len(table) == 1 + len(outcomes) + 1
    note = ep.waiting_html(effects)
    assert "3 sessions so far; log 2 more sessions to see an estimate" in note
    assert "4 sessions so far; log 1 more session to see an estimate" in note
    assert ep.waiting_html(effects[effects["pressure"] == "light"].iloc[:len(outcomes)]) == ""


def test_comparison_rows(effects):
    result = effects.compute()
    rows = ep.comparison_rows(result.comparisons)
    assert list(rows.columns) == ep.COMPARISON_HEADERS
    assert not any(cell.lower() in ("nan", "none") for cell in all_cells(rows))
    missing = result.comparisons["difference"].isna().to_numpy()
    assert missing.any() and (~missing).any()
    assert (rows.loc[missing, "Reading"] == ef.NOT_ENOUGH).all()
    assert set(rows.loc[~missing, "Reading"]) <= {"lower with deep", "higher with deep",
                                                  ef.UNCLEAR, ef.EXPLORATORY}
    primary = result.comparisons["primary"].to_numpy()
    assert (rows.loc[~primary & ~missing, "Reading"] == ef.EXPLORATORY).all()
    assert (rows["Deep sessions"] == result.comparisons["n_a"]).all()


# --- text ------------------------------------------------------------------------

def test_sentences_say_associated_with_never_caused(effects):
    sentences = effects.compute().sentences
    assert sentences
    for sentence in sentences:
        assert "associated with" in sentence
        assert "caus" not in sentence.lower()


def test_findings_show_sentences_and_caveats_escaped():
    text = ep.findings_html(["Deep <b>pressure</b> is associated with less pain."])
    assert "&lt;b&gt;pressure&lt;/b&gt;" in text and "<b>pressure" not in text
    assert "Keep in mind" in text
    for caveat in ef.CAVEATS:
        assert html.escape(caveat) in text
    assert "Nothing stands out yet" in ep.findings_html([])


def test_scope_text_and_legend():
    text = ep.scope_html("window", dt.date(2026, 1, 1), dt.date(2026, 6, 30), 26)
    assert "only the days shown" in text and "26 matching sessions" in text
    assert "01 Jan 2026 – 30 Jun 2026" in text
    assert "all days in the diary" in ep.scope_html("all", dt.date(2025, 1, 1),
                                                    dt.date(2026, 1, 1), 3)
    legend = ep.legend_html({"light": 4, "deep": 0, "moderate": 2})
    assert "Light / soft stroking · 4 sessions" in legend and "Moderate · 2 sessions" in legend
    assert "Deep" not in legend
    assert domain.PRESSURE_COLORS["light"] in legend


# --- the event-aligned figures -------------------------------------------------------

def test_event_figures_have_four_panels_with_one_line_per_pressure(effects):
    events = effects.compute().events
    figures = charts.EventFigures()
    figures.update(events)
    assert [f.title.text for f in figures.figures.values()] == [
        "Pain", "Hours asleep", "Sleep quality", "As-needed painkiller doses"]
    shown = charts.shown_pressures(events)
    assert shown == ["light", "moderate", "deep"]  # the demo has no "unknown" sessions
    colors = [domain.PRESSURE_COLORS[p] for p in shown]
    for measure, fig in figures.figures.items():
        assert fig.xaxis[0].axis_label == "Days from session"
        assert fig.xaxis[0].major_label_overrides[0] == "session"
        assert fig.x_range is figures.x_range
        hover = [t for t in fig.tools if type(t).__name__ == "HoverTool"]
        assert len(hover) == 1 and ("Sessions (n)", "@n") in hover[0].tooltips
        sources = figures.sources[measure]
        assert sources["lines"].data["color"] == sources["bands"].data["color"] == colors
        markers = sources["markers"].data
        for i, pressure in enumerate(shown):
            part = events[(events["pressure"] == pressure) & (events["measure"] == measure)
                          & (events["n"] > 0)].sort_values("offset")
            mine = [j for j, label in enumerate(markers["pressure"]) if label == LABELS[pressure]]
            assert [markers[measure][j] for j in mine] == pytest.approx(list(part["mean"]))
            assert {markers["marker"][j] for j in mine} == {domain.PRESSURE_MARKERS[pressure]}
            assert sorted({markers["day"][j] for j in mine}) == sorted(
                ["session", "+1", "+2", "+3", "−1", "−2", "−3"])
            dodge = (i - 1) * charts.DODGE
            assert [markers["offset"][j] for j in mine] == pytest.approx(list(part["offset"] + dodge))
            assert sources["lines"].data["ys"][i] == pytest.approx(list(part["mean"]))
            band_ys = sources["bands"].data["ys"][i]
            assert band_ys == pytest.approx(list(part["ci_low"]) + list(part["ci_high"])[::-1])
    assert charts.EVENT_PANELS["pain"][1] == "Pain\n(0 = none, 10 = worst)"


def test_padded_range_keeps_small_differences_small():
    assert charts.padded_range(pd.DataFrame({"mean": [5.6, 6.3]})) == (4.5, 7.5)
    assert charts.padded_range(pd.DataFrame({"mean": [0.2, 0.4]})) == (0.0, 3.0)
    assert charts.padded_range(pd.DataFrame({"mean": [2.0, 9.5]})) == (2.0, 10.0)
    assert charts.padded_range(pd.DataFrame({"mean": [float("nan")]})) == (0.0, charts.MIN_SPAN)


def test_event_figures_of_no_sessions_are_empty():
    figures = charts.EventFigures()
    figures.update(pd.DataFrame(columns=ef.EVENT_COLUMNS))
    assert len(figures.figures) == 4
    for sources in figures.sources.values():
        assert len(sources["markers"].data["offset"]) == 0
        assert sources["lines"].data["xs"] == sources["bands"].data["xs"] == []


# --- the page follows the filters ----------------------------------------------------------

def test_pressure_filter_changes_the_rows(data, effects):
    before = effects.compute()
    assert set(before.effects["pressure"]) == {"light", "moderate", "deep", "unknown"}
    assert before.comparisons is not None

    data.filters.pressures = ["light", "moderate"]
    after = effects.compute()
    assert set(after.effects["pressure"]) == {"light", "moderate"}
    assert after.comparisons is None
    assert set(ep.effect_rows(after.effects)["Pressure"]) == {LABELS["light"], LABELS["moderate"]}
    assert after.n_sessions == before.n_sessions - before.session_counts["deep"]
    assert charts.shown_pressures(after.events) == ["light", "moderate"]


def test_area_filter_changes_the_rows(data, effects):
    data.filters.areas = ["neck"]
    result = effects.compute()
    assert set(result.effects["area"]) == {"neck"}
    assert set(ep.effect_rows(result.effects)["Body area"]) == {"Neck"}
    assert result.n_sessions < effects.data.diary.sessions.shape[0]


def test_scope_window_uses_only_the_days_shown(data, effects):
    whole = effects.compute()
    effects.scope = "window"
    daily, sessions, doses = effects.frames()
    start, end = pd.Timestamp(data.filters.start), pd.Timestamp(data.filters.end)
    assert daily["date"].between(start, end).all()
    assert sessions["start"].dt.normalize().between(start, end).all()
    window = effects.compute()
    assert 0 < window.n_sessions < whole.n_sessions
    assert effects.span() == (data.filters.start, data.filters.end)
    text = ep.scope_html(effects.scope, *effects.span(), window.n_sessions)
    assert "only the days shown" in text


def test_few_sessions_in_the_window_say_not_enough(data, effects):
    effects.scope = "window"
    data.filters.date_range = (dt.date(2026, 5, 1), dt.date(2026, 6, 30))
    rows = ep.effect_rows(effects.compute().effects)
    assert (rows["Reading"] == ef.NOT_ENOUGH).any()


def table_cells(html: str, css_class: str) -> list[list[str]]:
    """The body cells of the table inside ``<div class="css_class">``, disclosed rows too."""
    part = html.split(f'<div class="{css_class}">')[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", re.split(r"<h[34]>", part)[0])
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows if "<td" in row]


def shown_pressures(effects) -> set[str]:
    return {row[0] for row in table_cells(effects.tables.object, "effects-table")}


def test_no_pressure_chosen(data, effects):
    data.filters.pressures = []
    effects.refresh()
    assert effects.result.effects.empty and effects.result.n_sessions == 0
    assert "Choose at least one pressure" in effects.headline()
    assert "Choose at least one pressure" in effects.above.object
    assert table_cells(effects.tables.object, "effects-table") == [["Nothing to show."]]


def test_refresh_fills_plot_tables_and_text_in_place(data, effects):
    above, tables, pane = effects.above, effects.tables, effects.event_pane
    assert "Nothing to show." in tables.object and "Choose both Deep and Light" in tables.object
    effects.refresh()
    result = effects.result
    rows = ep.effect_rows(result.effects)
    assert len(rows) > 15
    cells = table_cells(tables.object, "effects-table")
    assert cells == [[html.escape(str(v)) for v in row] for row in rows.itertuples(index=False)]
    assert f"Show the other {len(rows) - 15} rows" in tables.object
    compared = ep.comparison_rows(result.comparisons)
    assert len(table_cells(tables.object, "comparison-table")) == len(compared)
    assert "Choose both Deep and Light" not in tables.object
    assert "What stands out" in above.object and "Keep in mind" in above.object
    assert "associated with" in above.object
    assert f"{result.n_sessions} matching sessions" in above.object

    data.filters.pressures = ["light", "moderate"]
    effects.refresh()
    # updated, not rebuilt
    assert (effects.above, effects.tables, effects.event_pane) == (above, tables, pane)
    assert shown_pressures(effects) == {LABELS["light"], LABELS["moderate"]}
    assert "comparison-table" not in tables.object
    assert "Choose both Deep and Light" in tables.object


def test_event_panels_update_in_place(data, effects):
    """Built once before any figures, then fed new data: the same figures, with new ranges."""
    figures = effects.event_figures
    pain, hours = figures.figures["pain"], figures.figures["sleep_hours"]
    effects.refresh()
    events = effects.result.events
    hours_range = charts.padded_range(events.loc[events["measure"] == "sleep_hours",
                                                 ["mean", "ci_low", "ci_high"]])
    assert hours_range != (0.0, charts.MIN_SPAN)
    for fig in (pain, hours):
        assert (fig.x_range.start, fig.x_range.end) == (-3.4, 3.4)
    assert (hours.y_range.start, hours.y_range.end) == hours_range
    assert (pain.y_range.start, pain.y_range.end) == (0, 10)

    data.filters.pressures = ["deep"]
    effects.refresh()
    assert effects.event_figures.figures["pain"] is pain
    assert set(figures.sources["pain"]["markers"].data["pressure"]) == {LABELS["deep"]}
    assert figures.sources["pain"]["lines"].data["color"] == [domain.PRESSURE_COLORS["deep"]]

    data.filters.areas, effects.scope = ["neck"], "window"
    effects.refresh()
    events = effects.result.events
    new_range = charts.padded_range(events.loc[events["measure"] == "sleep_hours",
                                               ["mean", "ci_low", "ci_high"]])
    assert new_range != hours_range
    assert (hours.y_range.start, hours.y_range.end) == new_range


def test_empty_diary(tmp_path):
    store = Store(tmp_path / "empty.sqlite")
    page = ep.EffectsPage(data=DataStore(DiarySession(store)))
    page.refresh()
    assert page.result.effects.empty and page.result.sentences == []
    assert "nothing in this diary yet" in page.headline()
    store.close()


# --- computing only when shown -------------------------------------------------------------

def test_compute_runs_once_per_change_and_waits_while_hidden(data, effects):
    run_async(effects._compute)
    assert "matching sessions" in effects.above.object
    assert not effects._results.loading
    assert shown_pressures(effects) == set(LABELS.values())
    with pytest.raises(param.parameterized.Skip):
        run_async(effects._compute)  # nothing changed
    effects.showing = False
    data.filters.pressures = ["light"]
    with pytest.raises(param.parameterized.Skip):
        run_async(effects._compute)
    assert shown_pressures(effects) == set(LABELS.values())
    effects.showing = True
    run_async(effects._compute)
    assert shown_pressures(effects) == {LABELS["light"]}


def test_follow_tab_sets_showing(effects):
    tabs = pn.Tabs(("Other", pn.pane.Markdown("x")), ("Effects", effects), dynamic=True)
    effects.follow_tab(tabs, 1)
    assert effects.showing is False
    tabs.active = 1
    assert effects.showing is True
    tabs.active = 0
    assert effects.showing is False
