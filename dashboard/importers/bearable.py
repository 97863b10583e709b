"""Bearable CSV export -> daily check-ins, doses and massage sessions.

One row is one reading (``date, weekday, time of day, category, rating/amount,
detail, notes``) and a day has many.  Mapping:

* Symptom severities 0-4 (None, Mild, Moderate, Severe, Unbearable) x 2.5 -> 0-10;
  body-part pains -> per-area pain; the worst entry of a symptom on a day wins;
  the day's pain, when no overall pain was logged, is its worst per-area pain.
* Sleep ``H:MM`` asleep -> the row's date (the wake day).  Every sleep of a day
  (a row's ``Asleep`` times, each ``Nap a - b`` in a detail, a nap row's amount)
  is one sleep: the longest is sleep_hours, the others add up to nap_minutes.
* Sleep quality 1-5 (Bearable's scale, 5 best) -> (rating - 1) x 2.5 -> 0-10 (10 best).
* Meds/Supplements -> a dose: amount = dose, detail ``Name (unit)``; time from
  ``time of day`` (am 08:00, mid 13:00, pm 18:00, pre 22:00, all day/blank 12:00).
* Any row mentioning "massage" -> a session of unknown pressure.
* Mood and Energy (1-10, higher is better) are not low mood or fatigue, so they
  are skipped and reported like every other category.

Scales as Bearable documents them ("What are all the different scales used in
Bearable?", bearable.app support): symptoms 0-4, sleep quality 1-5, mood 1-10.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import domain
from . import vocab
from .common import (SLEEP_DECIMALS, Ledger, ParsedImport, daily_records, dose_records, finish,
                     long_daily, main_sleep_and_naps, merge_records, parse_numbers, per_unique,
                     read_table, session_records, shown_value, stripped)
from .dates import read_dates

KIND = "bearable"
COLUMNS = ("date", "weekday", "time of day", "category", "rating/amount", "detail", "notes")

SEVERITY_LABELS = {"none": 0, "mild": 1, "moderate": 2, "severe": 3, "unbearable": 4}
SEVERITY_TO_NRS = 2.5  # Bearable's 0-4 symptom scale onto the 0-10 rating scale
SLEEP_QUALITY_MIN, SLEEP_QUALITY_MAX = 1, 5  # Bearable's sleep quality scale

TIME_OF_DAY = {"am": "08:00", "mid": "13:00", "pm": "18:00", "pre": "22:00", "all day": "12:00",
               "": "12:00"}

SYMPTOM_CATEGORIES = {"symptom", "symptoms"}
SLEEP_CATEGORIES = {"sleep"}
SLEEP_QUALITY_CATEGORIES = {"sleep quality"}
MEDICATION_CATEGORIES = {"meds/supplements", "meds", "medication", "medications", "supplements"}

_SEVERITY_SUFFIX = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<label>none|mild|moderate|severe|unbearable)\))?\s*$",
                              re.IGNORECASE)
_NAME_UNIT = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)\s*$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_SEGMENT = re.compile(r"\b(asleep|nap)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", re.IGNORECASE)
_NAP = re.compile(r"\bnaps?\b", re.IGNORECASE)

# Error messages name the file's columns.
SOURCE_COLUMNS = {"date": "date", "time": "time of day", "start": "time of day",
                  "name": "detail", "notes": "notes", "*": "rating/amount"}


def read_bearable(path: str | Path, person: str | None = None) -> ParsedImport:
    """Parse a Bearable export (one person; ``person`` is accepted and ignored)."""
    table = read_table(path, "Bearable export", COLUMNS)
    ledger = Ledger(len(table))
    date = read_dates(table, "date", "22nd Sep 2020")
    clock = per_unique(table.col("time of day"), _clock_times)
    table.fail(clock.isna(), "time of day",
               lambda v: f"{shown_value(v)} is not am, mid, pm, pre, all day, a time like 9:30, or blank")
    category = stripped(table.col("category"))
    cat = per_unique(category, lambda u: u.str.lower())
    detail = stripped(table.col("detail"))
    notes = stripped(table.col("notes"))
    patient = pd.Series("", index=table.frame.index, dtype=object)

    ledger.skip(cat == "", "Bearable row without a category")
    known = cat.isin(SYMPTOM_CATEGORIES | SLEEP_CATEGORIES | SLEEP_QUALITY_CATEGORIES
                     | MEDICATION_CATEGORIES)
    ledger.skip(~known, "Bearable category " + category + ": not tracked here")

    daily_parts = [
        _symptoms(table, ledger, cat.isin(SYMPTOM_CATEGORIES), date, detail, patient),
        _sleep(table, ledger, cat.isin(SLEEP_CATEGORIES), date, detail, patient),
        _sleep_quality(table, ledger, cat.isin(SLEEP_QUALITY_CATEGORIES), date, patient),
    ]
    doses = _doses(table, ledger, cat.isin(MEDICATION_CATEGORIES), date + clock, detail, patient)
    sessions = _massages(table, ledger, date + clock, detail, notes, patient)

    records = merge_records(
        daily_records(pd.concat(daily_parts, ignore_index=True), table.path, SOURCE_COLUMNS),
        session_records(sessions, table.path, SOURCE_COLUMNS),
        dose_records(doses, table.path, SOURCE_COLUMNS),
    )
    return finish(KIND, len(table), ledger, records, table.notes)


def _clock_times(text: pd.Series) -> pd.Series:
    """``time of day`` words and clock times as offsets from midnight; NaT for anything else."""
    raw = text.str.strip().str.lower()
    words = raw.map(TIME_OF_DAY)
    clock = raw.str.extract(_CLOCK)
    hours = pd.to_numeric(clock[0], errors="coerce")
    minutes = pd.to_numeric(clock[1], errors="coerce")
    valid = (hours < 24) & (minutes < 60)
    as_clock = pd.Series([f"{h:.0f}:{m:02.0f}" if ok else None
                          for h, m, ok in zip(hours, minutes, valid)], index=raw.index, dtype=object)
    return pd.to_timedelta(words.fillna(as_clock) + ":00", errors="coerce")


def _symptoms(table, ledger, rows, date, detail, patient) -> pd.DataFrame:
    parts = per_unique(detail, _symptom_parts)
    name, label = parts["name"], parts["label"]
    amount = parse_numbers(table, "rating/amount", 0, 4, "(Bearable's symptom scale)", rows=rows)
    severity = amount.fillna(label)
    ledger.skip(rows & severity.isna(), "Bearable symptom without a severity")
    target = per_unique(name, lambda u: u.map(vocab.symptom_target))
    ledger.skip(rows & target.isna(), "symptom '" + name + "' has no field here")
    used = rows & severity.notna() & target.notna()
    ledger.use(used)
    return long_daily(patient, date, target, severity * SEVERITY_TO_NRS, table.lines, used)


def _symptom_parts(detail: pd.Series) -> pd.DataFrame:
    """'Neck pain (Mild)' -> name 'Neck pain', label 1."""
    parts = detail.str.extract(_SEVERITY_SUFFIX)
    return pd.DataFrame({"name": parts["name"].fillna("").str.strip(),
                         "label": parts["label"].fillna("").str.lower().map(SEVERITY_LABELS)})


def _sleep(table, ledger, rows, date, detail, patient) -> pd.DataFrame:
    amount = per_unique(table.col("rating/amount").where(rows, ""), _sleep_amounts)
    hours = amount["hours"].where(rows)
    table.fail(rows & ~amount["blank"] & hours.isna(), "rating/amount",
               lambda v: f"{shown_value(v)} is not a sleep amount like 7:30 (hours:minutes asleep)")
    table.fail(rows & ((hours < 0) | (hours > domain.SLEEP_HOURS_MAX) | ~amount["minutes_ok"]),
               "rating/amount", lambda v: f"{shown_value(v)} is outside 0:00-24:00 hours asleep")
    has_nap = (rows & per_unique(detail, lambda u: u.str.contains(_NAP))).to_numpy()
    night = np.where(rows.to_numpy() & ~has_nap, hours.to_numpy(), np.nan)
    index, nap_hours = [], []
    texts = detail.to_numpy(dtype=object)
    segments = {text: _segments(text) for text in set(texts[has_nap])}
    for i in np.flatnonzero(has_nap):
        asleep, naps = segments[texts[i]]
        if asleep is None and not naps and not np.isnan(hours.iloc[i]):
            naps = [hours.iloc[i]]  # a nap row without times: its amount
        night[i] = np.nan if asleep is None else asleep
        index += [i] * len(naps)
        nap_hours += naps
    index = np.concatenate([np.flatnonzero(~np.isnan(night)), np.array(index, dtype=np.int64)])
    sleeps = pd.DataFrame({"patient": patient.to_numpy(dtype=object)[index],
                           "date": date.dt.normalize().to_numpy()[index],
                           "hours": np.concatenate([night[~np.isnan(night)], nap_hours]),
                           "line": table.lines[index]})
    used = np.zeros(len(rows), dtype=bool)
    used[index] = True
    ledger.skip(rows.to_numpy() & ~used, "Sleep entry without an amount")
    ledger.use(used)
    per_day = main_sleep_and_naps(sleeps)
    return pd.concat([
        per_day.assign(field="sleep_hours", value=per_day["hours"].round(SLEEP_DECIMALS)),
        per_day.assign(field="nap_minutes", value=per_day["nap_minutes"]),
    ], ignore_index=True)[["patient", "date", "field", "value", "line"]]


def _sleep_amounts(text: pd.Series) -> pd.DataFrame:
    """'7:30' (or decimal hours) -> hours; whether the cell was blank; whether minutes were < 60."""
    amount = text.str.strip()
    clock = amount.str.extract(_CLOCK)
    minutes = pd.to_numeric(clock[1], errors="coerce")
    h_m = pd.to_numeric(clock[0], errors="coerce") + minutes / 60
    decimal = pd.to_numeric(amount.str.replace(",", ".", regex=False).where(amount != "", np.nan),
                            errors="coerce")
    return pd.DataFrame({"hours": h_m.fillna(decimal), "blank": amount == "",
                         "minutes_ok": minutes.fillna(0) < 60})


def _segments(text: str) -> tuple[float | None, list[float]]:
    """Hours of a sleep detail's ``Asleep a - b`` times (one sleep, None if none) and of each ``Nap a - b``."""
    night, naps = None, []
    for kind, h1, m1, h2, m2 in _SEGMENT.findall(text):
        hours = ((int(h2) * 60 + int(m2) - int(h1) * 60 - int(m1)) % (24 * 60)) / 60
        if kind.lower() == "asleep":
            night = (night or 0.0) + hours
        else:
            naps.append(hours)
    return night, naps


def _sleep_quality(table, ledger, rows, date, patient) -> pd.DataFrame:
    rating = parse_numbers(table, "rating/amount", SLEEP_QUALITY_MIN, SLEEP_QUALITY_MAX,
                           "(Bearable's sleep quality scale)", rows=rows)
    ledger.skip(rows & rating.isna(), "Sleep quality without a rating")
    used = rows & rating.notna()
    ledger.use(used)
    value = (rating - SLEEP_QUALITY_MIN) * (domain.RATING_MAX / (SLEEP_QUALITY_MAX - SLEEP_QUALITY_MIN))
    field = pd.Series("sleep_quality", index=table.frame.index, dtype=object)
    return long_daily(patient, date, field, value, table.lines, used)


def _doses(table, ledger, rows, when, detail, patient) -> pd.DataFrame:
    amount = parse_numbers(table, "rating/amount", 0, None, rows=rows)
    parts = per_unique(detail, _name_unit)
    name, unit = parts["name"], parts["unit"]
    table.fail(rows & (name == ""), "detail", "a Meds/Supplements entry needs a name")
    ledger.use(rows)
    mask = rows.to_numpy()
    return pd.DataFrame({
        "patient": patient[mask].to_numpy(dtype=object),
        "time": when[mask].to_numpy(),
        "name": name[mask].to_numpy(dtype=object),
        "drug_class": vocab.drug_classes(name[mask], table.notes).to_numpy(dtype=object),
        "dose": amount[mask].to_numpy(dtype="float64"),
        "unit": unit[mask].to_numpy(dtype=object),
        "reason": "",
        "line": table.lines[mask],
    })


def _name_unit(detail: pd.Series) -> pd.DataFrame:
    """'Ibuprofen (mg)' -> name 'Ibuprofen', unit 'mg'; no brackets -> no unit."""
    parts = detail.str.extract(_NAME_UNIT)
    return pd.DataFrame({"name": parts["name"].fillna(detail).str.strip(),
                         "unit": parts["unit"].fillna("").str.strip()})


def _mentions_massage(text: pd.Series) -> pd.Series:
    return text.str.contains(vocab.MASSAGE)


def _massages(table, ledger, when, detail, notes, patient) -> pd.DataFrame:
    rows = (per_unique(detail, _mentions_massage) | per_unique(notes, _mentions_massage)).to_numpy()
    ledger.use(rows)
    out = []
    for i in np.flatnonzero(rows):
        text = " ".join(t for t in (detail.iloc[i], notes.iloc[i]) if t)
        areas, assumed = vocab.massage_areas(text)
        start = when.iloc[i]
        technique = detail.iloc[i] if vocab.MASSAGE.search(detail.iloc[i]) else "massage"
        out.append({
            "patient": patient.iloc[i], "start": start,
            "duration_min": vocab.massage_minutes(start.hour * 60 + start.minute),
            "pressure": "unknown", "areas": areas, "technique": technique[:200], "therapist": "",
            "pain_before": np.nan, "pain_after": np.nan,
            "notes": " ".join(t for t in (notes.iloc[i], vocab.ASSUMED_AREAS_NOTE if assumed else "") if t),
            "line": int(table.lines[i]),
        })
    columns = ["patient", "start", "duration_min", "pressure", "areas", "technique", "therapist",
               "pain_before", "pain_after", "notes", "line"]
    return pd.DataFrame(out, columns=columns)

