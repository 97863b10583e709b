"""A diary's first weeks (issue 9) without a browser: counts said with the right noun, what
more to log before an estimate, and the Overview's plot columns for one, three and ten days.

The browser side (what the served page shows) is in tests/ui/test_new_diary_ui.py.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from bokeh.models import Scatter
from click.testing import CliRunner
from pypdf import PdfReader

from dashboard import domain
from dashboard.analysis import effects as fx
from dashboard.analysis import summary as an
from dashboard.cli import format_import_summary, main
from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.report import build_report, render_pdf
from dashboard.store import Store
from dashboard.ui import plots
from dashboard.ui.filters import Filters
from dashboard.ui.views import summary_html
from dashboard.wording import log_more, noun, plural

FIRST = dt.date(2026, 10, 1)


def diary_records(days: int, sessions: int, naps: bool = True) -> list:
    """``days`` check-ins from FIRST (naps every third day) and ``sessions`` light neck
    sessions on the first days (pain 6 -> 4), one ibuprofen on the first day."""
    records = [DailyCheckin(FIRST + dt.timedelta(days=i), pain=5 + i % 3, sleep_hours=6.5,
                            sleep_quality=5, nap_minutes=40 if naps and i % 3 == 0 else None)
               for i in range(days)]
    records += [MassageSession(dt.datetime.combine(FIRST + dt.timedelta(days=k % days), dt.time(9 + k)),
                               45, "light", ("neck",), pain_before=6, pain_after=4)
                for k in range(sessions)]
    records.append(MedicationDose(dt.datetime.combine(FIRST, dt.time(8)), "Ibuprofen",
                                  drug_class="nsaid"))
    return records


def write_diary(path, days: int, sessions: int) -> None:
    store = Store(path)
    store.save_by_name({"Me": diary_records(days, sessions)})
    store.close()


def frames(path):
    store = Store(path)
    pid = int(store.patients()["id"].iloc[0])
    result = store.daily(pid), store.sessions(pid), store.doses(pid)
    store.close()
    return result


# --- words -----------------------------------------------------------------------------

def test_plural_agrees_with_the_count():
    assert plural(1, "matching session") == "1 matching session"
    assert plural(0, "matching session") == "0 matching sessions"
    assert plural(3, "dose") == "3 doses"
    assert plural(2, "day after a session") == "2 days after a session"
    assert plural(1.0, "day") == "1 day"
    assert noun(1, "page") == "page" and noun(4, "page") == "pages"


def test_log_more_says_how_many_more_and_nothing_when_none_are_needed():
    assert log_more(3) == "log 3 more sessions to see an estimate"
    assert log_more(1) == "log 1 more session to see an estimate"
    assert log_more(2, "deep session") == "log 2 more deep sessions to see an estimate"
    assert log_more(0) == "" and log_more(-2) == ""


@pytest.mark.parametrize("n", range(0, 8))
def test_sessions_needed_follows_the_effects_tables_own_rule(tmp_path, n):
    """Whatever the count, a row has an estimate exactly when no more sessions are needed."""
    write_diary(tmp_path / "d.sqlite", days=30, sessions=n)
    daily, sessions, doses = frames(tmp_path / "d.sqlite")
    table = fx.effects_table(daily, sessions, doses, areas=[fx.ALL_AREAS])
    assert len(table) == (len(fx.OUTCOMES) if n else 0)
    for row in table.itertuples():
        needed = fx.sessions_needed(row.n_sessions)
        assert (needed == 0) == pd.notna(row.estimate), row
        assert needed == max(0, fx.MIN_SESSIONS - row.n_sessions)
    immediate = table[table["outcome"] == "pain_change_immediate"]
    if n:  # every session has pain before and after, so it counts
        assert int(immediate["n_sessions"].iloc[0]) == n


def test_not_enough_text_names_the_sessions_still_missing():
    assert fx.not_enough_text(2) == "not enough data yet: log 3 more sessions to see an estimate"
    assert fx.not_enough_text(4) == "not enough data yet: log 1 more session to see an estimate"
    assert fx.not_enough_text(5) == "" and fx.not_enough_text(9) == ""
    assert fx.not_enough_text(0, min_sessions=8).endswith("log 8 more sessions to see an estimate")


def test_summary_cards_say_how_many_more_days_each_group_needs():
    short = an.Comparison("Pain", "points", 4.0, 5.0, n_after=2, n_other=4)
    assert short.days_needed == (3, 1)
    assert short.not_enough_text() == ("not enough data yet: 3 more days after a session and "
                                       "1 more other day needed (5 in each group)")
    only_after = an.Comparison("Pain", "points", None, 5.0, n_after=4, n_other=9)
    assert only_after.not_enough_text() == ("not enough data yet: 1 more day after a session "
                                            "needed (5 in each group)")
    enough = an.Comparison("Pain", "points", 4.0, 5.0, n_after=5, n_other=5)
    assert enough.days_needed == (0, 0) and enough.not_enough_text() == ""


@pytest.mark.parametrize(("sessions", "head"), [(0, "0 matching sessions"),
                                                (1, "1 matching session<"),
                                                (6, "6 matching sessions")])
def test_summary_row_agrees_with_its_count(tmp_path, sessions, head):
    write_diary(tmp_path / "d.sqlite", days=3, sessions=sessions)
    daily, all_sessions, doses = frames(tmp_path / "d.sqlite")
    filters = Filters.from_data(pd.DataFrame({"id": [1], "name": ["Me"]}), FIRST,
                                FIRST + dt.timedelta(days=2))
    summary = an.window_summary(daily, doses, all_sessions, filters.start, filters.end)
    html = summary_html(summary, filters)
    assert head in html
    assert "1 matching sessions" not in html and "· 1 days" not in html
    assert ("log a session on the Log page" in html) == (sessions == 0)
    assert "more day" in html  # three days never make two groups of five


# --- the Overview's columns --------------------------------------------------------------

def test_a_value_no_line_reaches_is_a_lone_point():
    dates = pd.to_datetime(["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-09", "2026-12-20",
                            "2026-12-21"])
    values = pd.Series([1.0, np.nan, 3.0, 4.0, 5.0, 6.0])
    # 1 Dec: its neighbour is blank; 3 Dec: blank before, 6 days to the next (a gap);
    # 9 Dec: 11 days to the next; 20 and 21 Dec are joined.
    assert an.lone_points(dates, values, plots.GAP_DAYS).tolist() == [True, False, True, True,
                                                                       False, False]
    # A line that joins any distance (the report's) leaves only the blank-side one alone.
    assert an.lone_points(dates, values).tolist() == [True, False, False, False, False, False]
    assert an.lone_points(dates[::-1], values[::-1], plots.GAP_DAYS).tolist() == [
        False, False, True, True, False, True]
    one = plots.day_columns(dates[:1], values[:1], joined_size=0)
    assert one["size"].tolist() == [plots.LONE_SIZE]
    assert plots.day_columns(dates[4:], values[4:], joined_size=0)["size"].tolist() == [0, 0]


def test_a_short_diary_is_shown_as_a_week_ending_with_its_last_day():
    first, end = plots.shown_range(dt.date(2026, 12, 2), dt.date(2026, 12, 2))
    assert end == pd.Timestamp("2026-12-03")
    assert end - first >= pd.Timedelta(days=plots.MIN_SHOWN_DAYS)
    assert first <= pd.Timestamp("2026-12-02") - pd.Timedelta(hours=12)
    first, end = plots.shown_range(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert (first, end) == (pd.Timestamp("2025-12-31 12:00"), pd.Timestamp("2026-04-01"))


def test_after_session_shading_is_cut_to_the_days_shown():
    sessions = pd.DataFrame({"start": pd.to_datetime(["2026-12-01 10:00", "2026-12-04 17:00"])})
    within = plots.shown_range(dt.date(2026, 11, 28), dt.date(2026, 12, 5))
    bands = plots.shading_columns(sessions, within)
    assert len(bands["x0"]) == 2 and bands["x1"][-1] == np.datetime64("2026-12-06")
    assert (bands["x0"] >= np.datetime64(within[0])).all()
    assert (bands["x1"] <= np.datetime64(within[1])).all()
    # Without a window the last session's after-days run two days past its day.
    assert plots.shading_columns(sessions)["x1"].max() == np.datetime64("2026-12-07")
    # A session whose after-days are all past the window shades nothing.
    late = pd.DataFrame({"start": pd.to_datetime(["2026-12-05 17:00"])})
    assert len(plots.shading_columns(late, (within[0], pd.Timestamp("2026-12-06")))["x0"]) == 0


def test_naps_stand_on_the_nights_sleep():
    daily = pd.DataFrame({"date": pd.to_datetime(["2026-12-01", "2026-12-02", "2026-12-03"]),
                          "sleep_hours": [6.0, np.nan, 7.0], "nap_minutes": [30.0, 90.0, np.nan]})
    naps = plots.nap_columns(daily)
    assert naps["bottom"].tolist() == [6.0, 0.0]
    assert naps["top"].tolist() == [6.5, 1.5]
    assert naps["night"] == ["6.0 h", "–"]
    assert len(plots.nap_columns(daily.drop(columns="nap_minutes"))["top"]) == 0


def test_the_overview_figures_name_days_and_anchors():
    figures = plots.LinkedFigures()
    for fig in figures.figures:  # the browser test reads the tick labels themselves
        assert fig.xaxis[0].formatter.days == plots.DAY_LABEL
    assert figures.pain.yaxis[0].axis_label == "Pain\n(0 = none, 10 = worst)"
    right = [axis for axis in figures.sleep.right if getattr(axis, "y_range_name", "") == "quality"]
    assert right[0].axis_label == "Sleep quality\n(0 = very poor, 10 = excellent)"
    legend = figures.sleep.legend[0]
    assert plots.NAP_LABEL in [item.label.value for item in legend.items]
    quality_dots = [r for r in figures.sleep.renderers
                    if r.data_source is figures.quality_days and isinstance(r.glyph, Scatter)]
    assert quality_dots and quality_dots[0].glyph.size == "size"


def test_a_one_day_diary_gives_its_quality_and_naps_something_to_draw(tmp_path):
    write_diary(tmp_path / "d.sqlite", days=1, sessions=1)
    daily, sessions, _doses = frames(tmp_path / "d.sqlite")
    figures = plots.LinkedFigures()
    figures.show_days(FIRST, FIRST)
    figures.update_daily(daily)
    figures.update_sessions(sessions, daily)
    assert list(figures.quality_days.data["size"]) == [plots.LONE_SIZE]
    assert list(figures.pain_days.data["size"]) == [plots.LONE_SIZE]
    assert list(figures.naps.data["nap_minutes"]) == [40.0]
    start, end = figures.x_range.start, figures.x_range.end
    assert end - start >= pd.Timedelta(days=plots.MIN_SHOWN_DAYS)
    assert all(start <= x0 and x1 <= end
               for x0, x1 in zip(figures.shading.data["x0"], figures.shading.data["x1"]))


# --- CLI and report ----------------------------------------------------------------------

def run(*args) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_fibro_effects_on_three_sessions_says_how_many_more(tmp_path):
    write_diary(tmp_path / "d.sqlite", days=10, sessions=3)
    out = run("effects", "--db", str(tmp_path / "d.sqlite"))
    assert "not enough data yet: log 2 more sessions to see an estimate" in out
    out = run("effects", "--db", str(tmp_path / "d.sqlite"), "--min-sessions", "4")
    assert "log 1 more session to see an estimate" in out


def test_fibro_effects_and_moh_on_a_diary_without_sessions_or_doses(tmp_path):
    store = Store(tmp_path / "d.sqlite")
    store.save_by_name({"Me": [DailyCheckin(FIRST, pain=5)]})
    store.close()
    out = run("effects", "--db", str(tmp_path / "d.sqlite"))
    assert "An estimate needs 5 sessions; log them with `fibro log session`." in out
    out = run("moh", "--db", str(tmp_path / "d.sqlite"))
    assert out.startswith("No medication logged yet")
    assert json.loads(run("moh", "--db", str(tmp_path / "d.sqlite"), "--json"))["months"] == []


def test_the_import_summary_agrees_with_its_counts():
    counts = {"daily": 1, "sessions": 1, "doses": 1}
    text = format_import_summary({
        "kind": "csv", "rows_read": 1, "rows_used": 1, "rows_skipped": 0, "dry_run": False,
        "created": counts, "updated": dict.fromkeys(counts, 0), "unchanged": dict.fromkeys(counts, 2),
        "skipped": {}, "first_date": None, "notes": []})
    assert "csv: 1 row read" in text
    assert "Created: 1 daily check-in, 1 session, 1 dose" in text
    assert "Already there: 2 daily check-ins, 2 sessions, 2 doses" in text


@pytest.mark.parametrize(("days", "sessions"), [(1, 0), (1, 1), (3, 1), (10, 3), (10, 6)])
def test_the_report_of_a_new_diary(tmp_path, days, sessions):
    daily, all_sessions, doses = frames_of(tmp_path, days, sessions)
    report = build_report("Me", daily, all_sessions, doses, today=dt.date(2026, 12, 2))
    assert report.start <= FIRST and report.end == FIRST + dt.timedelta(days=days - 1)
    assert report.days == max(days, 7)  # the diary's own days, at least a week
    render_pdf(report, tmp_path / "r.pdf")
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages).split())
    assert "1 sessions" not in text and "(1 days)" not in text
    if sessions == 1:
        assert "1 session: 1 light / soft stroking." in text
    if 0 < sessions < fx.MIN_SESSIONS:
        assert (f"Log {fx.MIN_SESSIONS - sessions} more light / soft stroking "
                f"{'session' if fx.MIN_SESSIONS - sessions == 1 else 'sessions'} to see an estimate."
                in text)
    if sessions >= fx.MIN_SESSIONS:
        assert "to see an estimate" not in text
    assert "Mean naps a day (logged days) 40 min" in text or days > 1
    assert f"Mean sleep quality ({domain.anchors_text(domain.RATING_ANCHORS['sleep_quality'], ', ')})" in text


def frames_of(tmp_path, days: int, sessions: int):
    write_diary(tmp_path / "d.sqlite", days, sessions)
    return frames(tmp_path / "d.sqlite")
