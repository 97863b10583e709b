"""What the body map shows, per body area: mean logged pain, or how many sessions touched it.

The Overview's body map (``ui/bodymap.py``) draws these values; a notebook or a test gets
the same numbers from a diary and the sidebar's filter values.  Frames in, plain data out
(no Panel).
"""

from __future__ import annotations

import math

import pandas as pd

from . import domain
from .analysis import summary as an

PAIN_MEASURE, SESSIONS_MEASURE = "pain", "sessions"
MEASURES = (PAIN_MEASURE, SESSIONS_MEASURE)


def area_pain_means(daily: pd.DataFrame) -> dict[str, float]:
    """Mean logged pain per body area (NaN where the area was never rated)."""
    means = {}
    for area in domain.BODY_AREAS:
        column = domain.AREA_PAIN_PREFIX + area
        values = daily[column].dropna() if column in daily.columns else pd.Series(dtype=float)
        means[area] = float(values.mean()) if len(values) else math.nan
    return means


def area_session_counts(sessions: pd.DataFrame) -> dict[str, int]:
    """How many of ``sessions`` touched each body area."""
    touched = an.session_areas(sessions) if len(sessions) else pd.Series(dtype=object)
    return {area: int(sum(area in areas for areas in touched)) for area in domain.BODY_AREAS}


def area_values(diary, measure: str = PAIN_MEASURE, pressures=None, start=None,
                end=None) -> dict[str, float]:
    """The ``measure`` per body area in the days ``start``..``end`` of ``diary``.

    Pain is the mean of the days; sessions are those of the chosen ``pressures`` (None:
    all) and days.  The area filter is not applied: it only outlines areas, so every
    area keeps its value.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure is one of {', '.join(MEASURES)}, not {measure!r}")
    if measure == PAIN_MEASURE:
        daily = diary.daily
        return area_pain_means(an.in_window(daily, "date", start, end)
                               if "date" in daily.columns else daily)
    if "start" not in diary.sessions.columns:  # no patient yet
        return {area: 0.0 for area in domain.BODY_AREAS}
    sessions = an.filter_sessions(diary.sessions, pressures, None, start, end)
    return {a: float(n) for a, n in area_session_counts(sessions).items()}
