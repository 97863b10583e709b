"""Does a pressure help me?  A few primary questions with error control, the rest exploratory.

Pure functions on the frames of ``Store.daily``, ``Store.sessions`` and ``Store.doses``.
Every estimate is the mean over sessions of a per-session contrast, so that it
compares like with like (``shared/docs/domain.md``, "Judging 'does it help me'"):

* ``pain_change_immediate``: ``pain_after - pain_before`` of the session itself
  (no comparison days: ``n_comparison`` is 0).
* ``pain_next_day``: pain on the first after-day (session day + 1) compared with what
  the person's own days predict after a day like the session day.  The prediction is
  the mean of the session's *nearby comparison days* (within ``NEARBY_DAYS`` of the
  session day, neither a session day nor an after-day, ``domain.AFTER_SESSION_DAYS``,
  of any session) plus ``persistence`` times how far the session day's own pain lay
  from that mean, ``persistence`` being how much of one clean day's departure from its
  neighbours the next clean day keeps in this diary.  So a session booked on a bad day
  is compared with the days that follow bad days, not with average days: without it,
  booking half the sessions on the worst nearby day made "higher" appear in 11 % of
  diaries where massage does nothing (``benchmarks/effects_honesty.md``).  The session
  day's rating stands for the state before the session (its ``pain_before`` when the
  day has none).  On an area row, the area's own logged pain is used when there is any
  (``summary.daily_pain``), else the overall pain.
* ``sleep_hours_next_night``, ``sleep_quality_next_night``: the same with the sleep
  fields of day + 1 (the night that ends on the day after the session), adjusted for
  the night before the session.
* ``doses_48h``: doses of acute (as-needed) classes (``domain.ACUTE_CLASSES``) in the
  48 h from the session start, minus the mean count of comparison windows: 48 h
  starting at the same clock time 1-``NEARBY_DAYS`` days before or after, kept only
  when they touch no session's span (from its start to the end of its last
  after-day).  A day counts as zero doses only when it has a check-in: a window (the
  session's own too) that touches a day without one is unknown, not zero.

**One method, one reading.**  Each estimate, its 95 % interval and its p-value come
from one Student *t* analysis of the per-session contrasts (Welch's for deep minus
light), so an interval excludes 0 exactly when p < 0.05.  The spread is floored at
``GRAIN_SD`` (ratings are whole numbers: five identical changes are not certainty),
and the uncertainty of ``persistence`` is added to the standard error.  Simulated on
diaries shaped like real ones (AR(1) pain with flares, whole-number ratings, 4-10 %
of days unlogged), the 95 % intervals covered the truth 93-97 % of the time from 5
to 50 sessions (``benchmarks/effects_honesty.py``).

**Few primary questions.**  Decided in advance, whatever the sidebar shows: for each
named pressure over all areas, the immediate change and pain the next day; and deep
minus light on the same two (``PRIMARY_OUTCOMES``).  Their p-values are adjusted
together (Holm), which keeps the chance of any false finding in a diary where
massage does nothing at or below 5 %.  Only a primary row can read "lower" or
"higher" (adjusted p < ``ALPHA``).  Every other row is *exploratory*: estimate,
interval and unadjusted p-value, never a reading or a sentence.  Holm over the few
pre-named questions, rather than a false-discovery rate over all 60-90 rows, because
a person asks "does it help me?", and one wrong "yes" is the error that matters;
most rows repeat the primary ones with fewer sessions.
"""

from __future__ import annotations

import math
import threading
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from .. import domain
from ..domain import MIN_SESSIONS  # an estimate needs this many sessions
from ..wording import log_more, plural
from .student_t import t_quantile, t_two_sided_p
from .summary import BOOTSTRAP_DRAWS, daily_pain, filter_sessions, session_areas

OUTCOMES: tuple[str, ...] = (
    "pain_change_immediate", "pain_next_day", "sleep_hours_next_night",
    "sleep_quality_next_night", "doses_48h",
)
OUTCOME_LABELS: dict[str, str] = {
    "pain_change_immediate": "Pain, after minus before the session",
    "pain_next_day": "Pain the next day",
    "sleep_hours_next_night": "Sleep hours the night after",
    "sleep_quality_next_night": "Sleep quality the night after",
    "doses_48h": "Painkiller doses in the 48 h after",
}
OUTCOME_UNITS: dict[str, str] = {
    "pain_change_immediate": "points (0-10)",
    "pain_next_day": "points (0-10)",
    "sleep_hours_next_night": "hours",
    "sleep_quality_next_night": "points (0-10)",
    "doses_48h": "doses",
}

ALL_AREAS = "all"
NEARBY_DAYS = 7
DOSE_WINDOW_HOURS = 48

NOT_ENOUGH = "not enough data yet"
LOWER, HIGHER, UNCLEAR = "lower", "higher", "no clear difference"
EXPLORATORY = "exploratory"
ALPHA = 0.05  # a primary row reads lower/higher when its Holm-adjusted p is below this
GRAIN_SD = 0.3  # the smallest spread a per-session contrast is given (whole-number ratings)
MIN_PERSISTENCE_PAIRS = 14  # clean day pairs needed to estimate ``persistence``

#: The primary questions: these outcomes over all areas, per named pressure and deep vs light.
PRIMARY_OUTCOMES: tuple[str, ...] = ("pain_change_immediate", "pain_next_day")
PRIMARY_PRESSURES: tuple[str, ...] = ("light", "moderate", "deep")

READING_RULE = ("Reading: only the primary questions (each pressure over all areas, and deep "
                "compared with light, on the change right after a session and on pain the next "
                "day) are read as “lower” or “higher”, when their p-value adjusted for all "
                "primary questions together (Holm) is below 0.05. Every other row is "
                "exploratory: its estimate and 95 % interval are shown, without a reading. "
                "Interval and p-value come from one t-test, so an interval excludes no change "
                "exactly when p < 0.05. Lower or higher means associated with the sessions in "
                "this diary, not caused by them.")

EFFECT_COLUMNS = ["pressure", "area", "outcome", "n_sessions", "n_comparison",
                  "estimate", "ci_low", "ci_high", "p_value", "verdict",
                  "primary", "p_adjusted", "reading"]
COMPARISON_COLUMNS = ["area", "outcome", "a", "b", "n_a", "n_b",
                      "difference", "ci_low", "ci_high", "p_value",
                      "primary", "p_adjusted", "reading"]
EVENT_COLUMNS = ["pressure", "offset", "measure", "mean", "ci_low", "ci_high", "n"]
EVENT_MEASURES = ("pain", "sleep_hours", "sleep_quality", "doses")

CAVEATS: list[str] = [
    "These are associations in one person's diary, not proof that massage caused a change.",
    "Sessions booked on bad days would look helpful afterwards, because bad days tend to be "
    "followed by better ones (regression to the mean); the next-day figures compare a "
    "session with the days that follow similar days, which removes most but perhaps not all "
    "of this.",
    "Soreness or a flare 24-48 hours after a session is common, especially after deep "
    "pressure, and can hide a later benefit.",
    "Only a few questions decided in advance get a reading; the other rows are for "
    "exploring: with dozens of rows, some look different by chance alone.",
    "Other changes at the same time (medication, stress, weather, activity) can explain "
    "a difference.",
]

_NS_PER_DAY = 86_400 * 10**9
_NEXT_DAY = min(domain.AFTER_SESSION_DAYS)


@dataclass(frozen=True)
class _Contrasts:
    """Per-session contrasts (NaN when missing), the comparison days each one used, and
    the extra variance their shared adjustment adds to a mean of them (``extra_variance``)."""

    values: np.ndarray
    days: np.ndarray
    used: np.ndarray
    lean: np.ndarray | None = None  # per session: how far its day lay from its neighbours
    persistence_variance: float = 0.0

    def n_comparison(self, rows: np.ndarray) -> int:
        used = self.used[rows]
        return int(np.unique(self.days[rows][used]).size)

    def extra_variance(self, rows: np.ndarray) -> float:
        """Var of the mean contrast over ``rows`` due to the estimated persistence: the
        error of one coefficient shifts every contrast of a mean by (lean x error)."""
        if self.lean is None or not self.persistence_variance:
            return 0.0
        lean = self.lean[rows]
        lean = lean[~np.isnan(lean)]
        return float(lean.mean() ** 2 * self.persistence_variance) if lean.size else 0.0


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Calendar days since 1970-01-01 as integers."""
    return pd.to_datetime(values).dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)


def _nanoseconds(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy().astype("datetime64[ns]").astype(np.int64)


def _window_sums(values: np.ndarray, half: int) -> np.ndarray:
    """Sum of ``values`` over [i - half, i + half] for every i (zero padding at the ends)."""
    padded = np.concatenate([np.zeros(half + 1), values, np.zeros(half)])
    total = np.cumsum(padded)
    return total[2 * half + 1:] - total[:-2 * half - 1]


def persistence(values: np.ndarray, clean: np.ndarray,
                half: int = NEARBY_DAYS) -> tuple[float, float]:
    """How much of a clean day's departure from its neighbours the next clean day keeps,
    and the variance of that estimate: (coefficient, variance).

    Pairs of consecutive clean days (``clean``: logged, no session, no after-day) with
    their departures from the mean of the clean days within ``half`` days, the pair
    itself left out, as a session's comparison days leave out the session's own days.
    The least-squares slope through 0, kept within 0-0.95; 0 with no variance when fewer
    than ``MIN_PERSISTENCE_PAIRS`` pairs exist.
    """
    ok = clean & ~np.isnan(values)
    filled = np.where(ok, values, 0.0)
    sums, counts = _window_sums(filled, half), _window_sums(ok.astype("float64"), half)
    pair = ok[:-1] & ok[1:]
    others = counts[:-1] - 2
    pair &= others > 0
    if pair.sum() < MIN_PERSISTENCE_PAIRS:
        return 0.0, 0.0
    idx = np.flatnonzero(pair)
    mean = (sums[idx] - filled[idx] - filled[idx + 1]) / others[idx]
    x, y = filled[idx] - mean, filled[idx + 1] - mean
    sxx = float(x @ x)
    if sxx <= 0:
        return 0.0, 0.0
    slope = float(x @ y) / sxx
    residual = y - slope * x
    variance = float(residual @ residual) / max(idx.size - 1, 1) / sxx
    return min(max(slope, 0.0), 0.95), variance


class _Diary:
    """The three frames turned into arrays on one calendar, shared by every row of a call."""

    def __init__(self, daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                 margin: int = NEARBY_DAYS):
        self.daily = daily
        self.sessions = sessions.reset_index(drop=True)
        self.session_day = _day_numbers(self.sessions["start"])
        self.session_ns = _nanoseconds(self.sessions["start"])
        self.daily_day = _day_numbers(daily["date"])
        dose_day = _day_numbers(doses["time"])
        seen = np.concatenate([self.daily_day, self.session_day, dose_day])
        self.first = int(seen.min()) if seen.size else 0
        self.last = int(seen.max()) if seen.size else -1
        pad = margin + max(domain.AFTER_SESSION_DAYS) + 2
        self.origin = self.first - pad
        self.size = self.last - self.first + 1 + 2 * pad
        self.index = self.session_day - self.origin
        self.excluded = np.zeros(self.size, dtype=bool)
        for offset in (0, *domain.AFTER_SESSION_DAYS):
            self.excluded[self.index + offset] = True
        self.checked_in = np.zeros(self.size, dtype=bool)  # days whose doses are known
        self.checked_in[self.daily_day - self.origin] = True
        self.has_doses = not doses.empty
        acute = doses[doses["drug_class"].isin(domain.ACUTE_CLASSES)]
        self.acute_ns = np.sort(_nanoseconds(acute["time"]))
        self._cache: dict[tuple[str, str], _Contrasts] = {}
        self._areas: dict[str, np.ndarray] = {}
        self._primary: dict[tuple, float] | None = None

    def calendar(self, values: pd.Series) -> np.ndarray:
        """A daily series (aligned with ``daily``) laid on the calendar; NaN on unlogged days."""
        out = np.full(self.size, np.nan)
        out[self.daily_day - self.origin] = pd.to_numeric(values, errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan)
        return out

    def dose_calendar(self) -> np.ndarray:
        """Acute doses per calendar day; NaN on days without a check-in (a day with no
        logged dose is unknown unless the person checked in) or with no dose log at all."""
        out = np.full(self.size, np.nan)
        if self.has_doses:
            days = self.acute_ns // _NS_PER_DAY - self.origin
            counts = np.bincount(days, minlength=self.size)[:self.size].astype("float64")
            out = np.where(self.checked_in, counts, np.nan)
        return out

    def rows(self, pressure: str | None, area: str) -> np.ndarray:
        """A mask of the sessions of ``pressure`` (None: any) touching ``area``."""
        if area not in self._areas:
            chosen = filter_sessions(self.sessions, None, None if area == ALL_AREAS else [area])
            self._areas[area] = np.isin(np.arange(len(self.sessions)), chosen.index.to_numpy())
        if pressure is None:
            return self._areas[area]
        return self._areas[area] & (self.sessions["pressure"].to_numpy() == pressure)

    def values(self, area: str) -> np.ndarray:
        """Every session's contrast for each of ``OUTCOMES`` (sessions x outcomes)."""
        if not len(self.sessions):
            return np.zeros((0, len(OUTCOMES)))
        return np.column_stack([self.contrasts(o, area).values for o in OUTCOMES])

    def contrasts(self, outcome: str, area: str) -> _Contrasts:
        """The per-session contrasts of ``outcome``; only next-day pain depends on the area."""
        key = (outcome, area if outcome == "pain_next_day" else ALL_AREAS)
        if key not in self._cache:
            self._cache[key] = self._compute(*key)
        return self._cache[key]

    def _compute(self, outcome: str, area: str) -> _Contrasts:
        if outcome == "pain_change_immediate":
            change = (self.sessions["pain_after"].astype("float64")
                      - self.sessions["pain_before"].astype("float64")).to_numpy()
            empty = np.zeros((len(change), 0))
            return _Contrasts(change, empty.astype(np.int64), empty.astype(bool))
        if outcome == "doses_48h":
            return self._dose_contrasts()
        if outcome == "pain_next_day":
            values = daily_pain(self.daily, None if area == ALL_AREAS else [area])[0]
            before = self.sessions["pain_before"].astype("float64").to_numpy()
            return self._day_contrasts(self.calendar(values), before)
        return self._day_contrasts(self.calendar(self.daily[outcome.removesuffix("_next_night")]))

    def _day_contrasts(self, values: np.ndarray, before: np.ndarray | None = None) -> _Contrasts:
        """Next-day value minus its prediction from the nearby clean days and the session
        day itself (``before`` stands in for a session day without a value)."""
        nearby = self.index[:, None] + np.arange(-NEARBY_DAYS, NEARBY_DAYS + 1)
        seen = values[nearby]
        used = ~self.excluded[nearby] & ~np.isnan(seen)
        baseline = _row_means(seen, used)
        day = values[self.index]
        if before is not None:
            day = np.where(np.isnan(day), before, day)
        lean = day - baseline
        slope, slope_variance = persistence(values, ~self.excluded)
        contrast = values[self.index + _NEXT_DAY] - baseline - slope * lean
        return _Contrasts(contrast, nearby + self.origin, used & ~np.isnan(contrast)[:, None],
                          np.where(np.isnan(contrast), np.nan, lean), slope_variance)

    def _dose_contrasts(self) -> _Contrasts:
        """Acute doses in the 48 h after each session minus comparable 48 h windows, each
        window counted only when every day it touches has a check-in."""
        n = len(self.sessions)
        shifts = np.array([k for k in range(-NEARBY_DAYS, NEARBY_DAYS + 1) if k])
        days = self.session_day[:, None] + shifts
        if not self.has_doses or n == 0:
            return _Contrasts(np.full(n, np.nan), days, np.zeros(days.shape, dtype=bool))
        width = DOSE_WINDOW_HOURS * 3_600 * 10**9
        start = self.session_ns
        after = self._count(start, start + width)
        inside = self._known(start, width)
        windows = start[:, None] + shifts * _NS_PER_DAY
        used = self._known(windows, width) & ~self._touches_a_session(windows, width)
        baseline = _row_means(self._count(windows, windows + width).astype("float64"), used)
        contrast = np.where(inside, after - baseline, np.nan)
        return _Contrasts(contrast, days, used & ~np.isnan(contrast)[:, None])

    def _known(self, start: np.ndarray, width: int) -> np.ndarray:
        """Whether every calendar day that [start, start + width) touches has a check-in."""
        first = start // _NS_PER_DAY - self.origin
        last = (start + width - 1) // _NS_PER_DAY - self.origin
        inside = (first >= 0) & (last < self.size)
        total = np.concatenate([[0], np.cumsum(self.checked_in)])
        first, last = np.clip(first, 0, self.size - 1), np.clip(last, 0, self.size - 1)
        return inside & (total[last + 1] - total[first] == last - first + 1)

    def _count(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        return (np.searchsorted(self.acute_ns, end, "left")
                - np.searchsorted(self.acute_ns, start, "left"))

    def _touches_a_session(self, windows: np.ndarray, width: int) -> np.ndarray:
        """Whether [w, w + width) overlaps any session's span: start to end of last after-day."""
        order = np.argsort(self.session_ns, kind="stable")
        span_start = self.session_ns[order]
        span_end = (self.session_day[order] + max(domain.AFTER_SESSION_DAYS) + 1) * _NS_PER_DAY
        begins_before_end = np.searchsorted(span_start, windows + width, "left")
        ended_before_start = np.searchsorted(span_end, windows, "right")
        return begins_before_end > ended_before_start

    # --- the primary questions ---------------------------------------------------------

    def primary_p_values(self, min_sessions: int) -> dict[tuple, float]:
        """Holm-adjusted p-values of the primary questions that have an estimate, keyed
        ``(pressure, outcome)`` and ``("deep-light", outcome)``; computed once per diary."""
        if self._primary is None:
            raw: dict[tuple, float] = {}
            values = self.values(ALL_AREAS)
            columns = [OUTCOMES.index(o) for o in PRIMARY_OUTCOMES]
            present = set(self.sessions["pressure"].astype(str)) if len(self.sessions) else set()
            for pressure in (p for p in PRIMARY_PRESSURES if p in present):
                rows = self.rows(pressure, ALL_AREAS)
                for outcome, result in zip(PRIMARY_OUTCOMES, self.one_sample(
                        rows, values[rows][:, columns], PRIMARY_OUTCOMES, min_sessions)):
                    if not math.isnan(result["p_value"]):
                        raw[(pressure, outcome)] = result["p_value"]
            if {"deep", "light"} <= present:
                results = self.two_sample(ALL_AREAS, PRIMARY_OUTCOMES, min_sessions)
                for outcome, result in zip(PRIMARY_OUTCOMES, results):
                    if not math.isnan(result["p_value"]):
                        raw[("deep-light", outcome)] = result["p_value"]
            self._primary = holm(raw)
        return self._primary

    def one_sample(self, rows: np.ndarray, values: np.ndarray, outcomes, min_sessions: int,
                   area: str = ALL_AREAS) -> list[dict]:
        """t estimate, interval and p-value of each outcome (column) over ``rows``."""
        results = []
        for j, outcome in enumerate(outcomes):
            present = rows.copy()
            present[rows] = ~np.isnan(values[:, j])
            extra = self.contrasts(outcome, area).extra_variance(present)
            results.append(_t_mean(values[:, j], min_sessions, extra))
        return results

    def two_sample(self, area: str, outcomes, min_sessions: int) -> list[dict]:
        """Deep minus light of each outcome: Welch t difference, interval and p-value."""
        values = self.values(area)
        deep, light = self.rows("deep", area), self.rows("light", area)
        results = []
        for outcome in outcomes:
            j = OUTCOMES.index(outcome)
            contrasts = self.contrasts(outcome, area)
            a, b = values[deep, j], values[light, j]
            in_a, in_b = deep.copy(), light.copy()
            in_a[deep], in_b[light] = ~np.isnan(a), ~np.isnan(b)
            extra = contrasts.extra_variance(in_a) + contrasts.extra_variance(in_b)
            results.append(_welch(a, b, min_sessions, extra))
        return results


def _row_means(values: np.ndarray, used: np.ndarray) -> np.ndarray:
    counts = used.sum(axis=1)
    sums = np.where(used, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


_NO_ESTIMATE = dict(estimate=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan)


def _t_result(estimate: float, se: float, df: float) -> dict:
    """Estimate, 95 % interval and two-sided p-value of one t statistic (agreeing exactly)."""
    half = t_quantile(0.975, df) * se
    p_value = t_two_sided_p(estimate / se, df)
    return dict(estimate=estimate, ci_low=estimate - half, ci_high=estimate + half,
                p_value=p_value)


def _t_mean(x: np.ndarray, min_sessions: int, extra_variance: float = 0.0) -> dict:
    """One-sample t on the contrasts (NaN dropped), spread floored at ``GRAIN_SD``."""
    x = x[~np.isnan(x)]
    if x.size < max(min_sessions, 2):
        return dict(_NO_ESTIMATE, n=int(x.size))
    sd = max(float(x.std(ddof=1)), GRAIN_SD)
    se = math.sqrt(sd ** 2 / x.size + extra_variance)
    return dict(_t_result(float(x.mean()), se, x.size - 1), n=int(x.size))


def _welch(a: np.ndarray, b: np.ndarray, min_sessions: int, extra_variance: float = 0.0) -> dict:
    """Welch's t on the difference of two groups' mean contrasts (NaN dropped)."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    counts = dict(n_a=int(a.size), n_b=int(b.size))
    if min(a.size, b.size) < max(min_sessions, 2):
        return dict(_NO_ESTIMATE, **counts)
    va = max(float(a.var(ddof=1)), GRAIN_SD ** 2) / a.size
    vb = max(float(b.var(ddof=1)), GRAIN_SD ** 2) / b.size
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    se = math.sqrt(va + vb + extra_variance)
    return dict(_t_result(float(a.mean() - b.mean()), se, df), **counts)


def holm(p_values: dict) -> dict:
    """Holm's step-down adjustment of a family of p-values (same keys, adjusted values)."""
    ordered = sorted(p_values.items(), key=lambda item: item[1])
    m, running, adjusted = len(ordered), 0.0, {}
    for rank, (key, p) in enumerate(ordered):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[key] = running
    return adjusted


def _blas_controller() -> ThreadpoolController:
    """The BLAS libraries loaded now (numpy's and scipy's OpenBLAS). Found again at each
    outermost entry (1.5 ms): one found once missed a library loaded later, which then kept
    its threads (the test of this limit failed that way in full runs only)."""
    return ThreadpoolController()


class _OneBlasThread:
    """BLAS limited to one thread while any caller is inside (the limit is the process's:
    concurrent callers, a served app's sessions, share it; the last one out restores it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._inside = 0
        self._limiter = None

    def __enter__(self):
        with self._lock:
            if not self._inside:
                self._limiter = _blas_controller().limit(limits=1, user_api="blas")
            self._inside += 1

    def __exit__(self, *_exc):
        with self._lock:
            self._inside -= 1
            if not self._inside:
                self._limiter.restore_original_limits()


# The bootstrap products of ``event_aligned`` are small: on a busy machine OpenBLAS's threads
# wait on each other and made them 2-25 times slower (the ten-year Effects computation: 1.9 s
# with threads, 1.0 s without, at load 4).  ``OPENBLAS_NUM_THREADS`` only works if set before
# numpy is imported, which a served app cannot do; threadpoolctl limits the loaded libraries
# for the block only, so the randomization test's large products keep their threads.
one_blas_thread = _OneBlasThread()


def _rng(seed: int, *key: str) -> np.random.Generator:
    """A generator for one row, fixed by the seed and the row's own key."""
    return np.random.default_rng([seed, zlib.crc32("|".join(key).encode())])


def _resample_counts(rng: np.random.Generator, n: int, draws: int = BOOTSTRAP_DRAWS) -> np.ndarray:
    """How often each of ``n`` sessions is drawn in each bootstrap resample (draws x n)."""
    picks = rng.integers(0, n, size=(draws, n), dtype=np.int64)
    picks += (np.arange(draws, dtype=np.int64) * n)[:, None]
    return np.bincount(picks.ravel(), minlength=draws * n).reshape(draws, n).astype("float64")


def sessions_needed(n_sessions: int, min_sessions: int = MIN_SESSIONS) -> int:
    """How many more sessions a row needs before it gets an estimate (0: it has one).

    The rule of ``effects_table`` and ``deep_vs_light``: a row is estimated from
    ``max(min_sessions, 2)`` sessions whose outcome could be computed.
    """
    return max(0, max(int(min_sessions), 2) - int(n_sessions))


def not_enough_text(n_sessions: int, min_sessions: int = MIN_SESSIONS) -> str:
    """'not enough data yet: log 3 more sessions to see an estimate' for a row without one
    ('' when it has enough), for the Effects page, the CLI and the report."""
    needed = sessions_needed(n_sessions, min_sessions)
    return f"{NOT_ENOUGH}: {log_more(needed)}" if needed else ""


def reading(estimate: float, p_adjusted: float, primary: bool = True) -> str:
    """What a row says in words: ``EXPLORATORY`` for a row that is not a primary question;
    for a primary one LOWER or HIGHER when its Holm-adjusted p-value is below ``ALPHA``
    (its interval then excludes 0 too: one t-test), else UNCLEAR; ``NOT_ENOUGH`` without
    an estimate.  An association in one person's diary, never a cause (``CAVEATS``)."""
    if estimate is None or (isinstance(estimate, float) and math.isnan(estimate)):
        return NOT_ENOUGH
    if not primary:
        return EXPLORATORY
    if not p_adjusted < ALPHA:
        return UNCLEAR
    return LOWER if estimate < 0 else HIGHER


def _present_pressures(sessions: pd.DataFrame, pressures) -> list[str]:
    """The pressures asked for; None: those present, in vocabulary order."""
    if pressures is not None:
        return list(pressures)
    present = set(sessions["pressure"].dropna().astype(str))
    return [p for p in domain.PRESSURES if p in present] + sorted(present - set(domain.PRESSURES))


def _present_areas(diary: _Diary, areas) -> list[str]:
    """The areas asked for; None or empty: 'all' and every area with sessions."""
    if areas:
        return list(areas)
    touched = set().union(*session_areas(diary.sessions))
    return [ALL_AREAS] + [a for a in domain.BODY_AREAS if a in touched]


def _repeats_all_areas(diary: _Diary, pressure: str | None, area: str, areas: list[str]) -> bool:
    """Whether an area's row would hold exactly the sessions of the all-areas row beside it
    (every session of that pressure touched the area): such rows are left out."""
    if area == ALL_AREAS or ALL_AREAS not in areas:
        return False
    return bool(np.array_equal(diary.rows(pressure, area), diary.rows(pressure, ALL_AREAS)))


def _primary_mark(adjusted: dict, key: tuple, area: str, outcome: str) -> tuple[bool, float]:
    """Whether a row is a primary question, and its adjusted p-value (NaN if not)."""
    primary = area == ALL_AREAS and outcome in PRIMARY_OUTCOMES and key[0] in (
        *PRIMARY_PRESSURES, "deep-light")
    return primary, adjusted.get(key, math.nan) if primary else math.nan


def effects_table(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                  pressures=None, areas=None, min_sessions: int = MIN_SESSIONS,
                  diary: _Diary | None = None) -> pd.DataFrame:
    """One row per pressure x area x outcome: mean per-session contrast, its 95 % t
    interval and p-value, whether it is a primary question, its Holm-adjusted p-value
    (primary rows only; the family is every primary question of the diary, whatever
    ``pressures`` and ``areas`` pick) and its ``reading`` (``verdict`` says the same,
    for scripts that read the old name).

    Rows below ``min_sessions`` contributing sessions say "not enough data yet" and
    leave estimate, interval and p-value missing (NaN).  An area row holding exactly the
    sessions of the all-areas row shown beside it is left out.
    """
    diary = diary or _Diary(daily, sessions, doses)
    adjusted = diary.primary_p_values(min_sessions)
    records = []
    area_list = _present_areas(diary, areas)
    for pressure in _present_pressures(sessions, pressures):
        for area in area_list:
            if _repeats_all_areas(diary, pressure, area, area_list):
                continue
            rows = diary.rows(pressure, area)
            values = diary.values(area)[rows]
            results = diary.one_sample(rows, values, OUTCOMES, min_sessions, area)
            for j, (outcome, result) in enumerate(zip(OUTCOMES, results)):
                present = rows.copy()
                present[rows] = ~np.isnan(values[:, j])
                primary, p_adjusted = _primary_mark(adjusted, (pressure, outcome), area, outcome)
                said = reading(result["estimate"], p_adjusted, primary)
                records.append(dict(
                    pressure=pressure, area=area, outcome=outcome,
                    n_sessions=int(present.sum()),
                    n_comparison=diary.contrasts(outcome, area).n_comparison(present),
                    estimate=result["estimate"], ci_low=result["ci_low"],
                    ci_high=result["ci_high"], p_value=result["p_value"], verdict=said,
                    primary=primary, p_adjusted=p_adjusted, reading=said))
    return pd.DataFrame(records, columns=EFFECT_COLUMNS)


def deep_vs_light(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                  areas=None, min_sessions: int = MIN_SESSIONS,
                  diary: _Diary | None = None) -> pd.DataFrame:
    """Deep minus light: difference of mean contrasts, Welch t interval and p-value; the
    all-areas rows of ``PRIMARY_OUTCOMES`` are primary questions (Holm-adjusted with the
    others), the rest exploratory.

    Missing (NaN) difference, interval and p-value when either group has fewer
    than ``min_sessions`` contributing sessions.
    """
    diary = diary or _Diary(daily, sessions, doses)
    adjusted = diary.primary_p_values(min_sessions)
    records = []
    area_list = _present_areas(diary, areas)
    for area in area_list:
        if (_repeats_all_areas(diary, "deep", area, area_list)
                and _repeats_all_areas(diary, "light", area, area_list)):
            continue
        for outcome, result in zip(OUTCOMES, diary.two_sample(area, OUTCOMES, min_sessions)):
            primary, p_adjusted = _primary_mark(adjusted, ("deep-light", outcome), area, outcome)
            records.append(dict(
                area=area, outcome=outcome, a="deep", b="light", n_a=result["n_a"],
                n_b=result["n_b"], difference=result["estimate"], ci_low=result["ci_low"],
                ci_high=result["ci_high"], p_value=result["p_value"], primary=primary,
                p_adjusted=p_adjusted, reading=reading(result["estimate"], p_adjusted, primary)))
    return pd.DataFrame(records, columns=COMPARISON_COLUMNS)


def primary_answers(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                    min_sessions: int = MIN_SESSIONS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The primary questions alone: (effects rows, deep-vs-light rows), whatever the filters."""
    diary = _Diary(daily, sessions, doses)
    present = [p for p in PRIMARY_PRESSURES
               if len(sessions) and p in set(sessions["pressure"].astype(str))]
    effects = effects_table(daily, sessions, doses, present, [ALL_AREAS], min_sessions, diary)
    comparisons = (deep_vs_light(daily, sessions, doses, [ALL_AREAS], min_sessions, diary)
                   if {"deep", "light"} <= set(present)
                   else pd.DataFrame(columns=COMPARISON_COLUMNS))
    keep = lambda t: t[t["outcome"].isin(PRIMARY_OUTCOMES)].reset_index(drop=True)  # noqa: E731
    return keep(effects), keep(comparisons)


def event_aligned(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                  pressures=None, areas=None, days: int = 3, seed: int = 0) -> pd.DataFrame:
    """Mean pain, sleep and acute doses from ``days`` before to ``days`` after the session day.

    Long format for an event-aligned plot; the band is a bootstrap over sessions
    (missing when fewer than two sessions have a value).  Pain is that of the
    selected areas when logged, as in the summary.
    """
    diary = _Diary(daily, sessions, doses, margin=max(days, NEARBY_DAYS))
    pain = daily_pain(daily, areas)[0]
    measures = {"pain": diary.calendar(pain),
                "sleep_hours": diary.calendar(daily["sleep_hours"]),
                "sleep_quality": diary.calendar(daily["sleep_quality"]),
                "doses": diary.dose_calendar()}
    offsets = np.arange(-days, days + 1)
    chosen = filter_sessions(diary.sessions, None, areas).index.to_numpy()
    parts = []
    with one_blas_thread:  # small products: see its comment
        for pressure in _present_pressures(sessions, pressures):
            parts += _event_rows(diary, chosen, pressure, measures, offsets, seed)
    if not parts:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    return pd.concat(parts, ignore_index=True)[EVENT_COLUMNS]


def _event_rows(diary: _Diary, chosen: np.ndarray, pressure: str, measures: dict,
                offsets: np.ndarray, seed: int) -> list[pd.DataFrame]:
    """``event_aligned``'s rows of one pressure: each measure's mean and bootstrap band."""
    parts = []
    picked = chosen[diary.sessions.loc[chosen, "pressure"].to_numpy() == pressure]
    weights = _resample_counts(_rng(seed, "event", pressure), picked.size)
    for measure, calendar in measures.items():
        values = calendar[diary.index[picked][:, None] + offsets]
        present = ~np.isnan(values)
        n = present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, np.where(present, values, 0).sum(axis=0) / np.maximum(n, 1),
                            np.nan)
            boot = weights @ np.where(present, values, 0.0) / (weights @ present)
        low, high = np.full((2, offsets.size), np.nan)
        seen = ~np.isnan(boot).all(axis=0)  # offsets some resample has a value for (none
        if seen.any():                       # without sessions: every resample is 0 / 0)
            low[seen], high[seen] = np.nanpercentile(boot[:, seen], [2.5, 97.5], axis=0)
        parts.append(pd.DataFrame({
            "pressure": pressure, "offset": offsets, "measure": measure, "mean": mean,
            "ci_low": np.where(n >= 2, low, np.nan), "ci_high": np.where(n >= 2, high, np.nan),
            "n": n,
        }))
    return parts


def _plain(value):
    """A table cell as a plain JSON value: NaN -> None, numpy numbers -> Python numbers."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return str(value)


def _records(table: pd.DataFrame) -> list[dict]:
    return [{column: _plain(value) for column, value in row.items()}
            for row in table.to_dict(orient="records")]


def effects_json(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                 pressures=None, areas=None, min_sessions: int = MIN_SESSIONS) -> dict:
    """The effects and the deep-vs-light comparisons as plain, ``json.dumps``-able values;
    every row says whether it is ``primary``, its Holm-adjusted p (``p_adjusted``, null
    for exploratory rows) and its ``reading``.

    Comparisons are included only when both deep and light are among ``pressures``.
    """
    diary = _Diary(daily, sessions, doses)
    effects = effects_table(daily, sessions, doses, pressures, areas, min_sessions, diary)
    wanted = pressures is None or {"deep", "light"} <= set(pressures)
    comparisons = (deep_vs_light(daily, sessions, doses, areas, min_sessions, diary)
                   if wanted else pd.DataFrame(columns=COMPARISON_COLUMNS))
    return {"effects": _records(effects), "comparisons": _records(comparisons)}


_CHANGES: dict[str, tuple[str, str, str]] = {
    "pain_change_immediate": ("{} points less pain", "{} points more pain",
                              "right after the session than just before"),
    "pain_next_day": ("{} points less pain", "{} points more pain", "the next day"),
    "sleep_hours_next_night": ("{} hours less sleep", "{} hours more sleep", "the night after"),
    "sleep_quality_next_night": ("{} points lower sleep quality", "{} points higher sleep quality",
                                 "the night after"),
    "doses_48h": ("{} fewer painkiller doses", "{} more painkiller doses",
                  "in the 48 hours after"),
}


def _pressure_words(pressure: str) -> str:
    if pressure in ("light", "moderate", "deep"):
        return f"{pressure} pressure"
    return f"massage of {pressure} pressure"


def _change_words(outcome: str, value: float, low: float, high: float) -> tuple[str, str]:
    """'1.2 points less pain the next day' and '95 % interval 0.4 to 2.0' (sizes, not signs)."""
    less, more, when = _CHANGES[outcome]
    words = (less if value < 0 else more).format(f"{abs(value):.1f}")
    near, far = sorted((abs(low), abs(high)))
    return f"{words} {when}", f"95 % interval {near:.1f} to {far:.1f}"


def _effect_sentence(row) -> str:
    place = "" if row["area"] == ALL_AREAS else f" on the {domain.area_label(row['area']).lower()}"
    change, interval = _change_words(row["outcome"], row["estimate"], row["ci_low"], row["ci_high"])
    subject = _pressure_words(row["pressure"])
    return (f"{subject[0].upper()}{subject[1:]}{place} is associated with {change} "
            f"({interval}; {plural(row['n_sessions'], 'session')}).")


def _comparison_sentence(row) -> str:
    place = ("Across all areas" if row["area"] == ALL_AREAS
             else f"On the {domain.area_label(row['area']).lower()}")
    change, interval = _change_words(row["outcome"], row["difference"], row["ci_low"],
                                     row["ci_high"])
    return (f"{place}, compared with {_pressure_words(row['b'])}, {_pressure_words(row['a'])} "
            f"is associated with {change} ({interval}; {row['n_a']} {row['a']} and "
            f"{row['n_b']} {row['b']} sessions).")


def plain_sentences(table: pd.DataFrame, max_rows: int = 6) -> list[str]:
    """A plain sentence for each primary row that reads lower or higher (its Holm-adjusted
    p-value below ``ALPHA``), strongest evidence first; exploratory rows never get one.

    Takes an ``effects_table`` or a ``deep_vs_light`` table; see ``CAVEATS`` for what
    every such sentence leaves out.  An empty table, or one where no row reads lower or
    higher, gives no sentence.
    """
    if table.empty:
        return []
    comparing = "difference" in table.columns
    notable = table[table["reading"].isin([LOWER, HIGHER])].reset_index(drop=True)
    if notable.empty:
        return []
    size = pd.to_numeric(notable["difference" if comparing else "estimate"], errors="coerce").abs()
    order = pd.DataFrame({"p": pd.to_numeric(notable["p_adjusted"], errors="coerce"),
                          "size": size})
    ranked = order.sort_values(["p", "size"], ascending=[True, False], kind="stable").index
    sentence = _comparison_sentence if comparing else _effect_sentence
    return [sentence(notable.iloc[i]) for i in ranked[:max_rows]]
