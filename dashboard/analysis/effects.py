"""Does a pressure help me?  Within-person contrasts per session, with honest uncertainty.

Pure functions on the frames of ``Store.daily``, ``Store.sessions`` and ``Store.doses``.
Every estimate is the mean over sessions of a per-session contrast, so that it
compares like with like (``shared/docs/domain.md``, "Judging 'does it help me'"):

* ``pain_change_immediate``: ``pain_after - pain_before`` of the session itself
  (no comparison days: ``n_comparison`` is 0).
* ``pain_next_day``: pain on the first after-day (session day + 1) minus the mean
  pain of that session's *nearby comparison days*: days within ``NEARBY_DAYS`` of
  the session day that are neither a session day nor an after-day
  (``domain.AFTER_SESSION_DAYS``) of any session, of any pressure.  On an area
  row, the area's own logged pain is used when there is any
  (``summary.daily_pain``), else the overall pain.
* ``sleep_hours_next_night``, ``sleep_quality_next_night``: the same with the sleep
  fields of day + 1, i.e. the night that ends on the day after the session.
* ``doses_48h``: doses of acute (as-needed) classes (``domain.ACUTE_CLASSES``:
  the "need for painkillers"; preventives taken nightly would only add noise)
  in the 48 h from the session start, minus the mean count of comparison
  windows: 48 h starting at the same clock time 1-``NEARBY_DAYS`` days before or
  after, kept only when they touch no session's span (from its start to the end
  of its last after-day) and lie inside the period the diary covers (doses
  are taken as fully logged there).  ``n_comparison`` counts distinct window
  start days.

``n_sessions`` counts the sessions whose outcome could be computed.  Intervals
are 95 % percentile bootstraps over sessions.  ``p_value`` of a single row is a
two-sided sign-flip randomization test of the contrasts against 0 (their signs
are exchangeable if sessions make no difference); deep vs light uses a two-sided
permutation test of the pressure labels.  The smallest possible p-value is
1 / (draws + 1).  Draws are seeded per pressure and area (the outcomes of one
group share them), so the same data give the same numbers whichever other rows
are asked for.

A row's reading (``verdict``, and the plain sentences) follows one rule,
``reading``: "lower" or "higher" only when the interval excludes 0 *and* the
p-value is below ``ALPHA`` (0.05), so a reading never contradicts the numbers
beside it; otherwise "no clear difference".
"""

from __future__ import annotations

import ctypes
import math
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import domain
from ..wording import log_more, plural
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
SIGN_FLIPS = BOOTSTRAP_DRAWS

NOT_ENOUGH = "not enough data yet"
MIN_SESSIONS = 5  # an estimate needs this many sessions whose outcome could be computed
LOWER, HIGHER, UNCLEAR = "lower", "higher", "no clear difference"
ALPHA = 0.05  # a reading other than UNCLEAR needs a p-value below this (and see ``reading``)
READING_RULE = ("Reading: “lower” or “higher” only when the 95 % interval excludes no change "
                "and the p-value is below 0.05; both must agree, otherwise “no clear "
                "difference”. Lower or higher means associated with the sessions in this diary, "
                "not caused by them.")

EFFECT_COLUMNS = ["pressure", "area", "outcome", "n_sessions", "n_comparison",
                  "estimate", "ci_low", "ci_high", "p_value", "verdict"]
COMPARISON_COLUMNS = ["area", "outcome", "a", "b", "n_a", "n_b",
                      "difference", "ci_low", "ci_high", "p_value"]
EVENT_COLUMNS = ["pressure", "offset", "measure", "mean", "ci_low", "ci_high", "n"]
EVENT_MEASURES = ("pain", "sleep_hours", "sleep_quality", "doses")

CAVEATS: list[str] = [
    "These are associations in one person's diary, not proof that massage caused a change.",
    "Sessions booked on bad days look helpful afterwards, because bad days tend to be "
    "followed by better ones (regression to the mean).",
    "Soreness or a flare 24-48 hours after a session is common, especially after deep "
    "pressure, and can hide a later benefit.",
    "Neighbouring days are alike (a flare lasts several days), so the data hold less "
    "information than the number of days suggests.",
    "Other changes at the same time (medication, stress, weather, activity) can explain "
    "a difference.",
]

_NS_PER_DAY = 86_400 * 10**9
_NEXT_DAY = min(domain.AFTER_SESSION_DAYS)


@dataclass(frozen=True)
class _Contrasts:
    """Per-session contrasts (NaN when missing) and the comparison days each one used."""

    values: np.ndarray
    days: np.ndarray
    used: np.ndarray

    def n_comparison(self, rows: np.ndarray) -> int:
        used = self.used[rows]
        return int(np.unique(self.days[rows][used]).size)


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Calendar days since 1970-01-01 as integers."""
    return pd.to_datetime(values).dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)


def _nanoseconds(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy().astype("datetime64[ns]").astype(np.int64)


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
        self.has_doses = not doses.empty
        acute = doses[doses["drug_class"].isin(domain.ACUTE_CLASSES)]
        self.acute_ns = np.sort(_nanoseconds(acute["time"]))
        self._cache: dict[tuple[str, str], _Contrasts] = {}
        self._areas: dict[str, np.ndarray] = {}

    def calendar(self, values: pd.Series) -> np.ndarray:
        """A daily series (aligned with ``daily``) laid on the calendar; NaN on unlogged days."""
        out = np.full(self.size, np.nan)
        out[self.daily_day - self.origin] = pd.to_numeric(values, errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan)
        return out

    def dose_calendar(self) -> np.ndarray:
        """Acute doses per calendar day; NaN outside the diary's period or with no dose log."""
        out = np.full(self.size, np.nan)
        if self.has_doses:
            days = self.acute_ns // _NS_PER_DAY - self.origin
            inside = slice(self.first - self.origin, self.last - self.origin + 1)
            out[inside] = np.bincount(days, minlength=self.size)[inside]
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
        else:
            values = self.daily[outcome.removesuffix("_next_night")]
        return self._day_contrasts(self.calendar(values))

    def _day_contrasts(self, values: np.ndarray) -> _Contrasts:
        """Next-day value minus the mean of the session's nearby clean days."""
        nearby = self.index[:, None] + np.arange(-NEARBY_DAYS, NEARBY_DAYS + 1)
        seen = values[nearby]
        used = ~self.excluded[nearby] & ~np.isnan(seen)
        baseline = _row_means(seen, used)
        contrast = values[self.index + _NEXT_DAY] - baseline
        return _Contrasts(contrast, nearby + self.origin, used & ~np.isnan(contrast)[:, None])

    def _dose_contrasts(self) -> _Contrasts:
        """Acute doses in the 48 h after each session minus comparable 48 h windows."""
        n = len(self.sessions)
        shifts = np.array([k for k in range(-NEARBY_DAYS, NEARBY_DAYS + 1) if k])
        days = self.session_day[:, None] + shifts
        if not self.has_doses or n == 0:
            return _Contrasts(np.full(n, np.nan), days, np.zeros(days.shape, dtype=bool))
        width = DOSE_WINDOW_HOURS * 3_600 * 10**9
        period = (self.first * _NS_PER_DAY, (self.last + 1) * _NS_PER_DAY)
        start = self.session_ns
        after = self._count(start, start + width)
        inside = (start >= period[0]) & (start + width <= period[1])
        windows = start[:, None] + shifts * _NS_PER_DAY
        used = ((windows >= period[0]) & (windows + width <= period[1])
                & ~self._touches_a_session(windows, width))
        baseline = _row_means(self._count(windows, windows + width).astype("float64"), used)
        contrast = np.where(inside, after - baseline, np.nan)
        return _Contrasts(contrast, days, used & ~np.isnan(contrast)[:, None])

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


_BLAS_SET_THREADS = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
                     "scipy_openblas_set_num_threads_64_", "openblas_set_num_threads64_")


def limit_blas_threads(threads: int = 1) -> bool:
    """Ask the OpenBLAS that numpy loaded to use at most ``threads`` threads; True if it could.

    The bootstrap and permutation products here are small: on a busy machine OpenBLAS's
    threads wait on each other and made them 2-25 times slower (the ten-year Effects
    computation: 1.9 s with threads, 1.0 s without, at load 4). ``OPENBLAS_NUM_THREADS``
    only works if set before numpy is imported, which a served app cannot do, and
    threadpoolctl is not a dependency; this does what it does for OpenBLAS (Linux only).
    """
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and ".so" in line}
    except OSError:
        return False
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _BLAS_SET_THREADS:
            setter = getattr(library, name, None)
            if setter is not None:
                setter(ctypes.c_int(threads))
                return True
    return False


def _row_means(values: np.ndarray, used: np.ndarray) -> np.ndarray:
    counts = used.sum(axis=1)
    sums = np.where(used, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _rng(seed: int, *key: str) -> np.random.Generator:
    """A generator for one row, fixed by the seed and the row's own key."""
    return np.random.default_rng([seed, zlib.crc32("|".join(key).encode())])


def _resample_counts(rng: np.random.Generator, n: int, draws: int = BOOTSTRAP_DRAWS) -> np.ndarray:
    """How often each of ``n`` sessions is drawn in each bootstrap resample (draws x n)."""
    picks = rng.integers(0, n, size=(draws, n), dtype=np.int64)
    picks += (np.arange(draws, dtype=np.int64) * n)[:, None]
    return np.bincount(picks.ravel(), minlength=draws * n).reshape(draws, n).astype("float64")


def _bootstrap_means(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Bootstrap means of each column of ``x`` (sessions x outcomes), resampling sessions."""
    return _resample_counts(rng, x.shape[0]) @ x / x.shape[0]


def _interval(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % percentile interval of each column of bootstrap draws."""
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    return low, high


def _extreme_count(null: np.ndarray, observed: float) -> int:
    """How many draws are at least as extreme as ``observed`` (two-sided)."""
    tolerance = 1e-9 * max(1.0, abs(observed))
    return int(np.count_nonzero(np.abs(null) >= abs(observed) - tolerance))


def _exceeding(null: np.ndarray, observed: float) -> float:
    """Two-sided randomization p-value: (1 + draws at least as extreme) / (1 + draws)."""
    return float((1 + _extreme_count(null, observed)) / (1 + null.size))


def _sign_flip_means(rng: np.random.Generator, x: np.ndarray, draws: int = SIGN_FLIPS) -> np.ndarray:
    """Means of each column of ``x`` with every session's sign flipped at random (draws x k)."""
    n = x.shape[0]
    packed = rng.integers(0, 256, size=(draws, (n + 7) // 8), dtype=np.uint8)
    signs = np.unpackbits(packed, axis=1)[:, :n].astype("float64") * 2 - 1
    return signs @ x / n


def _label_shuffle_differences(rng: np.random.Generator, x: np.ndarray, n_a: int,
                               permutations: int) -> np.ndarray:
    """Mean of the first ``n_a`` minus the rest, with the rows' labels shuffled (draws x k)."""
    order = rng.permuted(np.tile(np.arange(x.shape[0]), (permutations, 1)), axis=1)
    in_a = np.zeros(order.shape)
    np.put_along_axis(in_a, order[:, :n_a], 1.0, axis=1)
    sum_a = in_a @ x
    return sum_a / n_a - (x.sum(axis=0) - sum_a) / (x.shape[0] - n_a)


def _same_sessions(values: np.ndarray, columns: np.ndarray):
    """The ``columns`` of ``values`` grouped by which rows have a value, so they share draws."""
    groups: dict[bytes, tuple[np.ndarray, list[int]]] = {}
    for column in columns:
        present = ~np.isnan(values[:, column])
        groups.setdefault(present.tobytes(), (present, []))[1].append(int(column))
    return list(groups.values())


def sessions_needed(n_sessions: int, min_sessions: int = MIN_SESSIONS) -> int:
    """How many more sessions a row needs before it gets an estimate (0: it has one).

    The rule of ``effects_table`` and ``deep_vs_light``: a row is estimated from
    ``max(min_sessions, 1)`` sessions whose outcome could be computed.
    """
    return max(0, max(int(min_sessions), 1) - int(n_sessions))


def not_enough_text(n_sessions: int, min_sessions: int = MIN_SESSIONS) -> str:
    """'not enough data yet: log 3 more sessions to see an estimate' for a row without one
    ('' when it has enough), for the Effects page, the CLI and the report."""
    needed = sessions_needed(n_sessions, min_sessions)
    return f"{NOT_ENOUGH}: {log_more(needed)}" if needed else ""


def p_text(value) -> str:
    """A p-value as every view shows it: two decimals, '< 0.01' below that, '–' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "< 0.01" if value < 0.01 else f"{value:.2f}"


def reading(low: float, high: float, p_value: float) -> str:
    """LOWER or HIGHER when the 95 % interval (``low`` to ``high``) excludes 0 *and* the
    randomization p-value is below ``ALPHA``; otherwise UNCLEAR (also when any is missing).

    The bootstrap interval and the sign-flip or permutation test can disagree near the
    edge (an interval of -1.16 to -0.10 beside p = 0.06); asking both to agree keeps the
    reading from saying more than either. With 5 sessions a sign-flip p-value cannot go
    below 2/32 (about 0.06), so such a row reads unclear however narrow its interval.
    A reading is an association in one person's diary, never a cause (``CAVEATS``).
    """
    if not p_value < ALPHA:
        return UNCLEAR
    if high < 0:
        return LOWER
    if low > 0:
        return HIGHER
    return UNCLEAR


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


def _effect_rows(values: np.ndarray, min_sessions: int, rng: np.random.Generator) -> list[dict]:
    """Estimate, interval, p-value and verdict of each outcome (column) of one group's contrasts."""
    n = (~np.isnan(values)).sum(axis=0)
    rows = [dict(estimate=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan,
                 verdict=NOT_ENOUGH) for _ in range(values.shape[1])]
    for present, columns in _same_sessions(values, np.flatnonzero(n >= max(min_sessions, 1))):
        x = values[present][:, columns]
        low, high = _interval(_bootstrap_means(rng, x))
        flipped = _sign_flip_means(rng, x)
        for j, column in enumerate(columns):
            estimate = float(x[:, j].mean())
            p_value = _exceeding(flipped[:, j], estimate)
            rows[column] = dict(estimate=estimate, ci_low=float(low[j]), ci_high=float(high[j]),
                                p_value=p_value, verdict=reading(low[j], high[j], p_value))
    return rows


def effects_table(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                  pressures=None, areas=None, min_sessions: int = MIN_SESSIONS,
                  seed: int = 0) -> pd.DataFrame:
    """One row per pressure x area x outcome: mean per-session contrast, 95 % interval,
    p-value and verdict (``reading``: "lower"/"higher" only when the interval excludes 0
    and p < 0.05, else "no clear difference").

    Rows below ``min_sessions`` contributing sessions say "not enough data yet" and
    leave estimate, interval and p-value missing (NaN).
    """
    diary = _Diary(daily, sessions, doses)
    records = []
    for pressure in _present_pressures(sessions, pressures):
        for area in _present_areas(diary, areas):
            rows = diary.rows(pressure, area)
            values = diary.values(area)[rows]
            results = _effect_rows(values, min_sessions, _rng(seed, pressure, area))
            for j, (outcome, result) in enumerate(zip(OUTCOMES, results)):
                present = rows.copy()
                present[rows] = ~np.isnan(values[:, j])
                records.append(dict(
                    pressure=pressure, area=area, outcome=outcome,
                    n_sessions=int(present.sum()),
                    n_comparison=diary.contrasts(outcome, area).n_comparison(present), **result))
    return pd.DataFrame(records, columns=EFFECT_COLUMNS)


def _comparison_rows(a: np.ndarray, b: np.ndarray, min_sessions: int, permutations: int,
                     rng: np.random.Generator) -> list[dict]:
    """Deep minus light for each outcome (column): difference, interval, permutation p-value."""
    pooled = np.vstack([a, b])
    is_a = np.arange(pooled.shape[0]) < a.shape[0]
    n_a, n_b = (~np.isnan(a)).sum(axis=0), (~np.isnan(b)).sum(axis=0)
    rows = [dict(n_a=int(n_a[j]), n_b=int(n_b[j]), difference=math.nan, ci_low=math.nan,
                 ci_high=math.nan, p_value=math.nan) for j in range(pooled.shape[1])]
    enough = np.flatnonzero(np.minimum(n_a, n_b) >= max(min_sessions, 1))
    for present, columns in _same_sessions(pooled, enough):
        x_a, x_b = pooled[present & is_a][:, columns], pooled[present & ~is_a][:, columns]
        low, high = _interval(_bootstrap_means(rng, x_a) - _bootstrap_means(rng, x_b))
        observed = x_a.mean(axis=0) - x_b.mean(axis=0)
        p_values = _shuffle_p_values(rng, np.vstack([x_a, x_b]), x_a.shape[0], observed,
                                     permutations)
        for j, column in enumerate(columns):
            rows[column] |= dict(difference=float(observed[j]), ci_low=float(low[j]),
                                 ci_high=float(high[j]), p_value=p_values[j])
    return rows


FIRST_PERMUTATIONS, ENOUGH_EXTREME = 1000, 20


def _shuffle_p_values(rng: np.random.Generator, x: np.ndarray, n_a: int, observed: np.ndarray,
                      permutations: int) -> list[float]:
    """Permutation p-values of each column's difference, drawn in two stages.

    A first 1000 label shuffles settle every column with at least 20 shuffles as extreme
    as observed (p >= 0.02, known to about +-20 %); only the others, whose small p needs
    more draws, get the full ``permutations``. Each p-value is (1 + extreme) / (1 + draws)
    of the draws it used, so it stays a valid randomization p-value.
    """
    first = min(permutations, FIRST_PERMUTATIONS)
    null = _label_shuffle_differences(rng, x, n_a, first)
    extreme = [_extreme_count(null[:, j], observed[j]) for j in range(x.shape[1])]
    draws = [first] * x.shape[1]
    unsettled = [j for j, k in enumerate(extreme) if k < ENOUGH_EXTREME]
    if unsettled and permutations > first:
        more = _label_shuffle_differences(rng, x[:, unsettled], n_a, permutations - first)
        for i, j in enumerate(unsettled):
            extreme[j] += _extreme_count(more[:, i], observed[j])
            draws[j] = permutations
    return [(1 + k) / (1 + n) for k, n in zip(extreme, draws)]


def deep_vs_light(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                  areas=None, min_sessions: int = MIN_SESSIONS, permutations: int = 5000,
                  seed: int = 0) -> pd.DataFrame:
    """Deep minus light: difference of mean contrasts, bootstrap interval, permutation p-value.

    Missing (NaN) difference, interval and p-value when either group has fewer
    than ``min_sessions`` contributing sessions.
    """
    diary = _Diary(daily, sessions, doses)
    records = []
    for area in _present_areas(diary, areas):
        values = diary.values(area)
        results = _comparison_rows(values[diary.rows("deep", area)],
                                   values[diary.rows("light", area)], min_sessions,
                                   permutations, _rng(seed, "deep-light", area))
        for outcome, result in zip(OUTCOMES, results):
            records.append(dict(area=area, outcome=outcome, a="deep", b="light", **result))
    return pd.DataFrame(records, columns=COMPARISON_COLUMNS)


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
    for pressure in _present_pressures(sessions, pressures):
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
            if picked.size:
                low, high = np.nanpercentile(boot, [2.5, 97.5], axis=0)
            else:
                low = high = np.full(offsets.size, np.nan)
            parts.append(pd.DataFrame({
                "pressure": pressure, "offset": offsets, "measure": measure, "mean": mean,
                "ci_low": np.where(n >= 2, low, np.nan), "ci_high": np.where(n >= 2, high, np.nan),
                "n": n,
            }))
    if not parts:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    return pd.concat(parts, ignore_index=True)[EVENT_COLUMNS]


def _plain(value):
    """A table cell as a plain JSON value: NaN -> None, numpy numbers -> Python numbers."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return str(value)


def _records(table: pd.DataFrame) -> list[dict]:
    return [{column: _plain(value) for column, value in row.items()}
            for row in table.to_dict(orient="records")]


def effects_json(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                 pressures=None, areas=None, min_sessions: int = MIN_SESSIONS,
                 seed: int = 0) -> dict:
    """The effects and the deep-vs-light comparisons as plain, ``json.dumps``-able values.

    Comparisons are included only when both deep and light are among ``pressures``.
    """
    effects = effects_table(daily, sessions, doses, pressures, areas, min_sessions, seed)
    wanted = pressures is None or {"deep", "light"} <= set(pressures)
    comparisons = (deep_vs_light(daily, sessions, doses, areas, min_sessions, seed=seed)
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
    """A plain sentence for each row that reads lower or higher (``reading``: the interval
    excludes 0 and p < 0.05), strongest evidence first.

    Takes an ``effects_table`` or a ``deep_vs_light`` table; see ``CAVEATS`` for what
    every such sentence leaves out.

    An empty table, or one where no row reads lower or higher (every row "not enough
    data yet" or unclear), gives no sentence.  The ranking is computed on the selected
    rows only: a column of the whole table assigned to an empty selection would be
    aligned back onto the whole index (pandas 3) and bring back every row.
    """
    if table.empty:
        return []
    comparing = "difference" in table.columns
    low, high, p = (pd.to_numeric(table[c], errors="coerce").to_numpy()
                    for c in ("ci_low", "ci_high", "p_value"))
    clear = np.array([reading(*row) != UNCLEAR for row in zip(low, high, p)], dtype=bool)
    notable = table.loc[clear]
    if notable.empty:
        return []
    size = pd.to_numeric(notable["difference" if comparing else "estimate"], errors="coerce").abs()
    order = pd.DataFrame({"p_value": pd.to_numeric(notable["p_value"], errors="coerce").to_numpy(),
                          "size": size.to_numpy()})
    ranked = order.sort_values(["p_value", "size"], ascending=[True, False], kind="stable").index
    sentence = _comparison_sentence if comparing else _effect_sentence
    return [sentence(notable.iloc[i]) for i in ranked[:max_rows]]
