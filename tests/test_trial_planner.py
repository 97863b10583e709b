"""The trial planner (``analysis.trial_planner``): the diary's own noise, the simulated power
(a closed form, monotone, seeded, and the independent simulation of ``benchmarks/``), and
the smallest design it proposes."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis import trial as tr
from dashboard.analysis import trial_planner as planner

START = dt.date(2026, 1, 5)
NO_DOSES = pd.DataFrame(columns=["time", "drug_class"])
# a diary like the issue's: whole numbers, autocorrelated, about one day in eleven unlogged
REAL = planner.DiaryNoise(mean=5.5, spread=2.0, autocorrelation=0.5, grain=1.0, unlogged=0.09,
                          days=330)
# the textbook case: independent normal days of spread 1, any value, no range, none unlogged
IID = planner.DiaryNoise(5.0, 1.0, 0.0, 0.0, 0.0, 365, -math.inf, math.inf)


def design(**changes) -> tr.TrialDesign:
    return tr.TrialDesign(**{"pressure_a": "light", "pressure_b": "deep", "start": START,
                             "seed": 7, **changes})


def _independent():
    """benchmarks/trial_power.py, written separately from the planner."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "trial_power.py"
    spec = importlib.util.spec_from_file_location("independent_trial_power", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the diary's noise ---------------------------------------------------------------------

def ar1_diary(days=365, mean=5.5, sd=2.0, rho=0.5, unlogged=0.1, seed=3, drift=0.0):
    """Daily pain: an AR(1) wobble around ``mean`` (plus a linear ``drift``), whole numbers
    within 0-10, a share ``unlogged`` of days left out (never the first or the last)."""
    rng = np.random.default_rng(seed)
    wobble = np.empty(days)
    wobble[0] = rng.standard_normal()
    for t in range(1, days):
        wobble[t] = rho * wobble[t - 1] + math.sqrt(1 - rho ** 2) * rng.standard_normal()
    pain = np.clip(np.round(mean + sd * wobble + np.linspace(0, drift, days)), 0, 10)
    kept = rng.random(days) >= unlogged
    kept[[0, -1]] = True
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    return pd.DataFrame({"date": dates[kept], "pain": pain[kept], "sleep_hours": 7.0})


def test_the_noise_is_the_diarys_marginal_spread_its_correlation_grain_and_blanks():
    diary = ar1_diary(days=365)  # its first and last day are logged
    noise = planner.diary_noise(diary, NO_DOSES, "pain_next_day")
    assert noise.grain == 1.0 and noise.days == len(diary) > 300
    assert noise.unlogged == pytest.approx(1 - len(diary) / 365)
    assert noise.spread == pytest.approx(math.sqrt(4 + 1 / 12), rel=0.12)  # rounding adds 1/12
    assert noise.autocorrelation == pytest.approx(0.5 * 4 / (4 + 1 / 12), abs=0.12)
    assert noise.latent_spread == pytest.approx(2.0, rel=0.12)
    assert noise.latent_autocorrelation == pytest.approx(0.5, abs=0.12)
    assert noise.describe("pain_next_day").startswith(f"Your diary over {noise.days} logged days")
    # 200 such year-long diaries: the measures are unbiased to within 3 % and 0.02
    many = [planner.diary_noise(ar1_diary(seed=s), NO_DOSES, "pain_next_day") for s in range(200)]
    assert np.mean([n.latent_spread for n in many]) == pytest.approx(2.0, rel=0.03)
    assert np.mean([n.latent_autocorrelation for n in many]) == pytest.approx(0.5, abs=0.02)
    assert np.mean([n.unlogged for n in many]) == pytest.approx(0.1, abs=0.01)


def test_only_the_last_year_is_measured():
    """Five years ago a month of wild ratings and nothing since, until this year's diary:
    neither the old month nor the years between count (as spread or as unlogged days)."""
    recent = ar1_diary(days=365, unlogged=0.0)
    old = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=30, freq="D"),
                        "pain": [0.0, 10.0] * 15, "sleep_hours": 7.0})
    both = planner.diary_noise(pd.concat([old, recent], ignore_index=True), NO_DOSES,
                               "pain_next_day")
    assert both == planner.diary_noise(recent, NO_DOSES, "pain_next_day")
    assert both.unlogged == 0.0 and both.days == 365


def test_a_slow_drift_counts_as_spread_not_as_nothing():
    """The old planner measured noise around a 29-day running mean, so a drift of 4 points
    over the diary vanished; a period mean is compared with another weeks away, so it counts."""
    drifting = planner.diary_noise(ar1_diary(days=365, rho=0.0, sd=1.0, drift=4.0, unlogged=0),
                                   NO_DOSES, "pain_next_day")
    assert drifting.spread == pytest.approx(math.sqrt(1 + 1 / 12 + 16 / 12), rel=0.1)


def test_a_new_diary_uses_the_stated_typical_one_and_says_so():
    short = planner.diary_noise(ar1_diary(days=30, unlogged=0), NO_DOSES, "pain_next_day")
    assert short == planner.TYPICAL_DIARY["pain_next_day"] and short.days == 0
    said = short.describe("pain_next_day")
    assert "too new to measure" in said and f"under {planner.MIN_NOISE_DAYS} logged days" in said
    assert "spread 1.50" in said and "whole numbers" in said


# --- the simulated power ----------------------------------------------------------------------

@pytest.mark.parametrize("difference", [0.0, 1.0, 2.0])
def test_the_power_of_six_blocks_of_independent_days_has_a_closed_form(difference):
    """With 6 blocks only 'all six block differences on one side' gives p < 0.05 (2/64), so
    with independent normal days the power is P(all > 0) + P(all < 0) exactly."""
    z = difference / math.sqrt(2 / 2)  # a block difference: N(d, 2 sigma^2 / 2 sessions)
    exact = stats.norm.cdf(z) ** 6 + stats.norm.cdf(-z) ** 6
    figure = planner.simulated_power(design(), IID, difference)
    assert figure.lost_share == 0.0
    assert abs(figure.power - exact) < 3 * math.sqrt(exact * (1 - exact) / figure.simulations)
    assert figure.error == pytest.approx(1.96 * math.sqrt(figure.power * (1 - figure.power)
                                                          / figure.simulations), rel=0.01)


def test_the_power_grows_with_the_difference_and_with_the_blocks():
    by_difference = [planner.simulated_power(design(), REAL, d).power for d in (0.5, 1, 1.5, 2, 3)]
    assert by_difference == sorted(by_difference) and by_difference[-1] > by_difference[0] + 0.3
    by_blocks = [planner.simulated_power(design(blocks=b), REAL, 1.5).power for b in (6, 8, 10, 12)]
    assert by_blocks == sorted(by_blocks) and by_blocks[-1] > by_blocks[0] + 0.3


def test_the_figure_is_seeded_and_a_design_too_small_has_none():
    assert planner.simulated_power(design(), REAL, 1.0) == planner.simulated_power(design(), REAL, 1.0)
    assert planner.simulated_power(design(blocks=5), REAL, 3.0).power == 0.0


def test_unlogged_days_lose_blocks_and_whole_numbers_tie_them():
    """One session a period with 9 % of days blank loses at least one of 12 blocks in most
    trials (1 - 0.91^24 = 90 %); none is lost when every day is logged."""
    rng = np.random.default_rng(0)
    lost = planner.simulated_power(design(blocks=12, sessions_per_period=1), REAL, 1.0).lost_share
    assert lost == pytest.approx(1 - 0.91 ** 24, abs=0.03)
    full = planner.DiaryNoise(5.5, 2.0, 0.5, 1.0, 0.0, 330)
    assert planner.simulated_power(design(), full, 1.0).lost_share == 0.0
    d = planner.simulated_block_differences(design(), full, 0.0, 2000, rng)
    assert np.all(np.abs(d * 2 - np.round(d * 2)) < 1e-9)  # means of two whole numbers
    assert np.mean(d == 0) > 0.1  # ties: a block difference of exactly 0


def test_the_old_planners_promise_is_gone():
    """Issue 22: for 6 x 2 and 2.5 points the old planner said 81 % at its 1.37-point 'noise';
    in a diary like REAL the same schedule finds it in far fewer trials."""
    assert planner.simulated_power(design(), REAL, 2.5).power < 0.45


@pytest.mark.parametrize("blocks, per_period, difference", [(6, 2, 2.5), (8, 2, 1.0),
                                                            (12, 1, 2.5), (8, 2, 2.5)])
def test_the_planner_agrees_with_the_independent_simulation(blocks, per_period, difference):
    """Within 0.05 (the issue's bound; the two Monte Carlo errors together are about 0.02)."""
    independent = _independent()
    truth = {"mean": 5.5, "sd": 2.0, "rho": 0.5, "unlogged": 0.09}
    theirs = independent.independent_power(blocks, per_period, 4, difference, **truth,
                                           trials=1500, seed=blocks * 31 + per_period)
    ours = independent.planner_power(blocks, per_period, 4, difference,
                                     independent.true_noise(**truth))
    assert abs(ours - theirs) < 0.05, (ours, theirs)


# --- the smallest design -------------------------------------------------------------------

def test_the_planner_proposes_the_smallest_design_reaching_80_percent():
    proposal = planner.propose_design(design(), REAL, 2.5)
    assert proposal.reached and proposal.power >= planner.TARGET_POWER
    assert proposal.blocks * proposal.sessions_per_period > 12  # more than the 6 x 2 asked
    smaller = [d for d in planner.candidate_designs(design())
               if d.blocks * d.sessions_per_period < proposal.blocks * proposal.sessions_per_period]
    assert smaller and all(planner.simulated_power(d, REAL, 2.5).power < planner.TARGET_POWER
                           for d in smaller)
    said = proposal.sentence(design(), 2.5)
    assert said.startswith("The smallest design reaching 80 % power for 2.5 points (0-10): "
                           f"{proposal.blocks} blocks ×")


def test_the_planner_says_plainly_when_no_design_of_reasonable_length_can():
    proposal = planner.propose_design(design(), REAL, 1.0)
    assert not proposal.reached and proposal.power < planner.TARGET_POWER
    said = proposal.sentence(design(), 1.0)
    assert said.startswith("No design of reasonable length reaches 80 % power for 1 point")
    assert "up to 16 blocks, 3 sessions per period and 26 weeks" in said
    assert f"reaches {100 * proposal.power:.0f} %" in said


def test_the_check_says_power_its_error_the_diary_and_the_proposal():
    d = design()
    check = planner.check_plan(d, tr.schedule(d), REAL, 2.5)
    said = " ".join(check.sentences(d))
    assert f"in about {100 * check.power.power:.0f} % of trials (± {100 * check.power.error:.0f} %" in said
    assert "4000 simulated trials" in said and "Your diary over 330 logged days" in said
    assert "at least one period had no logged outcome" in said
    assert "The smallest design reaching 80 %" in said
    values = check.to_dict()
    assert values["proposal"]["blocks"] == check.proposal.blocks
    assert values["noise"] == values["diary"]["spread"] == 2.0 and values["seed"] == planner.POWER_SEED
