"""Filtering and the "after a session vs other days" summary: pure functions on DataFrames.

The frames are those of ``Store.daily``, ``Store.sessions`` and ``Store.doses``.
A day is "after a session" when it is one of ``domain.AFTER_SESSION_DAYS``
calendar days after a matching session's day: the 48 h after a session reach
those two days, and the session day itself mixes before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import domain
from ..wording import plural

MIN_DAYS = 5  # below this many days in a group, a figure says "not enough data yet"
BOOTSTRAP_DRAWS = 2000


def session_areas(sessions: pd.DataFrame) -> pd.Series:
    """Each session's areas as a frozenset."""
    return sessions["areas"].fillna("").map(
        lambda text: frozenset(a for a in str(text).split(domain.AREAS_SEPARATOR) if a)
    )


def filter_sessions(sessions: pd.DataFrame, pressures=None, areas=None,
                    start=None, end=None) -> pd.DataFrame:
    """Sessions of any of ``pressures`` touching any of ``areas`` between start and end days.

    ``pressures=None`` means every pressure and an empty list none (the sidebar's
    buttons start all pressed); ``areas`` None or empty means every area.
    """
    keep = pd.Series(True, index=sessions.index)
    if pressures is not None:
        keep &= sessions["pressure"].isin(list(pressures))
    if areas:
        wanted = frozenset(areas)
        # astype: an empty frame's map is not boolean (pandas warns, then will refuse)
        keep &= session_areas(sessions).map(lambda have: bool(have & wanted)).astype(bool)
    day = sessions["start"].dt.normalize()
    if start is not None:
        keep &= day >= pd.Timestamp(start).normalize()
    if end is not None:
        keep &= day <= pd.Timestamp(end).normalize()
    return sessions[keep]


def in_window(frame: pd.DataFrame, column: str, start=None, end=None) -> pd.DataFrame:
    """Rows whose ``column`` falls on a day between ``start`` and ``end`` (inclusive)."""
    day = frame[column].dt.normalize()
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= day >= pd.Timestamp(start).normalize()
    if end is not None:
        keep &= day <= pd.Timestamp(end).normalize()
    return frame[keep]


def area_pain_columns(daily: pd.DataFrame, areas=None) -> list[str]:
    """The logged ``pain_<area>`` columns for ``areas`` (all logged areas when None)."""
    wanted = areas or domain.BODY_AREAS
    return [domain.AREA_PAIN_PREFIX + a for a in wanted
            if domain.AREA_PAIN_PREFIX + a in daily.columns
            and daily[domain.AREA_PAIN_PREFIX + a].notna().any()]


def daily_pain(daily: pd.DataFrame, areas=None) -> tuple[pd.Series, str]:
    """The pain to plot and compare, and what it is.

    With areas selected and per-area pain logged for some of them, the mean of
    those areas' pain on each day; otherwise the overall daily pain.
    """
    if areas:
        columns = area_pain_columns(daily, areas)
        if columns:
            names = ", ".join(domain.area_label(c.removeprefix(domain.AREA_PAIN_PREFIX)).lower()
                              for c in columns)
            return daily[columns].mean(axis=1), f"Pain in {names}"
    return daily["pain"], "Pain (overall)"


def after_session_days(sessions: pd.DataFrame) -> pd.DatetimeIndex:
    """The calendar days that follow the sessions (``domain.AFTER_SESSION_DAYS``)."""
    if sessions.empty:
        return pd.DatetimeIndex([], name="date")
    days = sessions["start"].dt.normalize()
    shifted = [days + pd.Timedelta(days=k) for k in domain.AFTER_SESSION_DAYS]
    return pd.DatetimeIndex(pd.concat(shifted).unique(), name="date").sort_values()


def after_session_spans(sessions: pd.DataFrame) -> pd.DataFrame:
    """One row per session: the start and end of its shaded after-days (``x0``, ``x1``)."""
    days = sessions["start"].dt.normalize()
    first, last = min(domain.AFTER_SESSION_DAYS), max(domain.AFTER_SESSION_DAYS)
    return pd.DataFrame({"x0": days + pd.Timedelta(days=first),
                         "x1": days + pd.Timedelta(days=last + 1)})


def lone_points(dates, values, gap_days: int | None = None) -> np.ndarray:
    """Whether each value is one that no line segment reaches: its neighbours (by date) are
    missing, or more than ``gap_days`` away where a plot breaks its lines at gaps (None: a
    line joins any distance). A line alone would not show such a value: it needs a marker."""
    frame = pd.DataFrame({"date": pd.to_datetime(pd.Series(dates)).to_numpy(),
                          "value": pd.Series(values).astype("float64").to_numpy()})
    order = np.argsort(frame["date"].to_numpy(), kind="stable")
    ordered = frame.iloc[order].reset_index(drop=True)
    has = ordered["value"].notna()
    near = (ordered["date"].diff() <= pd.Timedelta(days=gap_days) if gap_days is not None
            else pd.Series(True, index=ordered.index))
    joined_before = has & has.shift(1, fill_value=False) & near
    joined_after = has & has.shift(-1, fill_value=False) & near.shift(-1, fill_value=False)
    lone = (has & ~joined_before & ~joined_after).to_numpy()
    out = np.empty(len(frame), dtype=bool)
    out[order] = lone
    return out


def doses_per_day(doses: pd.DataFrame) -> pd.DataFrame:
    """Number of doses per day and class: index date, one column per class present."""
    if doses.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    table = (doses.assign(date=doses["time"].dt.normalize())
             .pivot_table(index="date", columns="drug_class", values="name", aggfunc="count",
                          fill_value=0))
    ordered = [c for c in domain.DRUG_CLASSES if c in table.columns]
    return table[ordered]


def painkiller_days(doses: pd.DataFrame) -> pd.DatetimeIndex:
    """Days with at least one dose of an as-needed (acute) class."""
    acute = doses[doses["drug_class"].isin(domain.ACUTE_CLASSES)]
    return pd.DatetimeIndex(acute["time"].dt.normalize().unique(), name="date")


@dataclass(frozen=True)
class Comparison:
    """One figure compared between after-session days and the other days."""

    measure: str
    unit: str
    after: float | None
    other: float | None
    n_after: int
    n_other: int
    difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def enough(self) -> bool:
        return self.n_after >= MIN_DAYS and self.n_other >= MIN_DAYS

    @property
    def days_needed(self) -> tuple[int, int]:
        """More days with a value needed (after sessions, other days) before a difference."""
        return max(0, MIN_DAYS - self.n_after), max(0, MIN_DAYS - self.n_other)

    def not_enough_text(self) -> str:
        """'not enough data yet: 3 more days after a session and 1 more other day needed
        (5 in each group)'; '' when the comparison has enough days."""
        after, other = self.days_needed
        parts = [plural(after, "more day after a session", "more days after a session")
                 if after else "", plural(other, "more other day") if other else ""]
        wanted = " and ".join(p for p in parts if p)
        return (f"not enough data yet: {wanted} needed ({MIN_DAYS} in each group)"
                if wanted else "")


@dataclass(frozen=True)
class WindowSummary:
    """What the summary row shows for a window and a set of matching sessions."""

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    n_sessions: int
    comparisons: list[Comparison] = field(default_factory=list)


def _bootstrap_difference(after: np.ndarray, other: np.ndarray, seed: int = 0):
    """Difference of means with a 95 % percentile bootstrap interval (days resampled)."""
    rng = np.random.default_rng(seed)
    boot_after = rng.choice(after, size=(BOOTSTRAP_DRAWS, after.size)).mean(axis=1)
    boot_other = rng.choice(other, size=(BOOTSTRAP_DRAWS, other.size)).mean(axis=1)
    low, high = np.percentile(boot_after - boot_other, [2.5, 97.5])
    return float(after.mean() - other.mean()), float(low), float(high)


def compare(measure: str, unit: str, values: pd.Series, is_after: pd.Series) -> Comparison:
    """Compare ``values`` (indexed by day) on after-days against the other days."""
    values = values.astype("float64")
    present = values.notna()
    after = values[present & is_after].to_numpy()
    other = values[present & ~is_after].to_numpy()
    base = dict(measure=measure, unit=unit,
                after=float(after.mean()) if after.size else None,
                other=float(other.mean()) if other.size else None,
                n_after=int(after.size), n_other=int(other.size))
    if after.size < MIN_DAYS or other.size < MIN_DAYS:
        return Comparison(**base)
    difference, low, high = _bootstrap_difference(after, other)
    return Comparison(**base, difference=difference, ci_low=low, ci_high=high)


def window_summary(daily: pd.DataFrame, doses: pd.DataFrame, matching_sessions: pd.DataFrame,
                   start=None, end=None, areas=None) -> WindowSummary:
    """Mean pain, sleep hours and painkiller days on after-session days vs other days.

    Only days between ``start`` and ``end`` count; sessions just before ``start``
    still mark their after-days inside the window.
    """
    days = in_window(daily, "date", start, end).set_index("date")
    window_doses = in_window(doses, "time", start, end)
    after_days = after_session_days(matching_sessions)
    pain, pain_label = daily_pain(days, areas)

    logged_days = days.index.union(pd.DatetimeIndex(window_doses["time"].dt.normalize().unique()))
    took = pd.Series(logged_days.isin(painkiller_days(window_doses)), index=logged_days,
                     dtype="float64")
    n_sessions = len(in_window(matching_sessions, "start", start, end))
    return WindowSummary(
        start=pd.Timestamp(start) if start is not None else None,
        end=pd.Timestamp(end) if end is not None else None,
        n_sessions=n_sessions,
        comparisons=[
            compare(pain_label, "points (0-10)", pain, pd.Series(days.index.isin(after_days), index=days.index)),
            compare("Sleep", "hours", days["sleep_hours"],
                    pd.Series(days.index.isin(after_days), index=days.index)),
            compare("Painkiller days", "% of days", took * 100,
                    pd.Series(logged_days.isin(after_days), index=logged_days)),
        ],
    )
