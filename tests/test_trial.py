"""The n-of-1 trial's statistics (``analysis.trial``): known answers, then simulated trials.

The simulated trials run the whole analysis (schedule -> invented diary following it ->
matching -> block differences -> randomization test), not a shortcut of it; the
benchmark ``benchmarks/trial_power.py`` does the same with more simulations.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis import trial as tr
from dashboard.analysis import trial_planner as planner

START = dt.date(2026, 1, 5)
TODAY = dt.date(2026, 11, 30)
NO_DOSES = pd.DataFrame(columns=["time", "drug_class"])


def design(**changes) -> tr.TrialDesign:
    return tr.TrialDesign(**{"pressure_a": "light", "pressure_b": "deep", "start": START,
                             "seed": 7, **changes})


# --- the plan ----------------------------------------------------------------------------

def test_each_block_holds_one_period_of_each_pressure_in_a_seeded_random_order():
    d = design(blocks=8)
    plan = tr.schedule(d)
    assert len(plan) == 8 * 2 * 2
    for _block, part in plan.groupby("block"):
        assert sorted(set(part["pressure"])) == ["deep", "light"]
        assert part.groupby("period")["pressure"].nunique().eq(1).all()
    assert tr.schedule(design(blocks=8)).equals(plan)  # the seed reproduces it
    orders = {tuple(tr.block_orders(design(blocks=8, seed=s))) for s in range(20)}
    assert len(orders) > 10  # different seeds, different orders


def test_the_orders_are_fair_coins():
    firsts = [order[0] for s in range(400) for order in tr.block_orders(design(seed=s))]
    share = firsts.count("deep") / len(firsts)
    assert stats.binomtest(firsts.count("deep"), len(firsts)).pvalue > 0.001, share


def test_sessions_keep_their_rhythm_and_periods_a_washout_of_two_days():
    for outcome, every in (("pain_next_day", 2), ("pain_next_day", 4), ("doses_48h", 3)):
        d = design(outcome=outcome, every_days=every)
        plan = tr.schedule(d)
        days = pd.to_datetime(plan["date"])
        gaps = days.diff().dt.days.iloc[1:].to_numpy()
        new_period = (plan["period"].diff().fillna(0) != 0).to_numpy()[1:]
        assert (gaps[~new_period] == every).all()
        free_days = gaps[new_period] - 1 - tr.OUTCOME_DAYS[outcome]  # after the outcome
        assert (free_days >= tr.WASHOUT_DAYS).all(), (outcome, every, gaps)


def test_a_design_is_checked_field_by_field():
    assert design().validate() == {}
    problems = design(pressure_b="light", blocks=1, every_days=1, area="tail",
                      outcome="mood").validate()
    assert set(problems) == {"pressure_b", "blocks", "every_days", "area", "outcome"}
    assert "every_days" in design(outcome="doses_48h", every_days=2).validate()
    assert "pressure_a" in design(pressure_a="unknown").validate()


@pytest.mark.parametrize("blocks, smallest", [(4, 1 / 8), (5, 1 / 16), (6, 1 / 32), (8, 1 / 128)])
def test_the_smallest_reachable_p_value_is_two_out_of_all_allocations(blocks, smallest):
    assert tr.allocations(blocks) == 2 ** blocks
    assert tr.smallest_p_value(blocks) == pytest.approx(smallest)
    assert tr.can_reach_significance(blocks) == (smallest < 0.05)


def test_a_design_that_cannot_reach_significance_is_warned_about():
    d = design(blocks=4)
    typical = planner.TYPICAL_DIARY["pain_next_day"]
    check = planner.check_plan(d, tr.schedule(d), typical)
    assert "16 orders" in check.warning() and "0.125" in check.warning()
    assert check.power.power == 0.0 and check.sentences(d)[0] == check.warning()
    d6 = design()
    assert planner.check_plan(d6, tr.schedule(d6), typical).warning() is None


# --- the randomization test ----------------------------------------------------------------

def test_the_exact_p_value_counts_allocations_by_hand():
    # blocks +1, +2, -0.5 sum to 2.5; flipping orders gives sums of +-3.5, +-2.5, +-1.5, +-0.5,
    # and 4 of the 8 are at least 2.5 away from 0
    d = np.array([1.0, 2.0, -0.5])
    means = [abs(np.dot(s, d)) / 3 for s in itertools.product((1, -1), repeat=3)]
    assert sum(m >= abs(d.mean()) - 1e-12 for m in means) == 4
    assert tr.randomization_p_value(d) == pytest.approx(4 / 8)
    assert tr.randomization_p_value(np.array([1.0, 1.2, 0.9, 1.1, 0.8, 1.3])) == pytest.approx(2 / 64)


def test_beyond_the_exact_limit_the_p_value_is_drawn_and_seeded():
    d = np.random.default_rng(1).normal(0.3, 1, size=tr.EXACT_UP_TO_BLOCKS + 2)
    p = tr.randomization_p_value(d, seed=5)
    assert p == tr.randomization_p_value(d, seed=5)
    t_p = stats.ttest_1samp(d, 0).pvalue  # a large-sample cousin of the same test
    assert abs(p - t_p) < 0.1


# --- matching sessions to the plan ------------------------------------------------------------

def sessions_at(rows) -> pd.DataFrame:
    return pd.DataFrame([{"id": i, "start": pd.Timestamp(when), "pressure": p, "areas": a}
                         for i, (when, p, a) in enumerate(rows, start=1)])


def test_sessions_near_a_planned_date_are_matched_and_other_pressures_are_deviations():
    d = design(blocks=2, area="neck")
    plan = tr.schedule(d)
    first, second, third = (pd.Timestamp(x) for x in plan["date"][:3])
    logged = sessions_at([
        (first + pd.Timedelta(hours=17), plan["pressure"][0], "neck"),  # as planned
        (second + pd.Timedelta(days=1, hours=9), "moderate", "neck"),  # a day late, other pressure
        (third + pd.Timedelta(hours=10), plan["pressure"][2], "feet"),  # the area not treated
        (third + pd.Timedelta(days=2, hours=10), "deep", "neck"),  # between dates: unplanned
    ])
    slots, unplanned = tr.match_sessions(d, plan, logged, today=plan["date"][4] + dt.timedelta(days=3))
    assert slots["status"].tolist()[:6] == ["given", "deviation", "given", "missed", "missed",
                                             "ahead"]
    assert slots["deviation"][1] == f"moderate instead of {plan['pressure'][1]}"
    assert slots["deviation"][2] == "" and slots["note"][2] == "neck not among its areas"
    assert unplanned["start"].tolist() == [third + pd.Timedelta(days=2, hours=10)]
    stopped = tr.match_sessions(d, plan, logged, today=plan["date"][4] + dt.timedelta(days=3),
                                stopped_on=plan["date"][5])[0]
    assert stopped["status"].tolist()[5:] == ["stopped"] * (len(plan) - 5)


def run_trial(plan, d, effect, seed, follow=1.0, rho=0.0):
    daily, sessions = tr.simulated_diary(plan, effect, pressure_with_effect=d.pressure_b,
                                         follow=follow, rho=rho, seed=seed)
    prog = tr.progress(d, plan, daily, sessions, NO_DOSES, today=TODAY)
    return tr.trial_result(d, prog), prog


def test_a_followed_trial_gives_the_effect_with_its_numbers_behind_it():
    d = design()
    result, prog = run_trial(tr.schedule(d), d, effect=2.0, seed=4)
    assert result["complete"] and not result["stopped_early"]
    assert result["n_sessions"] == {"light": 12, "deep": 12} and result["n_blocks"] == 6
    assert result["ci_low"] < 2.0 < result["ci_high"]
    assert result["ci_low"] < result["estimate"] < result["ci_high"]
    assert len(result["blocks"]) == 6 and "per_protocol" not in result
    assert "suggests" in result["sentence"] and "caused" not in result["sentence"]


def test_deviations_give_an_intention_to_treat_and_a_per_protocol_result():
    d = design(blocks=8)
    result, prog = run_trial(tr.schedule(d), d, effect=2.0, seed=2, follow=0.85)
    assert result["deviations"] == prog.counts()["deviation"] > 0
    pp = result["per_protocol"]
    assert sum(pp["n_sessions"].values()) == sum(result["n_sessions"].values()) - result["deviations"]
    # a session of the other pressure dilutes the planned contrast: ITT is the smaller one
    assert pp["estimate"] > result["estimate"] > 0


def test_stopping_early_is_said_and_uses_the_finished_blocks():
    d = design()
    plan = tr.schedule(d)
    daily, sessions = tr.simulated_diary(plan, 2.0, pressure_with_effect="deep", seed=1)
    stop = pd.Timestamp(plan.loc[plan["block"] == 4, "date"].min()).date()
    prog = tr.progress(d, plan, daily, sessions[sessions["start"].dt.date < stop], NO_DOSES,
                       today=TODAY, stopped_on=stop)
    result = tr.trial_result(d, prog)
    assert result["stopped_early"] and not result["complete"] and result["n_blocks"] == 3
    assert "stopped early" in result["sentence"] and "no result could reach" in result["sentence"]


def test_no_estimate_below_two_blocks():
    d = design()
    plan = tr.schedule(d)
    daily, sessions = tr.simulated_diary(plan, 2.0, pressure_with_effect="deep", seed=1)
    prog = tr.progress(d, plan, daily, sessions.head(4), NO_DOSES, today=plan["date"][5])
    result = tr.trial_result(d, prog)
    assert result["estimate"] is None and result["p_value"] is None
    assert result["sentence"].startswith("Not enough data yet")
    assert prog.next_session()["block"] == 2 and not result["complete"]
    assert tr.next_session_text(prog.next_session()).startswith(
        f"next session: {plan['pressure'][5]} pressure (block 2, period 1)")


def test_the_doses_outcome_counts_as_needed_doses_in_the_48_hours_after():
    d = design(outcome="doses_48h", blocks=2, every_days=4)
    plan = tr.schedule(d)
    start = pd.Timestamp(plan["date"][0]) + pd.Timedelta(hours=17)
    logged = sessions_at([(start, plan["pressure"][0], "neck")])
    doses = pd.DataFrame({"time": [start + pd.Timedelta(hours=h) for h in (-1, 2, 30, 47, 49)],
                          "drug_class": ["nsaid", "nsaid", "antidepressant", "simple_analgesic",
                                         "nsaid"]})
    daily = pd.DataFrame({"date": pd.date_range(plan["date"][0], periods=10), "pain": 5.0,
                          "sleep_hours": 7.0})
    prog = tr.progress(d, plan, daily, logged, doses, today=TODAY)
    assert prog.slots["outcome"][0] == 2  # 2 h and 47 h; not the preventive, not before, not 49 h


# --- simulated trials: power and false positives ------------------------------------------------

SIMULATIONS = 100


def simulated_rate(blocks: int, effect: float, simulations: int = SIMULATIONS, start_seed=0):
    d = design(blocks=blocks)
    plan = tr.schedule(d)
    hits = [run_trial(plan, d, effect, seed=start_seed + s)[0]["p_value"] < 0.05
            for s in range(simulations)]
    return sum(hits)


def test_a_two_point_difference_is_found_in_most_simulated_trials_of_six_blocks():
    found = simulated_rate(6, 2.0)
    assert found / SIMULATIONS > 0.75, found


def test_no_difference_gives_p_below_005_in_at_most_about_5_percent():
    """The randomization test's false-positive rate is 2/64 = 3.1 % by construction with six
    blocks; 100 simulated trials must not contradict 5 % (one-sided binomial test at 0.001)."""
    false = simulated_rate(6, 0.0, start_seed=10_000)
    assert stats.binomtest(false, SIMULATIONS, 0.05, alternative="greater").pvalue > 0.001, false


@pytest.mark.parametrize("blocks, effect", [(6, 1.0), (8, 1.0), (8, 2.0)])
def test_the_planners_power_agrees_with_simulated_trials(blocks, effect):
    """Two-sided binomial test at 0.001 of the simulated hits against the planner's figure
    (its own simulation error, about 0.008, is small beside 100 trials' 0.05)."""
    # the invented diary: pain 5 + independent noise of 1 point, any value, nothing unlogged
    noise = planner.DiaryNoise(5.0, 1.0, 0.0, 0.0, 0.0, 365)
    planned = planner.simulated_power(design(blocks=blocks), noise, effect).power
    hits = simulated_rate(blocks, effect, start_seed=20_000 + blocks * 100)
    assert stats.binomtest(hits, SIMULATIONS, planned).pvalue > 0.001, (hits, planned)
