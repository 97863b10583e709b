"""How often the Effects analysis finds what is not there, and whether its intervals cover.

Simulates diaries shaped like real ones, written here from scratch (not ``dashboard.demo``):
daily pain an AR(1) process (coefficient drawn from 0.5-0.85) with flares, rated as whole
numbers 0-10; per-area pain; sleep hours and quality that follow pain; as-needed doses
that follow pain; 4-10 % of days without a check-in.  Sessions every 5-9 days, pressure
light / moderate / deep, 1-3 areas; booking either at random or "on bad days": half the
sessions moved to the worst-rated day within two days of the planned one (``--booking``).

Three tables (markdown, to ``benchmarks/effects_honesty.md`` with ``--write``):

1. null diaries (massage changes nothing): share with any finding (any row reading lower
   or higher in ``effects_table`` or ``deep_vs_light``, as the Effects page, `fibro
   effects` and the therapist's view show them), by booking;
2. coverage of the 95 % intervals of the primary rows (one pressure, all areas) at a
   known effect, by number of sessions (5-50), random and bad-day booking;
3. power: diaries with the hidden effects of ``dashboard.demo.BUILT_IN_EFFECTS`` scaled
   by 1 and 0.5, share in which each primary effect is found with the right sign.

Run: ``python benchmarks/effects_honesty.py --diaries 400 --write`` (about 5 minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.analysis import effects as ef

AREAS = ("neck", "shoulders", "upper_back", "lower_back", "hips", "legs")
LOGGED_AREAS = ("neck", "shoulders", "lower_back")
PRESSURES = ("light", "moderate", "deep")


def simulate(rng: np.random.Generator, days: int, booking: str = "random",
             next_day: dict | None = None, immediate: dict | None = None,
             pressures=PRESSURES, every=(5, 9)):
    """One diary as the three frames ``Store.daily/sessions/doses`` return."""
    next_day, immediate = next_day or {}, immediate or {}
    phi = rng.uniform(0.5, 0.85)
    level = rng.uniform(3.5, 6.5)
    noise = rng.normal(0, rng.uniform(0.6, 1.1), days)
    latent = np.zeros(days)
    for i in range(1, days):
        latent[i] = phi * latent[i - 1] + noise[i]
    flares = np.zeros(days)
    for start in np.flatnonzero(rng.random(days) < 1 / 45):
        flares[start:start + rng.integers(3, 8)] = rng.uniform(1.5, 3)
    pain = level + latent + flares
    rated = np.clip(np.round(pain + rng.normal(0, 0.4, days)), 0, 10)

    planned, day = [], int(rng.integers(0, 5))
    while day < days - 3:
        planned.append(day)
        day += int(rng.integers(every[0], every[1] + 1))
    chosen = []
    for p in planned:
        if booking == "bad" and rng.random() < 0.5:
            window = np.arange(max(p - 2, 0), min(p + 3, days - 3))
            worst = window[rated[window] == rated[window].max()]
            p = int(rng.choice(worst))
        if not chosen or p > chosen[-1]:
            chosen.append(p)
    shift = np.zeros(days)
    session_rows = []
    start_date = dt.date(2025, 1, 1)
    for d in chosen:
        pressure = str(rng.choice(pressures))
        areas = tuple(sorted(rng.choice(AREAS, size=int(rng.integers(1, 4)), replace=False)))
        before = float(np.clip(np.round(pain[d] + rng.normal(0, 0.5)), 0, 10))
        after = float(np.clip(np.round(before + immediate.get(pressure, 0.0)
                                       + rng.normal(0, 0.6)), 0, 10))
        shift[d + 1] += next_day.get(pressure, 0.0)
        hour = int(rng.choice([9, 11, 14, 17]))
        session_rows.append(dict(
            start=pd.Timestamp(start_date + dt.timedelta(days=d)) + pd.Timedelta(hours=hour),
            pressure=pressure, areas=";".join(areas), pain_before=before, pain_after=after))
    pain_after_effects = pain + shift
    rated = np.clip(np.round(pain_after_effects + rng.normal(0, 0.4, days)), 0, 10)
    sleep = np.clip(6.5 - 0.3 * (pain - level) + rng.normal(0, 0.7, days), 0, 12).round(1)
    quality = np.clip(np.round(5 - 0.4 * (pain - level) + rng.normal(0, 1, days)), 0, 10)
    logged = rng.random(days) > rng.uniform(0.04, 0.10)
    dates = pd.to_datetime([start_date + dt.timedelta(days=i) for i in range(days)])
    daily = pd.DataFrame({"date": dates, "pain": rated, "sleep_hours": sleep,
                          "sleep_quality": quality})
    for area in LOGGED_AREAS:
        daily[f"pain_{area}"] = np.clip(np.round(pain_after_effects + rng.normal(0, 0.7, days)),
                                        0, 10)
    daily = daily[logged].reset_index(drop=True)
    dose_rows = []
    for i in range(days):
        for k in range(min(4, rng.poisson(max(0.0, 0.5 * (pain_after_effects[i] - 4))))):
            dose_rows.append(dict(time=dates[i] + pd.Timedelta(hours=8 + 4 * k),
                                  drug_class="simple_analgesic"))
    sessions = pd.DataFrame(session_rows, columns=["start", "pressure", "areas", "pain_before",
                                                   "pain_after"])
    doses = pd.DataFrame(dose_rows, columns=["time", "drug_class"])
    return daily, sessions, doses


def _frames_like_store(daily, sessions, doses):
    """The frames as ``Store`` returns them (areas ';'-joined, as here)."""
    return daily, sessions, doses


def findings(frames) -> int:
    effects = ef.effects_table(*frames)
    comparisons = ef.deep_vs_light(*frames)
    readings = pd.concat([effects["reading"], comparisons["reading"]])
    return int(readings.isin([ef.LOWER, ef.HIGHER]).sum())


def null_table(rng, diaries: int) -> list[dict]:
    rows = []
    for booking in ("random", "bad"):
        any_finding, lower, higher, rows_read = 0, 0, 0, 0
        for _ in range(diaries):
            frames = _frames_like_store(*simulate(rng, 365, booking))
            effects = ef.effects_table(*frames)
            comparisons = ef.deep_vs_light(*frames)
            readings = pd.concat([effects["reading"], comparisons["reading"]])
            found = readings.isin([ef.LOWER, ef.HIGHER])
            any_finding += bool(found.any())
            lower += int((readings == ef.LOWER).sum())
            higher += int((readings == ef.HIGHER).sum())
            rows_read += len(readings)
        rows.append(dict(booking=booking, diaries=diaries,
                         any_finding=f"{any_finding / diaries:.1%}",
                         lower_rows=lower, higher_rows=higher,
                         rows_per_diary=round(rows_read / diaries)))
    return rows


def coverage_table(rng, diaries: int, targets=(5, 10, 25, 50)) -> list[dict]:
    """One pressure ('moderate'), a true effect of -1.0 next day and -1.5 right after."""
    rows = []
    for booking in ("random", "bad"):
        for target in targets:
            days = int(target * 7)
            hits = {o: [] for o in ef.PRIMARY_OUTCOMES}
            widths = {o: [] for o in ef.PRIMARY_OUTCOMES}
            ns = []
            truth = {"pain_change_immediate": -1.5, "pain_next_day": -1.0}
            for _ in range(diaries):
                frames = _frames_like_store(*simulate(
                    rng, days, booking, next_day={"moderate": -1.0},
                    immediate={"moderate": -1.5}, pressures=("moderate",)))
                table = ef.effects_table(*frames, areas=[ef.ALL_AREAS])
                for outcome in ef.PRIMARY_OUTCOMES:
                    row = table[table["outcome"] == outcome].iloc[0]
                    if np.isnan(row["estimate"]):
                        continue
                    hits[outcome].append(row["ci_low"] <= truth[outcome] <= row["ci_high"])
                    widths[outcome].append(row["ci_high"] - row["ci_low"])
                    if outcome == "pain_next_day":
                        ns.append(row["n_sessions"])
            rows.append(dict(
                booking=booking, sessions=f"{min(ns)}-{max(ns)} (median {int(np.median(ns))})",
                diaries=diaries,
                cover_immediate=f"{np.mean(hits['pain_change_immediate']):.1%}",
                cover_next_day=f"{np.mean(hits['pain_next_day']):.1%}",
                width_next_day=f"{np.mean(widths['pain_next_day']):.2f}"))
    return rows


def power_table(rng, diaries: int) -> list[dict]:
    from dashboard.demo import BUILT_IN_EFFECTS
    rows = []
    for scale in (1.0, 0.5):
        next_day = {p: v * scale for p, v in BUILT_IN_EFFECTS["pain_next_day"].items()}
        immediate = {p: v * scale for p, v in BUILT_IN_EFFECTS["pain_change_immediate"].items()}
        found: dict[str, int] = {}
        for _ in range(diaries):
            frames = _frames_like_store(*simulate(rng, 548, "random", next_day, immediate))
            table = ef.effects_table(*frames, areas=[ef.ALL_AREAS])
            for r in table[table["primary"]].itertuples():
                truth = (next_day if r.outcome == "pain_next_day" else immediate)[r.pressure]
                right = ef.LOWER if truth < 0 else ef.HIGHER
                key = f"{r.pressure} {r.outcome} ({truth:+.2f})"
                found[key] = found.get(key, 0) + (r.reading == right)
        for key, n in found.items():
            rows.append(dict(scale=scale, question=key, found=f"{n / diaries:.0%}"))
    return rows


def markdown(rows: list[dict]) -> str:
    if not rows:
        return ""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diaries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=["null", "coverage", "power"])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    parts = []
    if args.only in (None, "null"):
        parts.append("### Null diaries (massage changes nothing), one year each\n\n"
                     + markdown(null_table(rng, args.diaries)))
    if args.only in (None, "coverage"):
        parts.append("### Coverage of the 95 % intervals (primary rows, true effect known)\n\n"
                     + markdown(coverage_table(rng, args.diaries)))
    if args.only in (None, "power"):
        parts.append("### Hidden effects found (primary rows, right sign, 18 months)\n\n"
                     + markdown(power_table(rng, max(args.diaries // 2, 20))))
    text = "\n\n".join(parts)
    text += (f"\n\n{args.diaries} diaries per cell, seed {args.seed}, "
             f"{time.perf_counter() - started:.0f} s.\n")
    print(text)
    if args.write:
        out = Path(__file__).with_name("effects_honesty.md")
        out.write_text(f"# Effects: false findings, coverage, power\n\n"
                       f"`python benchmarks/effects_honesty.py --diaries {args.diaries} --write`"
                       f" ({dt.date.today()})\n\n{text}")


if __name__ == "__main__":
    sys.exit(main())
