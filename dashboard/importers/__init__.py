"""Readers of outside formats; each produces the records of ``dashboard.records``.

``parse(kind, path)`` reads a file into a ``ParsedImport`` (or raises
``ImportFormatError`` naming file, line and column); ``import_into(store, ...)``
writes it in one transaction and returns a JSON-able summary.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import pandas as pd

from ..records import DailyCheckin, MassageSession, MedicationDose, Record, check
from .common import ImportFormatError, ParsedImport, header_of, read_text

KINDS = ("bearable", "fitbit-sleep", "sleep-as-android", "flaredown", "csv")
RECORD_TYPES = ("daily", "sessions", "doses")

__all__ = ["KINDS", "ImportFormatError", "ParsedImport", "guess_kind", "import_into", "parse"]


def _readers() -> dict[str, Callable[..., ParsedImport]]:
    from .bearable import read_bearable
    from .fitbit import read_fitbit_sleep
    from .flaredown import read_flaredown
    from .sleep_as_android import read_sleep_as_android
    from .template import read_template

    return {"bearable": read_bearable, "fitbit-sleep": read_fitbit_sleep,
            "sleep-as-android": read_sleep_as_android, "flaredown": read_flaredown,
            "csv": read_template}


def guess_kind(path: str | Path) -> str | None:
    """The kind of a file (or template folder) judged from its header, else None."""
    from .template import FILES

    path = Path(path)
    if path.is_dir():
        return "csv" if any((path / name).exists() for name in FILES.values()) else None
    header = header_of(path)
    if not header:
        return None
    names = set(header)
    if header[:7] == ["date", "weekday", "time of day", "category", "rating/amount", "detail", "notes"]:
        return "bearable"
    if {"id", "sleepday", "totalminutesasleep"} <= names:
        return "fitbit-sleep"
    if header[:4] == ["id", "tz", "from", "to"]:
        return "sleep-as-android"
    if {"user_id", "checkin_date", "trackable_type", "trackable_name", "trackable_value"} <= names:
        return "flaredown"
    body = header[1:] if header[0] == "patient" else header
    if body[:2] in (["date", "pain"], ["start", "duration_min"], ["time", "name"]):
        return "csv"
    return None


def parse(kind: str | None, path: str | Path, person: str | None = None) -> ParsedImport:
    """Read a file of ``kind`` (None: guess it); ``person`` picks one person of a multi-person file."""
    if kind is None:
        kind = guess_kind(path)
        if kind is None:
            if not Path(path).is_dir():
                read_text(path)  # an empty or missing file says so
            raise ImportFormatError(f"cannot tell the format from the header; name one of "
                                    f"{', '.join(KINDS)}", path, 1)
    readers = _readers()
    if kind not in readers:
        raise ValueError(f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
    return readers[kind](path, person=person)


def import_into(store, kind: str | None, path: str | Path, patient: str = "me",
                person: str | None = None, dry_run: bool = False) -> dict:
    """Parse ``path`` and save it into ``store`` in one transaction; a JSON-able summary.

    Records of a one-person file go to ``patient``; a multi-person file names
    one patient per person.  A dry run validates everything and counts what
    would be created, updated or left unchanged by comparing with the store,
    but writes nothing.  A real run backs up a SQLite store that holds records
    first, unless the import changes nothing.
    """
    parsed = parse(kind, path, person=person)
    batches = _by_patient(parsed.records, patient)
    backup = None
    if dry_run:
        for name, records in batches.items():
            for index, record in enumerate(records, start=1):
                check(record, where=f"record {index} of {name}")
        counts = _compare_with_store(store, batches)
    else:
        result = store.save_by_name(batches, source=parsed.kind, backup_suffix="before-import")
        backup = str(result.backup) if result.backup else None
        counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    return {
        "kind": parsed.kind,
        "path": str(path),
        "dry_run": dry_run,
        "rows_read": parsed.rows_read,
        "rows_used": parsed.rows_used,
        "rows_skipped": sum(parsed.skipped.values()),
        **{outcome: {t: int(counts[outcome].get(t, 0)) for t in RECORD_TYPES}
           for outcome in ("created", "updated", "unchanged")},
        "skipped": dict(parsed.skipped),
        "first_date": parsed.first_date.isoformat() if parsed.first_date else None,
        "last_date": parsed.last_date.isoformat() if parsed.last_date else None,
        "patients": sorted(name for name, records in batches.items() if records),
        "notes": list(parsed.notes),
        "backup": backup,
    }


def _by_patient(records: dict[str, list[Record]], patient: str) -> dict[str, list[Record]]:
    """Records keyed "" go to ``patient``; a patient named twice gets one list."""
    out: dict[str, list[Record]] = {}
    for name, items in records.items():
        out.setdefault(name or patient, []).extend(items)
    return out


def _compare_with_store(store, batches: dict[str, list[Record]]) -> dict[str, dict[str, int]]:
    """What saving would do, record by record, judged as the store judges it."""
    counts = {"created": {}, "updated": {}, "unchanged": {}}
    known = store.patients()
    ids = dict(zip(known["name"], known["id"]))
    for name, records in batches.items():
        stored = _stored_keys(store, ids.get(name.strip()))
        for record in records:
            kind, key, values = _identity(record)
            if key not in stored[kind]:
                outcome = "created"
                stored[kind][key] = values  # a repeat within the file would update it
            else:
                outcome = "unchanged" if stored[kind][key] == values else "updated"
            counts[outcome][kind] = counts[outcome].get(kind, 0) + 1
    return counts


def _stored_keys(store, patient_id) -> dict[str, dict]:
    """Stored records of one patient as natural key -> comparable values."""
    out: dict[str, dict] = {t: {} for t in RECORD_TYPES}
    if patient_id is None:
        return out
    daily = store.daily(patient_id)
    area_cols = [c for c in daily.columns if c.startswith("pain_")]
    for row in daily.to_dict("records"):
        record = DailyCheckin(
            date=row["date"].date(), notes=row["notes"] or "",
            area_pain={c[5:]: row[c] for c in area_cols if not _blank(row[c])},
            **{f: row[f] for f in _DAILY_VALUES})
        out["daily"][record.date] = _identity(record)[2]
    for row in store.sessions(patient_id).to_dict("records"):
        values = _session_values(row["duration_min"], row["pressure"], row["technique"],
                                 row["therapist"], row["pain_before"], row["pain_after"],
                                 row["notes"], [a for a in row["areas"].split(";") if a])
        out["sessions"][row["start"].to_pydatetime()] = values
    for row in store.doses(patient_id).to_dict("records"):
        out["doses"][(row["time"].to_pydatetime(), row["name"])] = _dose_values(
            row["drug_class"], row["dose"], row["unit"], row["reason"])
    return out


_DAILY_VALUES = ("pain", "sleep_hours", "nap_minutes", "sleep_quality", "fatigue", "stiffness",
                 "anxiety", "low_mood", "fog", "headache")


def _identity(record: Record) -> tuple[str, object, tuple]:
    """(record type, natural key, the values the store compares)."""
    if isinstance(record, DailyCheckin):
        values = tuple(_number(getattr(record, f)) for f in _DAILY_VALUES) + (
            record.notes or "",
            frozenset((a, float(v)) for a, v in record.area_pain.items() if not _blank(v)))
        return "daily", record.date, values
    if isinstance(record, MassageSession):
        return "sessions", record.start, _session_values(
            record.duration_min, record.pressure, record.technique, record.therapist,
            record.pain_before, record.pain_after, record.notes, record.areas)
    if isinstance(record, MedicationDose):
        return "doses", (record.time, record.name.strip()), _dose_values(
            record.drug_class, record.dose, record.unit, record.reason)
    raise TypeError(f"not a record: {record!r}")


def _session_values(duration, pressure, technique, therapist, before, after, notes, areas) -> tuple:
    return (float(duration), pressure, technique or "", therapist or "", _number(before),
            _number(after), notes or "", frozenset(areas))


def _dose_values(drug_class, dose, unit, reason) -> tuple:
    return (drug_class, _number(dose), unit or "", reason or "")


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _number(value) -> float | None:
    return None if _blank(value) else float(value)

