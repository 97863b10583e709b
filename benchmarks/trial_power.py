"""Power and false-positive rate of the n-of-1 trial, measured on simulated trials.

Each simulated trial runs the whole analysis the CLI runs: the planner's schedule (AB/BA
per block from a seed), an invented diary that follows it (pain 5 + day-to-day noise of
1 point, plus the true difference on the day after each session of the second pressure),
matching sessions to the plan, block differences and the randomization test.  The share of
trials with p < 0.05 is reported with its Wilson 95 % interval beside the planner's power
figure for the same design; with no difference it is the false-positive rate.

    python benchmarks/trial_power.py [--simulations 400] [--json]

Rows with ``rho`` > 0 repeat a design with autocorrelated days (AR(1)), which the planner's
model (independent days) does not assume: they show how far its figure can be off.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import time

import pandas as pd

from dashboard.analysis import trial as tr

NO_DOSES = pd.DataFrame(columns=["time", "drug_class"])
DESIGNS = [(6, 0.0, 0.0), (6, 1.0, 0.0), (6, 2.0, 0.0), (8, 0.0, 0.0), (8, 1.0, 0.0),
           (8, 2.0, 0.0), (6, 0.0, 0.5), (6, 2.0, 0.5)]


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score 95 % interval of a proportion."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def measure(blocks: int, difference: float, rho: float, simulations: int) -> dict:
    design = tr.TrialDesign("light", "deep", blocks=blocks, sessions_per_period=2,
                            start=dt.date(2026, 1, 5), every_days=4, seed=blocks)
    plan = tr.schedule(design)
    hits, estimates, seconds = 0, [], 0.0
    for seed in range(simulations):
        daily, sessions = tr.simulated_diary(plan, difference, noise=1.0, rho=rho,
                                             pressure_with_effect="deep", seed=seed)
        began = time.perf_counter()
        progress = tr.progress(design, plan, daily, sessions, NO_DOSES, today=dt.date(2026, 12, 1))
        result = tr.trial_result(design, progress)
        seconds += time.perf_counter() - began
        hits += result["p_value"] < tr.ALPHA
        estimates.append(result["estimate"])
    low, high = wilson(hits, simulations)
    return {"blocks": blocks, "difference": difference, "rho": rho, "simulations": simulations,
            "rate": hits / simulations, "ci_low": low, "ci_high": high,
            "planner_power": tr.power(blocks, 2, difference, 1.0),
            "mean_estimate": sum(estimates) / len(estimates),
            "ms_per_analysis": 1000 * seconds / simulations}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=400)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(b, d, r, args.simulations) for b, d, r in DESIGNS]
    began = time.perf_counter()
    tr.power(8, 2, 1.0, 1.0)
    planner_ms = 1000 * (time.perf_counter() - began)
    if args.json:
        print(json.dumps({"rows": rows, "planner_power_ms_8_blocks": planner_ms}, indent=2))
        return
    print(f"{args.simulations} simulated trials per row; 2 sessions per period, noise 1 point; "
          "p < 0.05 by the randomization test")
    print("| blocks | true difference | day-to-day correlation | share with p < 0.05 "
          "[95 % interval] | planner's power | mean estimate | ms per analysis |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        what = "false positives" if r["difference"] == 0 else "power"
        print(f"| {r['blocks']} | {r['difference']:g} | {r['rho']:g} | {r['rate']:.3f} "
              f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] ({what}) | {r['planner_power']:.3f} | "
              f"{r['mean_estimate']:+.2f} | {r['ms_per_analysis']:.0f} |")
    print(f"planner's power figure for 8 blocks: {planner_ms:.0f} ms")


if __name__ == "__main__":
    main()
