"""The template CSV format: ``daily.csv``, ``sessions.csv``, ``medications.csv``.

``fibro export`` writes it and ``fibro import csv`` reads it; column lists live
in ``dashboard.domain``.  Blanks mean "not recorded".
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .. import domain
from ..store import open_private
from ..records import DailyCheckin, Record
from .common import (ImportFormatError, Ledger, ParsedImport, Table, checked, daily_records,
                     date_span, dose_records, header_of, long_daily, merge_records, parse_numbers,
                     per_unique, read_table, session_records, stripped, wrong_kind)
from . import vocab
from .dates import read_dates

FILES = {"daily": "daily.csv", "sessions": "sessions.csv", "doses": "medications.csv"}


def _number(series: pd.Series) -> pd.Series:
    """Numbers as the shortest text that reads back the same (5.0 -> '5'); NaN -> ''.
    A negative zero is 0 (``+ 0.0``): PostgreSQL keeps the -0.0 the demo generator makes,
    SQLite does not, and one diary exports the same from either."""
    return series.map(lambda v: "" if pd.isna(v) else repr(float(v) + 0.0).removesuffix(".0"))


def template_frames(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                    patient: str | None = None) -> dict[str, pd.DataFrame]:
    """Store frames -> the three template tables (text cells, exact column order)."""
    area_cols = [domain.AREA_PAIN_PREFIX + a for a in domain.BODY_AREAS
                 if domain.AREA_PAIN_PREFIX + a in daily.columns]
    out_daily = pd.DataFrame({"date": daily["date"].dt.strftime("%Y-%m-%d")})
    for column in domain.DAILY_COLUMNS[1:-1]:
        out_daily[column] = _number(daily[column])
    out_daily["notes"] = daily["notes"].fillna("")
    out_daily[domain.NAP_MINUTES_COLUMN] = _number(daily["nap_minutes"])
    for column in area_cols:
        out_daily[column] = _number(daily[column])

    out_sessions = pd.DataFrame({
        "start": sessions["start"].dt.strftime("%Y-%m-%dT%H:%M"),
        "duration_min": _number(sessions["duration_min"]),
        "pressure": sessions["pressure"],
        "areas": sessions["areas"],
        "technique": sessions["technique"],
        "therapist": sessions["therapist"],
        "pain_before": _number(sessions["pain_before"]),
        "pain_after": _number(sessions["pain_after"]),
        "notes": sessions["notes"],
    }, columns=list(domain.SESSION_COLUMNS))

    out_doses = pd.DataFrame({
        "time": doses["time"].dt.strftime("%Y-%m-%dT%H:%M"),
        "name": doses["name"],
        "drug_class": doses["drug_class"],
        "dose": _number(doses["dose"]),
        "unit": doses["unit"],
        "reason": doses["reason"],
    }, columns=list(domain.MEDICATION_COLUMNS))

    frames = {"daily": out_daily, "sessions": out_sessions, "doses": out_doses}
    if patient is not None:
        for frame in frames.values():
            frame.insert(0, "patient", patient)
    return frames


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """One template table as the bytes of its UTF-8 CSV file."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_template(frames: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Write the three tables as UTF-8 CSV into ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, name in FILES.items():
        path = out / name
        with open_private(path) as file:  # health data: owner-only (0600)
            file.write(csv_bytes(frames[key]))
        paths.append(path)
    return paths


def zip_template(frames: dict[str, pd.DataFrame]) -> bytes:
    """The three tables as ``write_template`` writes them, in one zip file made in memory
    (the dashboard's download: nothing is written to disk)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, name in FILES.items():
            archive.writestr(name, csv_bytes(frames[key]))
    return buffer.getvalue()


# --- reading ----------------------------------------------------------------------

KIND = "csv"
PATIENT_COLUMN = "patient"
_KIND_BY_FIRST_COLUMN = {"date": "daily", "start": "sessions", "time": "doses"}
_EXPECTED = {"daily": domain.DAILY_COLUMNS, "sessions": domain.SESSION_COLUMNS,
             "doses": domain.MEDICATION_COLUMNS}
_AREA_COLUMNS = {domain.AREA_PAIN_PREFIX + a for a in domain.BODY_AREAS}
_OPTIONAL_DAILY = _AREA_COLUMNS | {domain.NAP_MINUTES_COLUMN}


def template_paths(dir_or_paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """The template files to read: those of a directory that exist, or the paths given."""
    if isinstance(dir_or_paths, (str, Path)):
        given = Path(dir_or_paths)
        if not given.exists():
            raise ImportFormatError("no such file or folder", given)
        if not given.is_dir():
            return [given]
        found = [given / name for name in FILES.values() if (given / name).exists()]
        if not found:
            raise ImportFormatError(
                f"no {', '.join(FILES.values())} in this folder", given)
        return found
    paths = [Path(p) for p in dir_or_paths]
    if not paths:
        raise ImportFormatError(f"name at least one of {', '.join(FILES.values())}")
    return paths


def read_template(dir_or_paths: str | Path | Iterable[str | Path],
                  person: str | None = None) -> ParsedImport:
    """Read the template CSV files (any of the three; the header says which is which).

    An optional leading ``patient`` column keys records by that name; ``person``
    picks one of them.  The template has one row per day, session start and
    dose time + name: a repeated one is an error, not a merge.
    """
    parts: list[dict[str, list[Record]]] = []
    skipped: dict[str, int] = {}
    notes: list[str] = []
    rows_read = rows_used = 0
    for path in template_paths(dir_or_paths):
        table, which = _read(path)
        ledger = Ledger(len(table))
        if PATIENT_COLUMN in table.frame.columns:
            names = stripped(table.col(PATIENT_COLUMN))
            table.fail(names == "", PATIENT_COLUMN, "the patient name is blank")
            if person is not None:
                kept = (names == str(person).strip()).to_numpy()
                ledger.skip(~kept, "another patient in the file (patient not chosen)")
                patient = pd.Series("", index=names.index, dtype=object)
            else:
                kept = np.ones(len(table), dtype=bool)
                patient = names.astype(object)
        else:
            kept = np.ones(len(table), dtype=bool)
            patient = pd.Series("", index=table.frame.index, dtype=object)
        parts.append(_READERS[which](table, patient, kept))
        ledger.use(kept)
        rows_read += len(table)
        rows_used += int(ledger.used.sum())
        for reason, count in ledger.skipped().items():
            skipped[reason] = skipped.get(reason, 0) + count
        notes.extend(table.notes)
    if person is not None and rows_used == 0 and rows_read:
        raise ImportFormatError(f"no rows for patient {person!r}", None, None, PATIENT_COLUMN)
    records = merge_records(*parts)
    first, last = date_span(records)
    return ParsedImport(kind=KIND, rows_read=rows_read, records=records, skipped=skipped,
                        first_date=first, last_date=last, rows_used=rows_used, notes=notes)


def _read(path: Path) -> tuple[Table, str]:
    """The file as a table and which of the three it is, from its header."""
    header = header_of(path)
    body = header[1:] if header[:1] == [PATIENT_COLUMN] else header
    which = _KIND_BY_FIRST_COLUMN.get(body[0] if body else "")
    if which is None:
        raise wrong_kind(Path(path), "template CSV (daily.csv, sessions.csv or medications.csv)",
                         ["date ...", "start ...", "time ..."], header)
    expected = list(_EXPECTED[which])
    if header[:1] == [PATIENT_COLUMN]:
        expected.insert(0, PATIENT_COLUMN)
    if which == "daily":
        extra = [c for c in header[len(expected):]]
        bad = [c for c in extra if c not in _OPTIONAL_DAILY]
        if bad or len(set(extra)) != len(extra):
            raise ImportFormatError(
                f"unexpected column {(bad or extra)[0]!r}; after notes only "
                f"{domain.NAP_MINUTES_COLUMN} and {domain.AREA_PAIN_PREFIX}<area> columns may follow, "
                f"one each (areas: {', '.join(domain.BODY_AREAS)})", path, 1, (bad or extra)[0])
        expected += extra
    table = read_table(path, f"template {FILES[which]}", expected, exact=True)
    return table, which


def _read_daily(table: Table, patient: pd.Series, kept: np.ndarray) -> dict[str, list[Record]]:
    date = read_dates(table, "date", "2024-03-01", people=patient, one_per_day=True)
    _no_repeats(table, patient, kept, [date], "date", "day")
    numbers = {c: parse_numbers(table, c) for c in table.header
               if c in domain.DAILY_RATINGS or c == "sleep_hours" or c in _AREA_COLUMNS}
    if domain.NAP_MINUTES_COLUMN in table.header:
        numbers["nap_minutes"] = parse_numbers(table, domain.NAP_MINUTES_COLUMN, 0,
                                               domain.NAP_MINUTES_MAX, "minutes")
    long = pd.concat(
        [long_daily(patient, date, column, values, table.lines, kept & values.notna().to_numpy())
         for column, values in numbers.items()], ignore_index=True)
    long["field"] = long["field"].astype(object)
    records = daily_records(long, table.path, {}, fill_pain=False)
    return _with_notes_and_blank_days(records, table, patient, date, table.col("notes"), kept)


def _with_notes_and_blank_days(records, table, patient, date, notes, kept) -> dict[str, list[Record]]:
    """Daily records with their notes; a row with only a date or notes is still a day."""
    by_key = {(p, r.date): r for p, rs in records.items() for r in rs}
    patients = patient.to_numpy(dtype=object)
    days = date.dt.date.to_numpy()
    texts = notes.to_numpy(dtype=object)
    today = dt.date.today()
    out: dict[str, list[Record]] = {}
    for i in np.flatnonzero(kept):
        record = by_key.get((patients[i], days[i]))
        if record is None:
            record = checked(DailyCheckin(date=days[i]), table.path, int(table.lines[i]), {}, today)
        if texts[i]:
            record = replace(record, notes=texts[i])
        out.setdefault(patients[i], []).append(record)
    return out


def _read_sessions(table: Table, patient: pd.Series, kept: np.ndarray) -> dict[str, list[Record]]:
    start = read_dates(table, "start", "2024-03-01T17:30", people=patient)
    _no_repeats(table, patient, kept, [start], "start", "session start")
    duration = parse_numbers(table, "duration_min")
    pain_before = parse_numbers(table, "pain_before")
    pain_after = parse_numbers(table, "pain_after")
    pressure = per_unique(table.col("pressure"), lambda u: u.str.strip().str.lower())
    areas = per_unique(table.col("areas"), lambda u: u.map(_areas))
    table.fail(kept & areas.isna().to_numpy(), "areas",
               lambda v: f"{v!r} names an unknown body area; use {', '.join(domain.BODY_AREAS)} "
                         f"separated by '{domain.AREAS_SEPARATOR}'")
    frame = pd.DataFrame({
        "patient": patient, "start": start, "duration_min": duration, "pressure": pressure,
        "areas": areas, "technique": table.col("technique"), "therapist": table.col("therapist"),
        "pain_before": pain_before, "pain_after": pain_after, "notes": table.col("notes"),
        "line": table.lines,
    })[kept]
    frame = frame.astype({c: object for c in ("patient", "pressure", "technique", "therapist", "notes")})
    return session_records(frame, table.path, {})


def _read_doses(table: Table, patient: pd.Series, kept: np.ndarray) -> dict[str, list[Record]]:
    time = read_dates(table, "time", "2024-03-01T08:00", people=patient)
    name = stripped(table.col("name"))
    table.fail(kept & (name == "").to_numpy(), "name", "is required")
    _no_repeats(table, patient, kept, [time, per_unique(name, lambda u: u.str.lower())], "time",
                "dose of this name at this time")
    dose = parse_numbers(table, "dose")
    drug_class = per_unique(table.col("drug_class"), lambda u: u.str.strip().str.lower())
    blank = (drug_class == "") & kept
    drug_class = drug_class.where(~blank, vocab.drug_classes(name[blank], table.notes))
    frame = pd.DataFrame({
        "patient": patient, "time": time, "name": name, "drug_class": drug_class, "dose": dose,
        "unit": stripped(table.col("unit")), "reason": table.col("reason"), "line": table.lines,
    })[kept]
    frame = frame.astype({c: object for c in ("patient", "name", "drug_class", "unit", "reason")})
    return dose_records(frame, table.path, {})


def _no_repeats(table: Table, patient: pd.Series, kept: np.ndarray, keys: list[pd.Series],
                column: str, what: str) -> None:
    frame = pd.concat([patient.rename("patient"), *[k.rename(f"k{i}") for i, k in enumerate(keys)]],
                      axis=1)
    repeated = frame.duplicated().to_numpy() & kept
    table.fail(repeated, column, lambda v: f"the {what} {v!r} appears twice; the template has one row each")


def _areas(text: str) -> tuple[str, ...] | None:
    """'neck; shoulders' -> ('neck', 'shoulders') in vocabulary order; None if one is unknown."""
    names = {a.strip().lower() for a in text.split(domain.AREAS_SEPARATOR) if a.strip()}
    if not names <= set(domain.BODY_AREAS):
        return None
    return tuple(a for a in domain.BODY_AREAS if a in names)


_READERS = {"daily": _read_daily, "sessions": _read_sessions, "doses": _read_doses}
