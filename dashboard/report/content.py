"""What the report says: pure functions from a patient's diary frames to a ``Report``.

No PDF and no Panel here, so every number of the report can be checked in a test
and the CLI, the dashboard's button and a notebook get the same report.  The
frames are those of ``Store.daily``, ``Store.sessions`` and ``Store.doses``; the
assessments those of ``Store.assessments``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .. import domain
from ..analysis import summary as an
from ..effects import period_effects
from ..filtering import Diary, Filtered, filter_diary
from ..formatting import day
from ..overuse import overuse_summary

DEFAULT_DAYS = 90
MIN_DAYS = 7  # a new diary's default period: at least a week, not 90 mostly empty days
AUDIENCES = ("therapist", "doctor")
DISCLAIMER = "A self-kept diary, not a medical record; associations, not causes."

# Section keys in reading order for each audience: the therapist reads sessions, areas
# and pressures first; the doctor scores, trends and medication.
SECTION_ORDER: dict[str, tuple[str, ...]] = {
    "therapist": ("sessions", "effects", "chart", "summary", "scores", "medication"),
    "doctor": ("summary", "scores", "medication", "chart", "effects", "sessions"),
}
SECTION_TITLES: dict[str, str] = {
    "summary": "Summary, compared with the previous period",
    "chart": "Pain, sleep and painkillers",
    "sessions": "Massage sessions",
    "effects": "Effects of massage in this period",
    "scores": "Standard scores",
    "medication": "Medication-overuse check (ICHD-3)",
}
MAX_SESSION_ROWS = 40  # more would not be read in a minute; the rest are in `fibro export`
MAX_SCORE_HISTORY = 6


class ReportError(ValueError):
    """A request that cannot give a report (e.g. a period that ends before it starts)."""


@dataclass(frozen=True)
class Figure:
    """One summary number in this period and the previous one of the same length."""

    label: str
    now: float | None
    before: float | None
    unit: str = ""
    decimals: int = 1

    @property
    def change(self) -> float | None:
        return None if self.now is None or self.before is None else self.now - self.before


@dataclass(frozen=True)
class Report:
    """Everything the PDF shows; frames are already cut to the period."""

    patient: str
    start: dt.date
    end: dt.date
    generated: dt.date
    audience: str
    daily: pd.DataFrame
    sessions: pd.DataFrame
    doses: pd.DataFrame
    figures: list[Figure]
    previous: tuple[dt.date, dt.date]
    effects: pd.DataFrame
    too_few: list[str]
    acr: pd.DataFrame
    fiqr: pd.DataFrame
    overuse: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    filters: str = ""
    needed: dict[str, int] = field(default_factory=dict)  # more sessions a pressure needs

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def sections(self) -> tuple[str, ...]:
        return SECTION_ORDER[self.audience]


def _as_date(value) -> dt.date | None:
    return None if value is None else pd.Timestamp(value).date()


def diary_span(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame):
    """First and last day with any entry, or (None, None) for an empty diary."""
    days = pd.concat([pd.Series(daily["date"], dtype="datetime64[ns]"),
                      pd.Series(sessions["start"], dtype="datetime64[ns]").dt.normalize(),
                      pd.Series(doses["time"], dtype="datetime64[ns]").dt.normalize()]).dropna()
    if days.empty:
        return None, None
    return days.min().date(), days.max().date()


def resolve_period(start, end, last_logged: dt.date | None, today: dt.date,
                   days: int = DEFAULT_DAYS,
                   first_logged: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The report's first and last day.

    Neither given: the ``days`` days ending at the last logged day (today for an
    empty diary), but no earlier than ``first_logged`` when the diary is younger
    (at least ``MIN_DAYS`` days, though).  Only ``start``: ``days`` days from it.  Only ``end``: ``days``
    days ending at it.  A start after the end is refused.
    """
    start, end = _as_date(start), _as_date(end)
    length = dt.timedelta(days=days - 1)
    if start is None and end is None:
        end = last_logged or today
        if first_logged is not None:
            start = max(end - length, min(first_logged, end - dt.timedelta(days=MIN_DAYS - 1)))
    if start is None:
        start = end - length
    if end is None:
        end = start + length
    if start > end:
        raise ReportError(f"the period starts on {start:%Y-%m-%d}, after its end {end:%Y-%m-%d}")
    return start, end


def _mean(values: pd.Series) -> float | None:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.mean()) if len(values) else None


def _naps_a_day(daily: pd.DataFrame) -> float | None:
    """Minutes napped per logged day (a day without naps counts 0); None when no day of
    the period says anything about naps."""
    naps = daily.get("nap_minutes")
    if naps is None or not naps.notna().any():
        return None
    return float(pd.to_numeric(naps, errors="coerce").fillna(0).mean())


def period_figures(shown: Filtered) -> dict[str, float | None]:
    """Days logged, sessions (those the filters keep), mean pain, sleep hours and quality,
    painkiller days in the days of ``shown``."""
    d = shown.daily
    return {
        "days_logged": float(len(d)),
        "sessions": float(len(shown.sessions)),
        "pain": _mean(d["pain"]),
        "sleep_hours": _mean(d["sleep_hours"]),
        "sleep_quality": _mean(d["sleep_quality"]),
        "naps": _naps_a_day(d),
        "painkiller_days": float(len(an.painkiller_days(shown.doses))),
    }


def compare_periods(shown: Filtered) -> tuple[list[Figure], tuple]:
    """The summary numbers of the period beside those of the period of the same length
    before, under the same filters."""
    start, end = shown.start, shown.end
    length = (end - start).days + 1
    before_end = start - dt.timedelta(days=1)
    before_start = before_end - dt.timedelta(days=length - 1)
    now = period_figures(shown)
    before = period_figures(shown.within(before_start, before_end))
    if not before["days_logged"] and not before["sessions"] and not before["painkiller_days"]:
        before = dict.fromkeys(before)  # nothing logged then: no comparison, not zeros
    rows = [
        Figure(f"Days logged (of {length})", now["days_logged"], before["days_logged"], decimals=0),
        Figure("Sessions", now["sessions"], before["sessions"], decimals=0),
        Figure(f"Mean pain ({domain.anchors_text(domain.rating_anchors('pain'), ', ')})",
               now["pain"], before["pain"]),
        Figure("Mean sleep", now["sleep_hours"], before["sleep_hours"], unit="h"),
        Figure(f"Mean sleep quality ({domain.anchors_text(domain.rating_anchors('sleep_quality'), ', ')})",
               now["sleep_quality"], before["sleep_quality"]),
        Figure("Painkiller days (as-needed classes)", now["painkiller_days"],
               before["painkiller_days"], decimals=0),
    ]
    if now["naps"] is not None or before["naps"] is not None:  # a diary that logs naps
        rows.insert(4, Figure("Mean naps a day (logged days)", now["naps"], before["naps"],
                              unit="min", decimals=0))
    return rows, (before_start, before_end)


def _assessments_until(frame: pd.DataFrame | None, end: dt.date) -> pd.DataFrame:
    """Assessments taken on or before ``end``, oldest first, the last ``MAX_SCORE_HISTORY``."""
    if frame is None or frame.empty or "taken_on" not in frame:
        return pd.DataFrame(columns=["taken_on"])
    kept = frame[pd.to_datetime(frame["taken_on"]).dt.date <= end].sort_values("taken_on")
    return kept.tail(MAX_SCORE_HISTORY).reset_index(drop=True)


def _filters_text(pressures, areas) -> str:
    parts = []
    if pressures is not None and set(pressures) != set(domain.PRESSURES):
        parts.append("pressures: " + (", ".join(domain.PRESSURE_LABELS[p] for p in pressures)
                                      or "none"))
    if areas:
        parts.append("areas: " + ", ".join(domain.area_label(a) for a in areas))
    return "; ".join(parts)


def build_report(patient: str, daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                 acr: pd.DataFrame | None = None, fiqr: pd.DataFrame | None = None,
                 start=None, end=None, audience: str = "therapist", pressures=None, areas=None,
                 today: dt.date | None = None) -> Report:
    """The report of ``patient``'s diary between ``start`` and ``end`` (see ``resolve_period``).

    ``pressures`` and ``areas`` filter the sessions as the dashboard's sidebar does
    (None: all pressures; empty areas: all areas).
    """
    if audience not in AUDIENCES:
        raise ReportError(f"a report is for one of {', '.join(AUDIENCES)}, not {audience!r}")
    today = today or dt.date.today()
    first, last = diary_span(daily, sessions, doses)
    start, end = resolve_period(start, end, last, today, first_logged=first)
    shown = filter_diary(Diary(daily, sessions, doses), start, end, pressures, areas)
    matching = shown.sessions

    notes = []
    if first is None:
        notes.append("The diary holds no entries yet.")
    elif end < first or start > last:
        notes.append(f"No entries in this period: the diary runs from {day(first)} "
                      f"to {day(last)}.")
    else:
        if start < first:
            notes.append(f"The diary starts on {day(first)}; earlier days have no entries.")
        if end > last:
            notes.append(f"The last entry is of {day(last)}.")
    if matching.empty:
        notes.append("No massage sessions in this period" + (" match the filters." if
                     _filters_text(pressures, areas) else "."))

    figures, previous = compare_periods(shown)
    effects, too_few, needed = period_effects(daily, sessions, doses, start, end, pressures, areas)
    return Report(
        patient=patient, start=start, end=end, generated=today, audience=audience,
        daily=shown.daily,
        sessions=matching,
        doses=shown.doses,
        figures=figures, previous=previous, effects=effects, too_few=too_few,
        acr=_assessments_until(acr, end), fiqr=_assessments_until(fiqr, end),
        overuse=overuse_summary(doses, start, end).acute, notes=notes,
        filters=_filters_text(pressures, areas), needed=needed,
    )


def report_from_session(session, patient_id: int, patient: str, **options) -> Report:
    """``build_report`` on a patient's diary and kept assessments, read through the session
    layer (``DiarySession``: it checks that this person may read them)."""
    diary = session.diary(patient_id)
    return build_report(patient, diary.daily, diary.sessions, diary.doses,
                        acr=session.assessments(patient_id, "acr2016"),
                        fiqr=session.assessments(patient_id, "fiqr"), **options)
