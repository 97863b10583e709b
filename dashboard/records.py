"""The three records a person keeps, and the rules a valid one follows.

A record is a plain frozen dataclass; ``validate()`` returns every problem at
once as ``{field: message}`` so a form can show each message beside its field
and a CLI or importer can name the column.

The limits below are the one set every entry point goes through (forms, a widget value
set through the websocket, ``fibro log``, importers, the store's own check before a
write), so a value is refused with the same message on SQLite and PostgreSQL instead of
failing in one database's column: dates from ``DATE_MIN`` (diary entries not in the
future; plans up to ``DAYS_AHEAD`` days ahead) and texts no longer than their columns
(``TEXT_MAX``; the store's schema takes its lengths from here).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass, field, fields

from . import domain

DATE_MIN = dt.date(1900, 1, 1)  # earlier dates are typing mistakes (and pandas stops at 1677)
DAYS_AHEAD = 365  # the latest date anything may carry: a plan a year ahead
# The longest text of each field, in characters: the String(n) columns of the store; notes
# and reasons are TEXT there, bounded here so one entry cannot grow without limit.
TEXT_MAX = {"name": 200, "technique": 200, "therapist": 200, "unit": 40,
            "notes": 10_000, "reason": 10_000}
PATIENT_NAME_MAX = 200  # patients.name


def latest_date(today: dt.date | None = None) -> dt.date:
    """The last date anything stored may carry (``DAYS_AHEAD`` after today)."""
    return (today or dt.date.today()) + dt.timedelta(days=DAYS_AHEAD)


def date_problem(day: dt.date, today: dt.date | None = None, future: bool = False) -> str | None:
    """Why ``day`` (a date or datetime) cannot be stored, or None: before ``DATE_MIN``, in the
    future (unless ``future``: a plan), or more than ``DAYS_AHEAD`` days ahead."""
    day = day.date() if isinstance(day, dt.datetime) else day
    today = today or dt.date.today()
    if day < DATE_MIN:
        return f"{day.isoformat()} is before {DATE_MIN.isoformat()}, the earliest date accepted"
    if not future and day > today:
        return f"{day.isoformat()} is in the future"
    if day > latest_date(today):
        return (f"{day.isoformat()} is more than {DAYS_AHEAD} days ahead "
                f"(the latest date accepted is {latest_date(today).isoformat()})")
    return None


def text_problem(value, limit: int) -> str | None:
    """Why a text cannot be stored, or None: not text, longer than ``limit`` characters, or
    holding a NUL character (PostgreSQL refuses those; SQLite would keep them)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be text"
    if len(value) > limit:
        return f"is {len(value):,} characters long; at most {limit:,} are accepted"
    if "\x00" in value:
        return "contains a NUL character (\\0), which cannot be stored"
    return None


def patient_name_problem(name) -> str | None:
    """Why a patient's name cannot be stored, or None."""
    if not isinstance(name, str) or not name.strip():
        return "a patient needs a name"
    return text_problem(name.strip(), PATIENT_NAME_MAX)


def _check_texts(problems: dict[str, str], record) -> None:
    for name, limit in TEXT_MAX.items():
        if hasattr(record, name) and name not in problems:
            problem = text_problem(getattr(record, name), limit)
            if problem:
                problems[name] = problem


class InvalidRecord(ValueError):
    """A record that breaks a rule; ``problems`` maps field name to message."""

    def __init__(self, problems: dict[str, str], where: str = ""):
        self.problems = dict(problems)
        self.where = where
        detail = "; ".join(f"{name}: {msg}" for name, msg in self.problems.items())
        super().__init__(f"{where}: {detail}" if where else detail)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _check_rating(problems: dict[str, str], name: str, value) -> None:
    if _missing(value):
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        problems[name] = f"must be a number from {domain.RATING_MIN} to {domain.RATING_MAX}"
    elif not domain.RATING_MIN <= value <= domain.RATING_MAX:
        problems[name] = f"{value:g} is outside {domain.RATING_MIN}-{domain.RATING_MAX}"


def _check_nap_minutes(problems: dict[str, str], value) -> None:
    if _missing(value):
        return
    whole = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        problems["nap_minutes"] = "must be a whole number of minutes"
    elif not 0 <= value <= domain.NAP_MINUTES_MAX:
        problems["nap_minutes"] = f"{value:g} is outside 0-{domain.NAP_MINUTES_MAX} minutes"


def _check_date(problems: dict[str, str], name: str, when, today: dt.date) -> None:
    problem = date_problem(when, today)
    if problem:
        problems[name] = problem


@dataclass(frozen=True)
class DailyCheckin:
    """One day's ratings (0-10, any may be blank), sleep, naps and notes.

    ``sleep_hours`` is the day's main sleep (the longest one ending that day, at any
    hour); ``nap_minutes`` adds up the shorter extra sleeps ending that day.
    """

    date: dt.date
    pain: float | None = None
    sleep_hours: float | None = None
    sleep_quality: float | None = None
    fatigue: float | None = None
    stiffness: float | None = None
    anxiety: float | None = None
    low_mood: float | None = None
    fog: float | None = None
    headache: float | None = None
    notes: str = ""
    area_pain: dict[str, float] = field(default_factory=dict)
    nap_minutes: int | None = None

    def validate(self, today: dt.date | None = None) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not isinstance(self.date, dt.date) or isinstance(self.date, dt.datetime):
            problems["date"] = "must be a date (YYYY-MM-DD)"
        else:
            _check_date(problems, "date", self.date, today or dt.date.today())
        for name in domain.DAILY_RATINGS:
            _check_rating(problems, name, getattr(self, name))
        hours = self.sleep_hours
        if not _missing(hours) and not (0 <= hours <= domain.SLEEP_HOURS_MAX):
            problems["sleep_hours"] = f"{hours:g} is outside 0-{domain.SLEEP_HOURS_MAX:g} hours"
        _check_nap_minutes(problems, self.nap_minutes)
        for area, value in self.area_pain.items():
            key = domain.AREA_PAIN_PREFIX + str(area)
            if area not in domain.BODY_AREAS:
                problems[key] = f"unknown body area {area!r}"
            else:
                _check_rating(problems, key, value)
        _check_texts(problems, self)
        return problems


@dataclass(frozen=True)
class MassageSession:
    """One massage: when, how long, how hard, where, and pain before and after."""

    start: dt.datetime
    duration_min: float
    pressure: str
    areas: tuple[str, ...]
    technique: str = ""
    therapist: str = ""
    pain_before: float | None = None
    pain_after: float | None = None
    notes: str = ""

    def validate(self, today: dt.date | None = None) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not isinstance(self.start, dt.datetime):
            problems["start"] = "must be a date and time (YYYY-MM-DDTHH:MM)"
        else:
            _check_date(problems, "start", self.start, today or dt.date.today())
        if _missing(self.duration_min) or not isinstance(self.duration_min, (int, float)):
            problems["duration_min"] = "is required, in minutes"
        elif not 0 < self.duration_min <= 24 * 60:
            problems["duration_min"] = f"{self.duration_min:g} minutes is not a session length"
        elif isinstance(self.start, dt.datetime) and "start" not in problems:
            end = self.start + dt.timedelta(minutes=float(self.duration_min))
            if end.date() != self.start.date():
                problems["duration_min"] = "the session would end on another day"
        if self.pressure not in domain.PRESSURES:
            problems["pressure"] = (
                f"unknown pressure {self.pressure!r}; use one of {', '.join(domain.PRESSURES)}"
            )
        if not self.areas:
            problems["areas"] = "name at least one body area"
        else:
            unknown = [a for a in self.areas if a not in domain.BODY_AREAS]
            if unknown:
                problems["areas"] = f"unknown body area {', '.join(map(repr, unknown))}"
        _check_rating(problems, "pain_before", self.pain_before)
        _check_rating(problems, "pain_after", self.pain_after)
        _check_texts(problems, self)
        return problems


@dataclass(frozen=True)
class MedicationDose:
    """One dose taken: when, what, which class, how much, and why."""

    time: dt.datetime
    name: str
    drug_class: str
    dose: float | None = None
    unit: str = ""
    reason: str = ""

    def validate(self, today: dt.date | None = None) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not isinstance(self.time, dt.datetime):
            problems["time"] = "must be a date and time (YYYY-MM-DDTHH:MM)"
        else:
            _check_date(problems, "time", self.time, today or dt.date.today())
        if not isinstance(self.name, str) or not self.name.strip():
            problems["name"] = "is required"
        if self.drug_class not in domain.DRUG_CLASSES:
            problems["drug_class"] = (
                f"unknown drug class {self.drug_class!r}; use one of {', '.join(domain.DRUG_CLASSES)}"
            )
        if _missing(self.dose):
            pass
        elif not isinstance(self.dose, (int, float)) or isinstance(self.dose, bool) or self.dose < 0:
            problems["dose"] = "must be zero or more"
        elif not math.isfinite(self.dose):
            problems["dose"] = "must be a finite number"
        _check_texts(problems, self)
        return problems


Record = DailyCheckin | MassageSession | MedicationDose


def check(record: Record, where: str = "", today: dt.date | None = None) -> Record:
    """Return the record if it is valid, else raise ``InvalidRecord``."""
    problems = record.validate(today)
    if problems:
        raise InvalidRecord(problems, where)
    return record


def field_names(kind: type) -> list[str]:
    return [f.name for f in fields(kind)]
