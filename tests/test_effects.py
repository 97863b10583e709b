"""Per-pressure effects: hand-made diaries with known answers, and the demo's built-in effects."""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis import effects as ef
from dashboard.demo import BUILT_IN_EFFECTS, generate
from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.store import Store

START = dt.date(2025, 1, 1)
SESSION_DAYS = (8, 18, 38, 48, 58)
BEFORE_AFTER = ((6, 4), (7, 4), (5, 4), (8, 5), (6, 6))  # changes -2, -3, -1, -3, 0: mean -1.8


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour, minute))


def _tiny(store: Store, n_sessions: int = 5, unlogged=(12,), name: str = "T"):
    """60 days with deep neck sessions at 10:00 on days 8, 18, 38, 48 and 58.

    Pain is 2 up to day 29 and 6 from day 30 (a step no session's nearby days
    straddle), one point higher on each day after a session, 9 on the second day
    after (it must be left out of the comparison), 8 on the far-away day 0; session
    days have the level of their half, so the next-day adjustment for the session day
    (``ef.persistence``) has nothing to adjust; the days in ``unlogged`` have no
    check-in.  Neck pain is one point above pain, three on the days after.  Sleep:
    6.5 h and quality 7 on the nights after, 3 h and 0 on second days, else 7 h and 5.
    Doses: paracetamol at 12:00 the day after and ibuprofen at 09:00 two days after
    (both within 48 h), naproxen at 20:00 two days after (outside the 48 h but inside
    the session's after-days, so no comparison window may hold it), amitriptyline
    (not a painkiller) every night.
    """
    pid = store.ensure_patient(name)
    days = SESSION_DAYS[:n_sessions]
    next_day = {d + 1 for d in days}
    second = {d + 2 for d in days}
    records = []
    for i in range(60):
        if i in unlogged:
            continue
        base = 2 if i < 30 else 6
        pain = 8 if i == 0 else 9 if i in second else base + 1 if i in next_day else base
        records.append(DailyCheckin(
            START + dt.timedelta(days=i), pain=pain,
            sleep_hours=6.5 if i in next_day else 3 if i in second else 7,
            sleep_quality=7 if i in next_day else 0 if i in second else 5,
            area_pain={"neck": pain + (3 if i in next_day else 1)}))
        records.append(MedicationDose(_at(i, 21, 30), "Amitriptyline", "antidepressant", 10))
    for d, (before, after) in zip(days, BEFORE_AFTER):
        records += [
            MassageSession(_at(d, 10), 60, "deep", ("neck",), pain_before=before, pain_after=after),
            MedicationDose(_at(d + 1, 12), "Paracetamol", "simple_analgesic", 1000),
            MedicationDose(_at(d + 2, 9), "Ibuprofen", "nsaid", 400),
            MedicationDose(_at(d + 2, 20), "Naproxen", "nsaid", 250),
        ]
    store.save(pid, records)
    return store.daily(pid), store.sessions(pid), store.doses(pid)


def _row(table: pd.DataFrame, outcome: str, area: str = "all", pressure: str = "deep"):
    found = table[(table["outcome"] == outcome) & (table["area"] == area)
                  & (table["pressure"] == pressure)]
    assert len(found) == 1
    return found.iloc[0]


def _t_check(values, row, floor=ef.GRAIN_SD):
    """The row's interval and p-value are those of a one-sample t-test of ``values``."""
    values = np.asarray(values, dtype=float)
    sd = max(values.std(ddof=1), floor)
    se = sd / np.sqrt(values.size)
    t = values.mean() / se
    assert row.p_value == pytest.approx(2 * stats.t.sf(abs(t), values.size - 1))
    half = stats.t.ppf(0.975, values.size - 1) * se
    assert (row.ci_low, row.ci_high) == pytest.approx((values.mean() - half, values.mean() + half))


def test_one_row_per_pressure_area_and_outcome_with_the_documented_columns(store):
    table = ef.effects_table(*_tiny(store))
    assert list(table.columns) == ["pressure", "area", "outcome", "n_sessions", "n_comparison",
                                   "estimate", "ci_low", "ci_high", "p_value", "verdict",
                                   "primary", "p_adjusted", "reading"]
    # Every deep session touched the neck: its row would repeat "all areas", so it is left out.
    assert table[["pressure", "area"]].drop_duplicates().values.tolist() == [["deep", "all"]]
    assert table["outcome"].tolist() == list(ef.OUTCOMES)
    named = ef.effects_table(*_tiny(store), pressures=["deep", "light"], areas=["neck"])
    assert named[["pressure", "area"]].drop_duplicates().values.tolist() == [
        ["deep", "neck"], ["light", "neck"]]
    assert set(named.loc[named["pressure"] == "light", "verdict"]) == {ef.NOT_ENOUGH}
    assert (table["verdict"] == table["reading"]).all()


def test_immediate_change_is_the_mean_of_after_minus_before_with_a_t_interval(store):
    row = _row(ef.effects_table(*_tiny(store)), "pain_change_immediate")
    assert (row.n_sessions, row.n_comparison) == (5, 0)
    assert row.estimate == pytest.approx(-1.8)
    _t_check([-2, -3, -1, -3, 0], row)
    assert row.ci_high < 0 and row.p_value < 0.05  # one method: they always agree


def test_next_day_pain_is_compared_with_nearby_days_without_sessions(store):
    row = _row(ef.effects_table(*_tiny(store)), "pain_next_day")
    # +1 against every session's own neighbourhood; a comparison with all other days
    # would be pulled by the step at day 30 and the days after.
    assert row.estimate == pytest.approx(1.0)
    assert row.n_sessions == 5
    # Days 1-25 and 31-59, less the 14 session and after-days and the unlogged day 12.
    assert row.n_comparison == 39
    # Five identical changes are not certainty: the spread is floored at the rating grain.
    _t_check([1, 1, 1, 1, 1], row)


def test_primary_rows_are_holm_adjusted_together_and_read(store):
    table = ef.effects_table(*_tiny(store))
    primary = table[table["primary"]]
    assert primary["outcome"].tolist() == list(ef.PRIMARY_OUTCOMES)
    raw = primary["p_value"].to_numpy()
    # Two questions: the smaller p doubled, the larger kept (and never below the smaller).
    low, high = sorted(raw)
    assert sorted(primary["p_adjusted"]) == pytest.approx([2 * low, max(2 * low, high)])
    assert _row(table, "pain_change_immediate").reading == ef.LOWER
    assert _row(table, "pain_next_day").reading == ef.HIGHER
    others = table[~table["primary"] & table["estimate"].notna()]
    assert len(others) == 2 and others["p_adjusted"].isna().all()
    assert set(others["reading"]) == {ef.EXPLORATORY}


def test_the_family_is_the_whole_diary_whatever_the_filters(store):
    """Choosing one pressure in the sidebar does not shrink the family (and so the
    adjustment): the adjusted p of deep is the same alone or with the others."""
    frames = _deep_and_light(store)
    both = ef.effects_table(*frames)
    alone = ef.effects_table(*frames, pressures=["deep"])
    assert (_row(both, "pain_change_immediate").p_adjusted
            == _row(alone, "pain_change_immediate").p_adjusted)
    comparisons = ef.deep_vs_light(*frames)
    family = set(ef.holm({"a": 0.01}))  # the function itself
    assert family == {"a"}
    assert comparisons.loc[comparisons["primary"], "outcome"].tolist() == list(ef.PRIMARY_OUTCOMES)


def test_holm_steps_down():
    adjusted = ef.holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5})
    assert adjusted == pytest.approx({"a": 0.04, "c": 0.09, "b": 0.09, "d": 0.5})
    assert ef.holm({}) == {}


def test_an_area_row_uses_that_area_s_own_pain_when_logged(store):
    frames = _tiny(store)
    assert _row(ef.effects_table(*frames, areas=["neck"]), "pain_next_day",
                "neck").estimate == pytest.approx(3.0)
    assert _row(ef.effects_table(*frames), "pain_next_day", "all").estimate == pytest.approx(1.0)


def test_the_night_after_is_the_sleep_logged_on_the_next_day(store):
    table = ef.effects_table(*_tiny(store))
    hours, quality = _row(table, "sleep_hours_next_night"), _row(table, "sleep_quality_next_night")
    assert hours.estimate == pytest.approx(-0.5) and hours.ci_high < 0
    assert quality.estimate == pytest.approx(2.0) and quality.ci_low > 0
    assert hours.verdict == quality.verdict == ef.EXPLORATORY  # not a primary question
    assert hours.n_comparison == quality.n_comparison == 39


def test_doses_count_painkillers_in_the_48_hours_after_against_clean_windows(store):
    row = _row(ef.effects_table(*_tiny(store), min_sessions=4), "doses_48h")
    # Paracetamol and ibuprofen fall within 48 h of each session; naproxen does not and
    # lies in the session's after-days, which no comparison window may touch;
    # amitriptyline is not an acute class.  So 2 against 0 every time.  The last
    # session's 48 h run into day 60, which has no check-in: unknown, so 4 sessions.
    assert row.estimate == pytest.approx(2.0)
    assert row.ci_low > 0 and row.n_sessions == 4 and row.n_comparison > 0


def test_a_day_without_a_check_in_is_unknown_for_doses_not_zero(store):
    """Day 19 (the day after the session of day 18) has no check-in: that session's 48 h
    are unknown, so it drops out of the dose row (and no window touching day 19 counts)."""
    full = _row(ef.effects_table(*_tiny(store), min_sessions=3), "doses_48h")
    frames = _tiny(store, unlogged=(12, 19), name="U")
    gap = _row(ef.effects_table(*frames, min_sessions=3), "doses_48h")
    assert gap.n_sessions == full.n_sessions - 1
    assert gap.n_comparison < full.n_comparison
    doses = ef.event_aligned(*frames, days=3).query("measure == 'doses'").set_index("offset")
    assert doses.loc[1, "n"] == 4  # the day after the day-18 session is unknown, not 0


def test_four_sessions_are_not_enough_but_five_are(store):
    table = ef.effects_table(*_tiny(store, n_sessions=4))
    assert set(table["verdict"]) == {ef.NOT_ENOUGH}
    assert set(table.loc[table["outcome"] != "pain_change_immediate", "n_sessions"]) == {4}
    assert table[["estimate", "ci_low", "ci_high", "p_value"]].isna().all().all()
    lowered = ef.effects_table(*_tiny(store, n_sessions=4), min_sessions=4)
    assert _row(lowered, "pain_next_day").estimate == pytest.approx(1.0)


def test_same_numbers_whatever_other_rows_are_asked_for(store):
    frames = _tiny(store)
    full = ef.effects_table(*frames, areas=["all", "neck"])
    alone = ef.effects_table(*frames, areas=["all"])
    pd.testing.assert_frame_equal(full[full["area"] == "all"].reset_index(drop=True), alone)


def test_an_empty_diary_gives_an_empty_table(store):
    pid = store.ensure_patient("Empty")
    table = ef.effects_table(store.daily(pid), store.sessions(pid), store.doses(pid))
    assert table.empty and list(table.columns) == ef.EFFECT_COLUMNS


def _deep_and_light(store, n_light: int = 5):
    """Deep sessions take pain from 6 to 4, light ones from 6 to 5; no daily check-ins."""
    pid = store.ensure_patient("C")
    store.save(pid, [MassageSession(_at(7 * i, 10), 60, "deep", ("neck",), pain_before=6,
                                    pain_after=4) for i in range(5)]
               + [MassageSession(_at(7 * i + 3, 10), 60, "light", ("neck",), pain_before=6,
                                 pain_after=5) for i in range(n_light)])
    return store.daily(pid), store.sessions(pid), store.doses(pid)


def test_deep_vs_light_difference_with_a_welch_t_test(store):
    table = ef.deep_vs_light(*_deep_and_light(store))
    assert list(table.columns) == ["area", "outcome", "a", "b", "n_a", "n_b", "difference",
                                   "ci_low", "ci_high", "p_value", "primary", "p_adjusted",
                                   "reading"]
    # Every session touched the neck: its rows would repeat "all areas".
    assert set(table["area"]) == {"all"}
    row = table[table["outcome"] == "pain_change_immediate"].iloc[0]
    assert (row.a, row.b, row.n_a, row.n_b) == ("deep", "light", 5, 5)
    assert row.difference == pytest.approx(-1.0)
    # Constant changes: both spreads floored at the grain, so se = sqrt(2 * 0.3^2 / 5), df 8.
    se = np.sqrt(2 * ef.GRAIN_SD ** 2 / 5)
    half = stats.t.ppf(0.975, 8) * se
    assert (row.ci_low, row.ci_high) == pytest.approx((-1 - half, -1 + half))
    assert row.p_value == pytest.approx(2 * stats.t.sf(1 / se, 8))
    assert row.primary and row.reading == ef.LOWER
    next_day = table[table["outcome"] == "pain_next_day"].iloc[0]
    assert (next_day.n_a, next_day.n_b) == (0, 0) and math.isnan(next_day.difference)
    assert next_day.reading == ef.NOT_ENOUGH


def test_deep_vs_light_refuses_below_the_minimum_in_either_group(store):
    table = ef.deep_vs_light(*_deep_and_light(store, n_light=4))
    row = table[(table["area"] == "all") & (table["outcome"] == "pain_change_immediate")].iloc[0]
    assert (row.n_a, row.n_b) == (5, 4)
    assert row[["difference", "ci_low", "ci_high", "p_value"]].isna().all()


def test_event_aligned_means_around_the_session_day(store):
    table = ef.event_aligned(*_tiny(store), days=3)
    assert list(table.columns) == ["pressure", "offset", "measure", "mean", "ci_low", "ci_high", "n"]
    assert sorted(table["offset"].unique()) == [-3, -2, -1, 0, 1, 2, 3]
    cell = table.set_index(["measure", "offset"])
    assert cell.loc[("pain", 0), "mean"] == pytest.approx((2 + 2 + 6 + 6 + 6) / 5)
    assert cell.loc[("pain", 1), "mean"] == pytest.approx((3 + 3 + 7 + 7 + 7) / 5)
    assert cell.loc[("pain", 2), "mean"] == 9
    assert cell.loc[("pain", 1), "ci_low"] < 5.4 < cell.loc[("pain", 1), "ci_high"]
    assert cell.loc[("sleep_hours", 1), "mean"] == 6.5
    assert (cell.loc[("doses", 1), "mean"], cell.loc[("doses", 2), "mean"]) == (1, 2)
    assert cell.loc[("pain", 1), "n"] == 5
    assert cell.loc[("pain", 3), "n"] == 4  # day 61 is after the diary ends
    assert cell.loc[("doses", 3), "n"] == 4
    neck = ef.event_aligned(*_tiny(store), areas=["neck"]).set_index(["measure", "offset"])
    assert neck.loc[("pain", 1), "mean"] == pytest.approx(5.4 + 3)


def test_event_aligned_is_empty_quietly_where_no_session_has_a_day(store):
    """The last session (day 58 of 60): two and three days after it are past the diary's end,
    so those offsets have no value, no band, and no warning from numpy on the way."""
    daily, sessions, doses = _tiny(store)
    last = sessions[sessions["start"] == sessions["start"].max()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cell = ef.event_aligned(daily, last, doses, days=3).set_index(["measure", "offset"])
    assert cell.loc[("pain", 1), "n"] == 1 and cell.loc[("pain", 1), "mean"] == 7
    for offset in (2, 3):
        assert cell.loc[("pain", offset), "n"] == 0
        assert cell.loc[("pain", offset), ["mean", "ci_low", "ci_high"]].isna().all()


def test_effects_json_is_plain_json_with_nulls_for_missing_numbers(store):
    result = ef.effects_json(*_tiny(store, n_sessions=4))
    text = json.dumps(result, allow_nan=False)
    back = json.loads(text)
    assert set(back) == {"effects", "comparisons"}
    first = back["effects"][0]
    assert set(first) == set(ef.EFFECT_COLUMNS)
    assert first["estimate"] is None and first["verdict"] == first["reading"] == ef.NOT_ENOUGH
    assert first["n_sessions"] == 4 and isinstance(first["n_sessions"], int)
    assert first["primary"] is True and first["p_adjusted"] is None
    assert back["comparisons"] and set(back["comparisons"][0]) == set(ef.COMPARISON_COLUMNS)
    assert ef.effects_json(*_tiny(store), pressures=["deep"])["comparisons"] == []
    full = ef.effects_json(*_tiny(store))["effects"]
    assert all(isinstance(r["estimate"], float) for r in full if r["verdict"] != ef.NOT_ENOUGH)
    assert [r["primary"] for r in full] == [True, True, False, False, False]
    assert all(isinstance(r["p_adjusted"], float) for r in full if r["primary"])


def _effect(**changes):
    row = dict(pressure="deep", area="all", outcome="pain_next_day", n_sessions=14,
               n_comparison=60, estimate=-1.2, ci_low=-2.0, ci_high=-0.4, p_value=0.01,
               verdict=ef.LOWER, primary=True, p_adjusted=0.02, reading=ef.LOWER)
    return row | changes


def test_plain_sentences_say_associated_with_and_give_interval_and_sessions(store):
    table = pd.DataFrame([
        _effect(),
        _effect(pressure="light", outcome="sleep_hours_next_night", n_sessions=20,
                estimate=0.5, ci_low=-0.1, ci_high=1.1, p_value=0.2, primary=False,
                p_adjusted=float("nan"), verdict=ef.EXPLORATORY, reading=ef.EXPLORATORY),
        _effect(pressure="moderate", outcome="pain_change_immediate", n_sessions=9,
                estimate=0.7, ci_low=0.2, ci_high=1.3, p_value=0.004, p_adjusted=0.03,
                verdict=ef.HIGHER, reading=ef.HIGHER),
    ])
    assert ef.plain_sentences(table) == [
        "Deep pressure is associated with 1.2 points less pain the next day "
        "(95 % interval 0.4 to 2.0; 14 sessions).",
        "Moderate pressure is associated with 0.7 points more pain right after the session "
        "than just before (95 % interval 0.2 to 1.3; 9 sessions).",
    ]
    assert ef.plain_sentences(table, max_rows=1) == ef.plain_sentences(table)[:1]
    assert all("caus" not in s.lower() for s in ef.plain_sentences(table))


def test_an_exploratory_row_never_gets_a_reading_or_a_sentence():
    """However small its own p-value (an area, a sleep or dose outcome), an exploratory row
    is shown with its numbers only."""
    assert ef.reading(-1.0, 0.0001, primary=False) == ef.EXPLORATORY
    assert ef.reading(-1.0, 0.01) == ef.LOWER
    assert ef.reading(0.4, 0.01) == ef.HIGHER
    assert ef.reading(-1.0, 0.05) == ef.UNCLEAR
    assert ef.reading(float("nan"), float("nan")) == ef.NOT_ENOUGH
    table = pd.DataFrame([_effect(area="neck", primary=False, p_adjusted=float("nan"),
                                  p_value=0.0001, verdict=ef.EXPLORATORY,
                                  reading=ef.EXPLORATORY)])
    assert ef.plain_sentences(table) == []


def test_the_page_reads_a_comparison_as_the_analysis_does():
    from dashboard.ui import effects_page as ep

    comparison = dict(area="all", outcome="pain_next_day", a="deep", b="light", n_a=9, n_b=9,
                      difference=-0.62, ci_low=-1.16, ci_high=-0.10, p_value=0.02,
                      primary=True, p_adjusted=0.08, reading=ef.UNCLEAR)
    rows = ep.comparison_rows(pd.DataFrame([comparison, dict(comparison, p_adjusted=0.03,
                                                             reading=ef.LOWER)]))
    assert rows["Reading"].tolist() == [ef.UNCLEAR, "lower with deep"]
    assert ef.plain_sentences(pd.DataFrame([comparison])) == []


def test_plain_sentences_of_a_deep_vs_light_table(store):
    sentences = ef.plain_sentences(ef.deep_vs_light(*_deep_and_light(store)))
    assert sentences[0].startswith(
        "Across all areas, compared with light pressure, deep pressure is associated with "
        "1.0 points less pain right after the session than just before (95 % interval 0.")
    assert sentences[0].endswith("; 5 deep and 5 light sessions).")


def test_persistence_is_the_next_day_s_share_of_a_departure():
    rng = np.random.default_rng(0)
    n = 4000
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = 0.7 * x[i - 1] + rng.normal()
    clean = np.ones(n, dtype=bool)
    slope, variance = ef.persistence(x, clean)
    # Departures from a 15-day neighbourhood (the pair left out) keep less than the raw 0.7.
    assert 0.5 < slope < 0.75 and 0 < variance < 0.001
    assert ef.persistence(x[:10], clean[:10]) == (0.0, 0.0)  # too few pairs: no adjustment


def test_sessions_booked_on_bad_days_do_not_make_a_finding(store, monkeypatch):
    """Two years of AR(1) pain (0.7, whole numbers) and a moderate session on the worst day
    of every week: massage does nothing.  Compared with plain nearby days, pain the next
    day reads "higher" (a bad day's next day is still worse than average); compared with
    the days after similar days (``ef.persistence``) it does not."""
    rng = np.random.default_rng(5)
    n = 600
    pain = np.zeros(n)
    for i in range(1, n):
        pain[i] = 0.7 * pain[i - 1] + rng.normal(0, 1.0)
    rated = np.clip(np.round(5 + pain), 0, 10)
    session_days = [week + int(np.argmax(rated[week:week + 7])) for week in range(7, n - 7, 7)]
    pid = store.ensure_patient("B")
    store.save(pid, [DailyCheckin(START + dt.timedelta(days=i), pain=float(rated[i]))
                     for i in range(n)]
               + [MassageSession(_at(d, 11), 60, "moderate", ("neck",),
                                 pain_before=float(rated[d]), pain_after=float(rated[d]))
                  for d in session_days])
    frames = store.daily(pid), store.sessions(pid), store.doses(pid)
    row = _row(ef.effects_table(*frames), "pain_next_day", pressure="moderate")
    assert row.n_sessions > 80
    assert row.ci_low < 0 < row.ci_high and row.reading == ef.UNCLEAR
    monkeypatch.setattr(ef, "persistence", lambda values, clean: (0.0, 0.0))
    plain = _row(ef.effects_table(*frames), "pain_next_day", pressure="moderate")
    assert plain.estimate > 0.5 and plain.reading == ef.HIGHER


def test_caveats_name_the_known_pitfalls():
    text = " ".join(ef.CAVEATS).lower()
    for idea in ("not proof", "regression to the mean", "24-48 hours", "exploring"):
        assert idea in text


# --- the demo diary's built-in effects -------------------------------------------------

DEMO_DAYS, DEMO_SEED, DEMO_END = 2500, 0, dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo_frames(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("effects") / "x.sqlite")
    store.save_by_name({"p": generate(days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END).records})
    pid = store.ensure_patient("p")
    frames = store.daily(pid), store.sessions(pid), store.doses(pid)
    store.close()
    return frames


TRUTHS = [(outcome, pressure, truth) for outcome, by_pressure in BUILT_IN_EFFECTS.items()
          for pressure, truth in by_pressure.items()]


@pytest.fixture(scope="module")
def demo_table(demo_frames):
    return ef.effects_table(*demo_frames, areas=["all"])


@pytest.mark.parametrize(("outcome", "pressure", "truth"), TRUTHS)
def test_demo_intervals_cover_the_built_in_effects(demo_table, outcome, pressure, truth):
    """Each interval is a 95 % one: over seeds 0-99 each covered its truth 94-98 % of the
    time and all twelve at once 65 % (about 0.95 ** 12), so a seed is fixed here."""
    row = _row(demo_table, outcome, "all", pressure)
    assert row.n_sessions >= 50
    assert row.ci_low <= truth <= row.ci_high
    assert np.sign(row.estimate) == np.sign(truth)
    if outcome in ef.PRIMARY_OUTCOMES:  # found, after the adjustment for all questions
        assert row.verdict == (ef.LOWER if truth < 0 else ef.HIGHER)
    else:
        assert row.verdict == ef.EXPLORATORY


def test_demo_deep_pressure_is_followed_by_more_pain_than_light(demo_frames):
    table = ef.deep_vs_light(*demo_frames, areas=["all"])
    row = table[table["outcome"] == "pain_next_day"].iloc[0]
    assert row.difference > 0 and row.ci_low > 0
    assert row.p_value < 0.01
    truth = BUILT_IN_EFFECTS["pain_next_day"]["deep"] - BUILT_IN_EFFECTS["pain_next_day"]["light"]
    assert row.ci_low <= truth <= row.ci_high


# --- BLAS threads: one while the bootstrap runs, given back after ---------------------------

def _in_a_fresh_process(code: str) -> None:
    """Run ``code`` in a new Python with two BLAS threads; it fails the test if it raises.

    The BLAS limit is the process's, and in a worker that has served the app's pages
    OpenBLAS was seen to ignore ``openblas_set_num_threads`` altogether (after the personal
    accessibility walk, in one process: set to 1, read back 2), so the limit is checked
    where nothing ran before."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert done.returncode == 0, done.stderr[-2000:]


def test_importing_the_app_leaves_the_blas_threads_alone():
    """The limit is set where the work happens, never when a module is imported."""
    _in_a_fresh_process(
        "import numpy, scipy.linalg; from threadpoolctl import threadpool_info as info; "
        "before = [p['num_threads'] for p in info()]; "
        "import dashboard.ui.effects_page, dashboard.cli; "
        "after = [p['num_threads'] for p in info()]; "
        "assert before == after and max(after) > 1, (before, after)")


def test_one_blas_thread_limits_the_block_and_gives_the_limit_back():
    _in_a_fresh_process("""
import datetime as dt
import scipy.linalg  # both OpenBLAS libraries loaded, numpy's and scipy's
from threadpoolctl import threadpool_info
from dashboard.analysis import effects as ef
from dashboard.demo import generate
from dashboard.store import Store

def blas_threads():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

store = Store(":memory:")
store.save_by_name({"p": generate(days=120, seed=3, end=dt.date(2026, 6, 30)).records})
pid = store.ensure_patient("p")
frames = store.daily(pid), store.sessions(pid), store.doses(pid)
before = blas_threads()
assert len(before) == 2 and before == [2, 2], before
seen = []
real = ef._event_rows
ef._event_rows = lambda *a: seen.append(blas_threads()) or real(*a)
table = ef.event_aligned(*frames)
assert len(table) and seen and all(threads == [1, 1] for threads in seen), seen
with ef.one_blas_thread:
    with ef.one_blas_thread:  # a second caller at once shares the limit
        assert blas_threads() == [1, 1]
    assert blas_threads() == [1, 1]  # the first is still inside
assert blas_threads() == before, blas_threads()
""")
