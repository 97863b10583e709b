"""The three records a person keeps, and the rules a valid one follows.

A record is a plain frozen dataclass; ``validate()`` returns every problem at
once as ``{field: message}`` so a form can show each message beside its field
and a CLI or importer can name the column.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass, field, fields

from . import domain


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


def _check_not_future(problems: dict[str, str], name: str, when, today: dt.date) -> None:
    day = when.date() if isinstance(when, dt.datetime) else when
    if day > today:
        problems[name] = f"{day.isoformat()} is in the future"


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
            _check_not_future(problems, "date", self.date, today or dt.date.today())
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
            _check_not_future(problems, "start", self.start, today or dt.date.today())
        if _missing(self.duration_min) or not isinstance(self.duration_min, (int, float)):
            problems["duration_min"] = "is required, in minutes"
        elif not 0 < self.duration_min <= 24 * 60:
            problems["duration_min"] = f"{self.duration_min:g} minutes is not a session length"
        elif isinstance(self.start, dt.datetime):
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
            _check_not_future(problems, "time", self.time, today or dt.date.today())
        if not self.name or not self.name.strip():
            problems["name"] = "is required"
        if self.drug_class not in domain.DRUG_CLASSES:
            problems["drug_class"] = (
                f"unknown drug class {self.drug_class!r}; use one of {', '.join(domain.DRUG_CLASSES)}"
            )
        if not _missing(self.dose) and (not isinstance(self.dose, (int, float)) or self.dose < 0):
            problems["dose"] = "must be zero or more"
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
