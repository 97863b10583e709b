"""Flaredown research export (long format) -> daily check-ins, doses and massage sessions.

Columns ``user_id, age, sex, country, checkin_date, trackable_id,
trackable_type, trackable_name, trackable_value``.  Condition and Symptom
values 0-4 x 2.5 -> 0-10 (as Bearable), names mapped like Bearable's;
Treatments become doses at noon of the check-in day (free-text dose: a leading
number is the dose, the rest the unit; empty or no number -> no dose); a
Treatment or Tag naming massage is a session of unknown pressure.  Several
users give one patient per ``user_id``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import vocab
from .common import (Ledger, ParsedImport, choose_people, daily_records, dose_records, finish,
                     long_daily, merge_records, parse_numbers, per_unique, read_table,
                     session_records, stripped)
from .dates import read_dates

KIND = "flaredown"
COLUMNS = ("user_id", "age", "sex", "country", "checkin_date", "trackable_id", "trackable_type",
           "trackable_name", "trackable_value")
SEVERITY_TO_NRS = 2.5  # Flaredown's 0-4 scale onto the 0-10 rating scale
NOON = pd.Timedelta(hours=12)
RATED_TYPES = {"condition", "symptom"}
SOURCE_COLUMNS = {"date": "checkin_date", "time": "checkin_date", "start": "checkin_date",
                  "name": "trackable_name", "*": "trackable_value"}

_DOSE = re.compile(r"^(?P<dose>\d+(?:[.,]\d+)?)(?!\s*/)\s*(?P<unit>.*)$")
_MINUTES = re.compile(r"^(?P<n>\d+(?:[.,]\d+)?)\s*(?P<unit>m|min|mins|minutes?|h|hrs?|hours?)$",
                      re.IGNORECASE)


def read_flaredown(path: str | Path, person: str | None = None) -> ParsedImport:
    """Parse a Flaredown export; ``person`` picks one ``user_id`` of a file with several."""
    table = read_table(path, "Flaredown export", COLUMNS)
    ledger = Ledger(len(table))
    patient, kept = choose_people(table, table.col("user_id"), "user_id", person, ledger)
    date = read_dates(table, "checkin_date", "2015-11-26", people=table.col("user_id"))
    type_raw = stripped(table.col("trackable_type"))
    kind = per_unique(type_raw, lambda u: u.str.lower())
    name = stripped(table.col("trackable_name"))
    value = stripped(table.col("trackable_value"))
    massage = (kept & per_unique(name, lambda u: u.str.contains(vocab.MASSAGE)).to_numpy()
               & kind.isin({"treatment", "tag"}).to_numpy())

    rated = kept & kind.isin(RATED_TYPES).to_numpy()
    severity = parse_numbers(table, "trackable_value", 0, 4, "(Flaredown's scale)", rows=rated)
    ledger.skip(rated & severity.isna().to_numpy(), "Flaredown " + type_raw + " without a value")
    target = per_unique(name, lambda u: u.map(vocab.symptom_target))
    ledger.skip(rated & target.isna().to_numpy(), kind + " '" + name + "' has no field here")
    rated_used = rated & severity.notna().to_numpy() & target.notna().to_numpy()
    ledger.use(rated_used)
    daily = long_daily(patient, date, target, severity * SEVERITY_TO_NRS, table.lines, rated_used)

    treatment = kept & (kind == "treatment").to_numpy() & ~massage
    ledger.use(treatment | massage)
    ledger.skip(kept & ~rated & ~treatment & ~massage,
                "Flaredown " + type_raw.where(type_raw != "", "(blank type)") + ": not tracked here")
    doses, free_text = _doses(table, treatment, patient, date + NOON, name, value)
    sessions = _sessions(table, massage, patient, date + NOON, name, value)

    records = merge_records(
        daily_records(daily, table.path, SOURCE_COLUMNS),
        session_records(sessions, table.path, SOURCE_COLUMNS),
        dose_records(doses, table.path, SOURCE_COLUMNS),
    )
    notes = table.notes
    if free_text:
        notes.append(f"treatment doses without a leading number (e.g. 'as needed'), kept without "
                     f"an amount: {free_text}")
    return finish(KIND, len(table), ledger, records, notes)


def _doses(table, rows, patient, when, name, value) -> tuple[pd.DataFrame, int]:
    parts = per_unique(value, _dose_parts)
    dose, unit = parts["dose"], parts["unit"]
    table.fail(rows & (name == "").to_numpy(), "trackable_name", "a Treatment needs a name")
    free_text = int((rows & (value != "").to_numpy() & dose.isna().to_numpy()).sum())
    frame = pd.DataFrame({
        "patient": patient[rows].to_numpy(dtype=object),
        "time": when[rows].to_numpy(),
        "name": name[rows].to_numpy(dtype=object),
        "drug_class": vocab.drug_classes(name[rows], table.notes).to_numpy(dtype=object),
        "dose": dose[rows].to_numpy(dtype="float64"),
        "unit": unit[rows].to_numpy(dtype=object),
        "reason": "",
        "line": table.lines[rows],
    })
    return frame, free_text


def _dose_parts(value: pd.Series) -> pd.DataFrame:
    """'300 mg' -> dose 300, unit 'mg'; text without a leading number -> no dose."""
    parts = value.str.extract(_DOSE)
    return pd.DataFrame({
        "dose": pd.to_numeric(parts["dose"].str.replace(",", ".", regex=False), errors="coerce"),
        "unit": parts["unit"].fillna("").str.strip().str.slice(0, 40),
    })


def _sessions(table, rows, patient, when, name, value) -> pd.DataFrame:
    out = []
    for i in np.flatnonzero(rows):
        areas, assumed = vocab.massage_areas(name.iloc[i])
        start = when.iloc[i]
        out.append({
            "patient": patient.iloc[i], "start": start,
            "duration_min": _minutes(value.iloc[i]) or vocab.massage_minutes(start.hour * 60 + start.minute),
            "pressure": "unknown", "areas": areas, "technique": name.iloc[i][:200], "therapist": "",
            "pain_before": np.nan, "pain_after": np.nan,
            "notes": vocab.ASSUMED_AREAS_NOTE if assumed else "", "line": int(table.lines[i]),
        })
    columns = ["patient", "start", "duration_min", "pressure", "areas", "technique", "therapist",
               "pain_before", "pain_after", "notes", "line"]
    return pd.DataFrame(out, columns=columns)


def _minutes(text: str) -> float | None:
    """A length like '45 min' or '1.5 hours' in minutes, else None (the default is used)."""
    match = _MINUTES.match(text.strip())
    if not match:
        return None
    number = float(match.group("n").replace(",", "."))
    minutes = number * 60 if match.group("unit").lower().startswith("h") else number
    return minutes if 0 < minutes <= 11 * 60 else None
