"""The trial planner: the power of a design, simulated from the person's own diary, and the
smallest design that reaches the target power.

Pure functions, no SQL, no Panel.  A planner that assumes independent days with the spread
around a running mean promised 81 % power where trials of the same schedule under a real
diary's noise reached 54 % (issue 22).  So the power here is simulated from what the diary
shows (``DiaryNoise``):

* its **marginal** spread (the plain standard deviation of the logged values: a period mean
  is compared with another period weeks away, so slow drifts are noise to the trial too);
* its lag-1 **autocorrelation** (an AR(1) process over the days of the schedule);
* its rating **grain** (whole numbers: the simulated values are rounded, which makes tied
  and zero block differences) and its **range** (pain is kept within 0-10);
* its share of **unlogged days** (a period whose outcomes are all unlogged loses its block).

Each simulated trial follows the planned schedule (blocks x sessions per period, the outcome
on the day the trial reads it), the second pressure better by the named difference, and is
analysed as the trial is: period means of the logged outcomes, blocks with both periods
measured, and the same randomization test (``randomization.randomization_p_values``, exact
up to 16 blocks).  The figure is seeded (the same design and diary always show the same number) and
comes with its Monte Carlo error.  ``benchmarks/trial_power.py`` checks it against a
simulation written separately.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from ..formatting import day
from .randomization import (ALPHA, EXACT_UP_TO_BLOCKS, allocations, can_reach_significance,
                            randomization_p_values, smallest_p_value)
from .trial import (LOWER_IS_BETTER, OUTCOME_DAYS, OUTCOME_LABELS, OUTCOME_UNITS, TrialDesign,
                    amount, outcome_series, schedule)

POWER_SIMULATIONS = 4_000  # Monte Carlo error of a power near 0.5: +-1.6 points (95 %)
POWER_SEED = 20_261_206  # fixed, so a design and a diary always give the same figure
# Beyond the exact test's 16 blocks the planner draws fewer allocations per simulated trial
# than the analysis (2 000, not 20 000): the p-value moves by its own draw error only.
PLANNER_DRAWS = 2_000
MIN_NOISE_DAYS = 42  # logged days before the diary's own noise is used (six weeks)
# The diary's last year is measured: an imported history with months-long gaps years ago
# would otherwise count those months as "unlogged days" of the trial to come.
NOISE_SPAN_DAYS = 365
TARGET_POWER = 0.8
# "A design of reasonable length": the designs the planner searches.
PLAN_MIN_BLOCKS = 6  # fewer cannot reach p < 0.05
PLAN_MAX_BLOCKS = EXACT_UP_TO_BLOCKS
PLAN_MAX_SESSIONS_PER_PERIOD = 3
PLAN_MAX_WEEKS = 26  # half a year
OUTCOME_RANGE: dict[str, tuple[float, float]] = {
    "pain_next_day": (0.0, 10.0), "sleep_hours_next_night": (0.0, 24.0),
    "doses_48h": (0.0, math.inf),
}
GRAINS = (1.0, 0.5, 0.25, 0.1)


def _pc(share: float) -> str:
    return f"{100 * share:.0f} %"


@dataclass(frozen=True)
class DiaryNoise:
    """How the outcome behaves from day to day in a diary (or the stated default)."""

    mean: float
    spread: float  # standard deviation of the logged values (marginal)
    autocorrelation: float  # between one day and the next
    grain: float  # values are multiples of it (1: whole numbers; 0: any value)
    unlogged: float  # share of days without the outcome, from the first logged day to the last
    days: int  # logged days it was measured on; 0: the typical diary below, not measured
    low: float = 0.0
    high: float = 10.0

    @property
    def latent_spread(self) -> float:
        """The spread before rounding (Sheppard: rounding to a grain adds grain^2 / 12)."""
        return math.sqrt(max(self.spread ** 2 - self.grain ** 2 / 12, 0.25 * self.spread ** 2))

    @property
    def latent_autocorrelation(self) -> float:
        """The lag-1 correlation before rounding (rounding noise is independent from day to day)."""
        raw = self.autocorrelation * self.spread ** 2 / self.latent_spread ** 2
        return float(np.clip(raw, -0.95, 0.95))

    def describe(self, outcome: str) -> str:
        unit = OUTCOME_UNITS[outcome]
        grain = ("whole numbers" if self.grain == 1 else
                 f"steps of {self.grain:g}" if self.grain else "any value")
        said = (f"spread {self.spread:.2f} {unit} around an average of {self.mean:.1f}, "
                f"day-to-day correlation {self.autocorrelation:.2f}, {grain}, "
                f"{_pc(self.unlogged)} of days not logged")
        if self.days:
            return f"Your diary over {self.days} logged days: {said}."
        return (f"Your diary is too new to measure (under {MIN_NOISE_DAYS} logged days), so the "
                f"planner assumes a typical one: {said}.")

    def to_dict(self) -> dict:
        values = asdict(self)
        values["high"] = None if math.isinf(self.high) else self.high
        return values


# The diary assumed until the person's own has MIN_NOISE_DAYS logged days.  Pain: daily
# fibromyalgia pain moves by about 1.5 points on 0-10 within a person over months, with
# yesterday's pain telling a good deal about today's; ratings are whole numbers and about
# one day in ten goes unlogged.  Doses are counted over 48 h, so neighbouring days overlap.
TYPICAL_DIARY: dict[str, DiaryNoise] = {
    "pain_next_day": DiaryNoise(5.0, 1.5, 0.5, 1.0, 0.1, 0, *OUTCOME_RANGE["pain_next_day"]),
    "sleep_hours_next_night": DiaryNoise(6.5, 1.2, 0.3, 0.5, 0.1, 0,
                                         *OUTCOME_RANGE["sleep_hours_next_night"]),
    "doses_48h": DiaryNoise(1.0, 1.2, 0.5, 1.0, 0.0, 0, *OUTCOME_RANGE["doses_48h"]),
}


def _grain(values: np.ndarray) -> float:
    """The coarsest step that 95 % of the values sit on (0 when none does)."""
    for grain in GRAINS:
        steps = values / grain
        if np.mean(np.abs(steps - np.round(steps)) < 1e-6) >= 0.95:
            return grain
    return 0.0


def diary_noise(daily: pd.DataFrame, doses: pd.DataFrame, outcome: str,
                area: str | None = None) -> DiaryNoise:
    """The outcome's mean, marginal spread, lag-1 autocorrelation, grain and unlogged share,
    measured in the diary's last ``NOISE_SPAN_DAYS`` days; the typical diary when they hold
    under ``MIN_NOISE_DAYS`` logged days (or no spread at all)."""
    series = outcome_series(daily, doses, outcome, area)
    series = series[~series.index.duplicated()].sort_index()
    if len(series):
        series = series[series.index > series.index.max() - pd.Timedelta(days=NOISE_SPAN_DAYS)]
    values = series.to_numpy(dtype=float)
    if len(values) < MIN_NOISE_DAYS or not values.std() > 0:
        return TYPICAL_DIARY[outcome]
    every_day = series.asfreq("D").to_numpy(dtype=float)
    mean = float(values.mean())
    centred = every_day - mean
    today, tomorrow = centred[:-1], centred[1:]
    both = ~np.isnan(today) & ~np.isnan(tomorrow)
    spread = float(values.std(ddof=1))
    if both.sum() >= MIN_NOISE_DAYS // 2:
        autocorrelation = float(np.mean(today[both] * tomorrow[both]) / np.mean((values - mean) ** 2))
    else:  # logged too rarely on neighbouring days to tell
        autocorrelation = TYPICAL_DIARY[outcome].autocorrelation
    low, high = OUTCOME_RANGE[outcome]
    return DiaryNoise(mean=mean, spread=spread,
                      autocorrelation=float(np.clip(autocorrelation, -0.95, 0.95)),
                      grain=_grain(values), unlogged=float(1 - len(values) / len(every_day)),
                      days=int(len(values)), low=low, high=high)


# --- simulated trials --------------------------------------------------------------------------

def simulated_block_differences(design: TrialDesign, noise: DiaryNoise, difference: float,
                                simulations: int, rng: np.random.Generator) -> np.ndarray:
    """Block differences (second pressure minus first; simulations x blocks) of trials that
    follow ``design``'s schedule in a diary like ``noise``, with the second pressure better
    by ``difference``; NaN where a period had no logged outcome (the block is lost).  Each
    simulated trial draws its own order per block, as the trial will: the power is the
    design's, averaged over its randomization, not that of one drawn order (so it does not
    move with the seed)."""
    plan = schedule(design)
    days = (pd.to_datetime(plan["date"]) - pd.Timestamp(design.start)).dt.days.to_numpy()
    n = len(plan)
    shape = (simulations, design.blocks, 2, design.sessions_per_period)
    rho = noise.latent_autocorrelation
    shocks = rng.standard_normal((simulations, n))
    level = np.empty((simulations, n))
    level[:, 0] = shocks[:, 0]
    for j in range(1, n):  # AR(1) over the days between the outcomes the trial reads
        r = rho ** int(days[j] - days[j - 1])
        level[:, j] = r * level[:, j - 1] + math.sqrt(1 - r * r) * shocks[:, j]
    b_second = rng.integers(0, 2, size=(simulations, design.blocks)).astype(bool)
    is_b = np.broadcast_to(np.stack([~b_second, b_second], axis=2)[..., None], shape)
    better = -difference if LOWER_IS_BETTER[design.outcome] else difference
    values = noise.mean + noise.latent_spread * level + better * is_b.reshape(simulations, n)
    if noise.grain:
        values = np.round(values / noise.grain) * noise.grain
    values = np.clip(values, noise.low, noise.high)
    values[rng.random((simulations, n)) < noise.unlogged] = np.nan
    logged = ~np.isnan(values).reshape(shape)
    sums = np.nan_to_num(values).reshape(shape).sum(axis=3)
    counts = logged.sum(axis=3)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    mean_b = np.where(b_second, means[:, :, 1], means[:, :, 0])
    mean_a = np.where(b_second, means[:, :, 0], means[:, :, 1])
    return mean_b - mean_a


def trial_p_values(differences: np.ndarray, rng: np.random.Generator,
                   draws: int = PLANNER_DRAWS) -> np.ndarray:
    """The randomization test's p-value of each simulated trial over its measured blocks
    (NaN blocks left out, as the analysis leaves them out); 1 with fewer than two blocks."""
    measured = ~np.isnan(differences)
    counts = measured.sum(axis=1)
    packed = np.take_along_axis(differences, np.argsort(~measured, axis=1, kind="stable"), axis=1)
    p = np.ones(len(differences))
    for k in np.unique(counts):
        if k < 2:
            continue
        rows = counts == k
        p[rows] = randomization_p_values(packed[rows, :k], rng, draws=draws)
    return p


@dataclass(frozen=True)
class Power:
    """A simulated power with its Monte Carlo error and the share of trials that lost a block."""

    power: float
    error: float  # 95 % Monte Carlo half-width
    lost_share: float
    simulations: int
    seed: int


def simulated_power(design: TrialDesign, noise: DiaryNoise, difference: float,
                    simulations: int = POWER_SIMULATIONS, seed: int = POWER_SEED,
                    alpha: float = ALPHA) -> Power:
    """The share of simulated trials of ``design`` whose randomization test gives p < ``alpha``
    when the second pressure is better by ``difference``."""
    rng = np.random.default_rng(seed)
    differences = simulated_block_differences(design, noise, abs(difference), simulations, rng)
    lost = float(np.isnan(differences).any(axis=1).mean())
    if not can_reach_significance(design.blocks, alpha):
        return Power(0.0, 0.0, lost, simulations, seed)
    hits = float((trial_p_values(differences, rng) < alpha).mean())
    error = 1.959964 * math.sqrt(max(hits * (1 - hits), 1e-12) / simulations)
    return Power(hits, error, lost, simulations, seed)


# --- the smallest design ------------------------------------------------------------------------

def trial_days(design: TrialDesign) -> int:
    """Days from the first session to the last outcome."""
    periods = 2 * design.blocks
    span = (periods * (design.sessions_per_period - 1) * design.every_days
            + (periods - 1) * design.period_gap)
    return span + 1 + OUTCOME_DAYS[design.outcome]


@dataclass(frozen=True)
class Proposal:
    """The smallest design reaching ``TARGET_POWER`` (fewest sessions, then fewest weeks), or
    when none does, the one coming closest."""

    reached: bool
    blocks: int
    sessions_per_period: int
    power: float
    error: float
    weeks: float

    @property
    def sessions(self) -> int:
        return 2 * self.blocks * self.sessions_per_period

    def shape(self) -> str:
        per = "session" if self.sessions_per_period == 1 else "sessions"
        return f"{self.blocks} blocks × {self.sessions_per_period} {per} per period"

    def sentence(self, design: TrialDesign, difference: float) -> str:
        what = amount(difference, design.outcome)
        if not self.reached:
            return (f"No design of reasonable length reaches {_pc(TARGET_POWER)} power for "
                    f"{what}: the planner tried up to {PLAN_MAX_BLOCKS} blocks, "
                    f"{PLAN_MAX_SESSIONS_PER_PERIOD} sessions per period and {PLAN_MAX_WEEKS} "
                    f"weeks at one session every {design.every_days} days; the closest, "
                    f"{self.shape()} ({self.sessions} sessions, {self.weeks:.0f} weeks), reaches "
                    f"{_pc(self.power)}. A trial this size would most likely end without a clear "
                    "answer; a larger difference is easier to find.")
        same = (self.blocks, self.sessions_per_period) == (design.blocks, design.sessions_per_period)
        if same:
            return (f"This is the smallest design that reaches {_pc(TARGET_POWER)} power for "
                    f"{what} ({_pc(self.power)}).")
        return (f"The smallest design reaching {_pc(TARGET_POWER)} power for {what}: "
                f"{self.shape()} ({self.sessions} sessions, about {self.weeks:.0f} weeks), "
                f"{_pc(self.power)}.")

    def to_dict(self) -> dict:
        return {**asdict(self), "sessions": self.sessions}


def candidate_designs(design: TrialDesign) -> list[TrialDesign]:
    """The designs the planner searches, at the person's rhythm, fewest sessions first."""
    found = []
    for blocks in range(PLAN_MIN_BLOCKS, PLAN_MAX_BLOCKS + 1):
        for per in range(1, PLAN_MAX_SESSIONS_PER_PERIOD + 1):
            candidate = replace(design, blocks=blocks, sessions_per_period=per)
            if trial_days(candidate) <= PLAN_MAX_WEEKS * 7:
                found.append(candidate)
    return sorted(found, key=lambda d: (d.blocks * d.sessions_per_period, trial_days(d)))


def propose_design(design: TrialDesign, noise: DiaryNoise, difference: float,
                   simulations: int = POWER_SIMULATIONS) -> Proposal:
    """The design with the fewest sessions (then the most power) whose simulated power
    reaches ``TARGET_POWER``; else the most powerful one searched."""
    best: Proposal | None = None
    candidates = candidate_designs(design)
    for total in sorted({d.blocks * d.sessions_per_period for d in candidates}):
        tried = []
        for candidate in (d for d in candidates if d.blocks * d.sessions_per_period == total):
            figure = simulated_power(candidate, noise, difference, simulations)
            tried.append(Proposal(figure.power >= TARGET_POWER, candidate.blocks,
                                  candidate.sessions_per_period, figure.power, figure.error,
                                  trial_days(candidate) / 7))
        top = max(tried, key=lambda p: p.power)
        if top.reached:
            return top
        if best is None or top.power > best.power:
            best = top
    if best is None:  # the rhythm is too slow for even 6 blocks of one session in the limit
        figure = simulated_power(replace(design, blocks=PLAN_MIN_BLOCKS, sessions_per_period=1),
                                 noise, difference, simulations)
        one = replace(design, blocks=PLAN_MIN_BLOCKS, sessions_per_period=1)
        best = Proposal(False, PLAN_MIN_BLOCKS, 1, figure.power, figure.error, trial_days(one) / 7)
    return best


# --- what the planner says -------------------------------------------------------------------

@dataclass(frozen=True)
class PlanCheck:
    """What the planner tells before a plan is accepted."""

    allocations: int
    smallest_p: float
    can_reach: bool
    difference: float
    noise: DiaryNoise
    power: Power
    proposal: Proposal
    weeks: float
    last_date: dt.date

    def warning(self) -> str | None:
        if self.can_reach:
            return None
        return (f"With {int(math.log2(self.allocations))} blocks the design allows only "
                f"{self.allocations} orders, so the smallest p-value it can reach is "
                f"{self.smallest_p:.3f}: no result can reach p < {ALPHA:g}, however large the "
                "difference. Choose at least 6 blocks for a trial that can show a difference.")

    def sentences(self, design: TrialDesign) -> list[str]:
        outcome = design.outcome
        said = [f"{self.allocations} possible orders: the smallest p-value this design can "
                f"reach is {self.smallest_p:.3g}.",
                self.noise.describe(outcome),
                f"If {design.pressure_b} pressure is truly better by "
                f"{amount(self.difference, outcome)} ({OUTCOME_LABELS[outcome].lower()}), this "
                f"design finds it (p < {ALPHA:g}) in about {_pc(self.power.power)} of trials "
                f"(± {_pc(self.power.error)}: {self.power.simulations} simulated trials of this "
                f"schedule in a diary like yours, seed {self.power.seed}).",
                f"In {_pc(self.power.lost_share)} of them at least one period had no logged "
                "outcome, so its block could not count.",
                self.proposal.sentence(design, self.difference),
                f"It runs about {self.weeks:.0f} weeks, to {day(self.last_date)}."]
        warning = self.warning()
        return [warning, *said] if warning else said

    def to_dict(self) -> dict:
        return {"allocations": self.allocations, "smallest_p": self.smallest_p,
                "can_reach": self.can_reach, "difference": self.difference,
                "power": self.power.power, "power_error": self.power.error,
                "lost_share": self.power.lost_share, "simulations": self.power.simulations,
                "seed": self.power.seed, "noise": self.noise.spread,
                "noise_days": self.noise.days, "diary": self.noise.to_dict(),
                "proposal": self.proposal.to_dict(), "target_power": TARGET_POWER,
                "weeks": self.weeks, "last_date": self.last_date.isoformat(),
                "warning": self.warning()}


def check_plan(design: TrialDesign, plan: pd.DataFrame, noise: DiaryNoise,
               difference: float = 1.0) -> PlanCheck:
    """The planner's verdict on ``design`` (whose schedule is ``plan``) in a diary like ``noise``."""
    last = pd.Timestamp(plan["date"].max()).date()
    difference = abs(float(difference))
    return PlanCheck(
        allocations=allocations(design.blocks), smallest_p=smallest_p_value(design.blocks),
        can_reach=can_reach_significance(design.blocks), difference=difference, noise=noise,
        power=simulated_power(design, noise, difference),
        proposal=propose_design(design, noise, difference),
        weeks=trial_days(design) / 7, last_date=last)
