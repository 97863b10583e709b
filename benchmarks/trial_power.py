"""The trial planner's power against an independent simulation of the same schedule.

The independent simulation below is written from scratch and shares no code with
``dashboard.analysis`` (it imports the planner only to ask for the planner's figure):

* a diary day by day: pain = mean + an AR(1) wobble (spread ``sd``, lag-1 correlation
  ``rho``), the second pressure ``difference`` points lower on the day after each of its
  sessions, rounded to whole numbers, kept within 0-10, a share ``unlogged`` of days blank;
* the schedule from its description: each block two periods of ``per_period`` sessions
  ``every`` days apart, the order of each block a fair coin, the next period at least four
  days after a period's last session (the next-day rating, then two days without sessions);
* the analysis: the mean of each period's logged next-day ratings, blocks with both periods
  measured, their differences, and the exact two-sided randomization test computed as a
  distribution (the block differences are multiples of 1/6 with whole-number ratings and up
  to three sessions a period, so the sum over sign flips is counted on integers by
  convolution: a different algorithm from the dashboard's meet-in-the-middle).

The planner's figure is shown twice: from the true parameters, and as ``fibro trial plan``
would show it, measured (``diary_noise``) in invented year-long diaries with those
parameters (median and 10-90 % range over ``DIARIES`` diaries), which adds the error of
measuring a diary (its spread is off by about 5 % in a year, one standard deviation).

    python benchmarks/trial_power.py [--trials 4000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import time

import numpy as np
import pandas as pd

SCALE = 6  # lcm(1, 2, 3): block differences of whole-number ratings are multiples of 1/6


def independent_power(blocks: int, per_period: int, every: int, difference: float, *, mean: float,
                      sd: float, rho: float, unlogged: float, trials: int, seed: int,
                      alpha: float = 0.05) -> float:
    """The share of simulated trials with p < ``alpha`` (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    session_days, day = [], 0
    for _period in range(2 * blocks):
        for k in range(per_period):
            session_days.append(day)
            day += every if k < per_period - 1 else max(every, 4)
    rating_days = np.array(session_days) + 1
    n_days = int(rating_days[-1]) + 1
    wobble = np.empty((trials, n_days))
    wobble[:, 0] = rng.standard_normal(trials)
    for t in range(1, n_days):
        wobble[:, t] = rho * wobble[:, t - 1] + math.sqrt(1 - rho ** 2) * rng.standard_normal(trials)
    b_first = rng.integers(0, 2, size=(trials, blocks)).astype(bool)
    period_b = np.empty((trials, 2 * blocks), dtype=bool)
    period_b[:, 0::2], period_b[:, 1::2] = b_first, ~b_first
    rating_b = np.repeat(period_b, per_period, axis=1)
    pain = np.clip(np.round(mean + sd * wobble[:, rating_days] - difference * rating_b), 0, 10)
    blank = rng.random((trials, n_days))[:, rating_days] < unlogged
    hits = 0
    for t in range(trials):
        sums = np.zeros((blocks, 2))
        counts = np.zeros((blocks, 2))
        for j, d in enumerate(rating_days):
            if blank[t, j]:
                continue
            block, is_b = (j // per_period) // 2, rating_b[t, j]
            sums[block, int(is_b)] += pain[t, j]
            counts[block, int(is_b)] += 1
        measured = (counts > 0).all(axis=1)
        if measured.sum() < 2:
            continue
        means = sums[measured] / counts[measured]
        scaled = np.rint((means[:, 1] - means[:, 0]) * SCALE).astype(int)
        hits += exact_p(scaled) < alpha
    return hits / trials


def exact_p(values: np.ndarray) -> float:
    """Two-sided p of the sign-flip test on integers: the share of the 2^k signed sums at
    least as far from 0 as the observed sum, from their distribution (built by convolution)."""
    total = int(np.abs(values).sum())
    counts = np.zeros(2 * total + 1)
    counts[total] = 1.0  # index = sum + total
    for v in np.abs(values):
        v = int(v)
        if v == 0:
            counts = counts * 2
            continue
        counts = np.roll(counts, v) + np.roll(counts, -v)  # never wraps: |sum| <= total
    observed = abs(int(values.sum()))
    sums = np.arange(-total, total + 1)
    return float(counts[np.abs(sums) >= observed].sum() / 2 ** len(values))


def year_diary(*, mean: float, sd: float, rho: float, unlogged: float, seed: int) -> pd.DataFrame:
    """A year of daily pain with the same parameters (whole numbers, 0-10, some days blank)."""
    rng = np.random.default_rng(seed)
    wobble = np.empty(365)
    wobble[0] = rng.standard_normal()
    for t in range(1, 365):
        wobble[t] = rho * wobble[t - 1] + math.sqrt(1 - rho ** 2) * rng.standard_normal()
    pain = np.clip(np.round(mean + sd * wobble), 0, 10)
    days = pd.date_range("2025-01-01", periods=365, freq="D")
    kept = rng.random(365) >= unlogged
    return pd.DataFrame({"date": days[kept], "pain": pain[kept], "sleep_hours": 7.0})


SCENARIOS = {
    "A": {"mean": 5.5, "sd": 2.0, "rho": 0.5, "unlogged": 0.09, "every": 4},
    "B": {"mean": 6.0, "sd": 1.5, "rho": 0.7, "unlogged": 0.05, "every": 2},
}
DESIGNS = [(6, 2), (8, 2), (12, 1), (16, 1), (10, 2), (12, 2), (6, 3)]
DIFFERENCES = (1.0, 2.5)
DIARIES = 20  # year-long diaries measured per scenario (seeds 0-19)


def planner_power(blocks: int, per_period: int, every: int, difference: float, noise) -> float:
    from dashboard.analysis import trial as tr
    from dashboard.analysis import trial_planner as planner

    design = tr.TrialDesign("light", "deep", blocks=blocks, sessions_per_period=per_period,
                            every_days=every, start=dt.date(2026, 1, 5), seed=blocks)
    return planner.simulated_power(design, noise, difference).power


def true_noise(mean: float, sd: float, rho: float, unlogged: float):
    """The planner's description of a diary with these true parameters: whole numbers add
    1/12 to the variance of what is logged and lower its day-to-day correlation."""
    from dashboard.analysis import trial_planner as planner

    logged_var = sd ** 2 + 1 / 12
    return planner.DiaryNoise(mean, math.sqrt(logged_var), rho * sd ** 2 / logged_var, 1.0,
                              unlogged, 365)


def main() -> None:
    from dashboard.analysis import trial as tr
    from dashboard.analysis import trial_planner as planner

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows, described = [], {}
    no_doses = pd.DataFrame(columns=["time", "drug_class"])
    for name, sc in SCENARIOS.items():
        params = {k: sc[k] for k in ("mean", "sd", "rho", "unlogged")}
        diaries = [planner.diary_noise(year_diary(**params, seed=s), no_doses, "pain_next_day")
                   for s in range(DIARIES)]
        measured = diaries[0]
        described[name] = measured.describe("pain_next_day")
        for blocks, per in DESIGNS:
            for diff in DIFFERENCES:
                seed = 1000 * blocks + 10 * per + int(diff * 10)
                began = time.perf_counter()
                ind = independent_power(blocks, per, sc["every"], diff, **params,
                                        trials=args.trials, seed=seed)
                ind_s = time.perf_counter() - began
                began = time.perf_counter()
                at_truth = planner_power(blocks, per, sc["every"], diff, true_noise(**params))
                plan_s = time.perf_counter() - began
                from_diaries = [planner_power(blocks, per, sc["every"], diff, n) for n in diaries]
                rows.append({"scenario": name, "blocks": blocks, "per_period": per,
                             "difference": diff, "independent": ind, "seed": seed,
                             "planner_true": at_truth,
                             "planner_diaries": [float(x) for x in
                                                 np.percentile(from_diaries, [10, 50, 90])],
                             "independent_s": ind_s, "planner_s": plan_s})
    design = tr.TrialDesign("light", "deep", start=dt.date(2026, 1, 5), seed=1)
    began = time.perf_counter()
    check = planner.check_plan(design, tr.schedule(design), measured, 1.0)
    plan_seconds = time.perf_counter() - began
    if args.json:
        print(json.dumps({"rows": rows, "check_plan_s": plan_seconds,
                          "measured": measured.to_dict()}, indent=2))
        return
    print(f"{args.trials} independent trials a row (seed in the table); planner "
          f"{planner.POWER_SIMULATIONS} simulated trials, seed {planner.POWER_SEED}")
    for name, sc in SCENARIOS.items():
        print(f"scenario {name}: {sc}")
    for name, said in described.items():
        print(f"scenario {name}'s year diary (seed 0) as the planner measures it: {said}")
    print("| scenario | design | difference | independent | planner (true parameters) | "
          f"planner - independent | planner from {DIARIES} measured year diaries: median "
          "[10 %, 90 %] |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {r['blocks']} × {r['per_period']} | {r['difference']:g} | "
              f"{r['independent']:.3f} (seed {r['seed']}) | {r['planner_true']:.3f} | "
              f"{r['planner_true'] - r['independent']:+.3f} | {r['planner_diaries'][1]:.3f} "
              f"[{r['planner_diaries'][0]:.3f}, {r['planner_diaries'][2]:.3f}] |")
    worst = max(abs(r["planner_true"] - r["independent"]) for r in rows)
    print(f"largest |planner - independent|: {worst:.3f}; independent simulation "
          f"{sum(r['independent_s'] for r in rows):.0f} s in all, planner "
          f"{1000 * sum(r['planner_s'] for r in rows) / len(rows):.0f} ms a design")
    print(f"check_plan (power + proposal search) for 6 × 2 at 1 point: {plan_seconds:.2f} s "
          f"-> {check.proposal}")


if __name__ == "__main__":
    main()
