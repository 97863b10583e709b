"""Sleep as Android CSV export -> sleep hours and sleep quality per day.

Every night is a header line (``Id,Tz,From,To,Sched,Hours,Rating,Comment,...``,
its trailing columns varying from night to night) then a value line, sometimes
followed by more lines (noise, actigraphy) that are skipped.  ``Hours`` goes to
the day ``To`` falls on.  Records less than ``SPLIT_GAP`` apart are one sleep
(a night split by a pause, their hours added up); of the sleeps ending on a day
the longest is that day's sleep, at whatever hour (10:58 -> 16:39 is a day's
sleep for someone who sleeps in the daytime), and the others are naps
(``nap_minutes``).  ``Rating`` 0-5 stars x 2 -> sleep quality 0-10 (both: higher
is better) of the day's sleep, where 0 stars means "not rated" and stays blank.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import domain
from .common import (ImportFormatError, cut_off, Ledger, ParsedImport, SLEEP_DECIMALS, Table,
                     daily_records, finish, main_sleep_and_naps, normalize_name, parse_numbers,
                     read_rows, wrong_kind)
from .dates import read_dates

KIND = "sleep-as-android"
CORE = ("Id", "Tz", "From", "To", "Sched", "Hours", "Rating", "Comment")
STARS_MAX = 5.0
STARS_TO_NRS = domain.RATING_MAX / STARS_MAX
SPLIT_GAP = pd.Timedelta(hours=1)
SOURCE_COLUMNS = {"date": "To", "sleep_hours": "Hours", "sleep_quality": "Rating",
                  "nap_minutes": "Hours", "*": "Hours"}
# The app writes day first; a spreadsheet's re-save may add other styles (see dates.py).
NATIVE_DATES = {"03. 05. 2020 6:22": "dmy", "03.05.2020 6:22": "dmy", "03. 05. 2020 6:22:10": "dmy"}


def read_sleep_as_android(path: str | Path, person: str | None = None) -> ParsedImport:
    """Parse a Sleep as Android export (one person; ``person`` is accepted and ignored)."""
    path = Path(path)
    rows, ends_with_newline, notes = read_rows(path)
    nights, extra_lines = _nights(path, rows, ends_with_newline)
    table = Table(path, list(CORE), pd.DataFrame([n[1] for n in nights], columns=list(CORE), dtype=object)
                  .astype(str), np.array([n[0] for n in nights], dtype=np.int64), notes)
    start, end = read_dates(table, ["From", "To"], "03. 05. 2020 6:22", native=NATIVE_DATES)
    table.fail(end < start, "To", lambda v: f"{v!r} is before the night's From")
    hours = parse_numbers(table, "Hours", 0, domain.SLEEP_HOURS_MAX, "hours")
    stars = parse_numbers(table, "Rating", 0, STARS_MAX, "stars")

    ledger = Ledger(len(table) + extra_lines)
    night_rows = np.zeros(len(ledger.used), dtype=bool)
    night_rows[: len(table)] = True
    ledger.skip(~night_rows, "Sleep as Android extra line (noise/actigraphy): not used")

    repeated = table.col("Id").duplicated().to_numpy()  # value cells are already stripped
    no_hours = hours.isna().to_numpy()
    ledger.skip(_pad(repeated, ledger), "Sleep as Android night repeated (same Id)")
    ledger.skip(_pad(no_hours, ledger), "Sleep as Android night without Hours")
    used = ~repeated & ~no_hours
    ledger.use(_pad(used, ledger))

    records_used = pd.DataFrame({
        "start": start[used].to_numpy(), "end": end[used].to_numpy(),
        "hours": hours[used].to_numpy(), "stars": stars.where(stars > 0)[used].to_numpy(),
        "line": table.lines[used],
    })
    per_day = main_sleep_and_naps(_sleeps(records_used))
    total = per_day["hours"] + per_day["nap_minutes"].fillna(0) / 60
    if (total > domain.SLEEP_HOURS_MAX).any():
        bad = per_day.loc[total > domain.SLEEP_HOURS_MAX].iloc[0]
        raise ImportFormatError(f"the sleeps ending on {bad['date']:%Y-%m-%d} add up to more than "
                                "a day", path, int(bad["line"]), "Hours")
    long = pd.concat([
        per_day.assign(field="sleep_hours", value=per_day["hours"].round(SLEEP_DECIMALS)),
        per_day.assign(field="sleep_quality", value=per_day["stars"] * STARS_TO_NRS),
        per_day.assign(field="nap_minutes", value=per_day["nap_minutes"]),
    ], ignore_index=True)[["patient", "date", "field", "value", "line"]]
    records = daily_records(long, path, SOURCE_COLUMNS)
    return finish(KIND, len(ledger.used), ledger, records, notes)


def _sleeps(records: pd.DataFrame) -> pd.DataFrame:
    """Records less than ``SPLIT_GAP`` apart joined into sleeps (hours added, stars averaged).

    One row per sleep: patient, date (the day it ends), hours, stars, line (its first record's).
    """
    records = records.sort_values("start", kind="stable").reset_index(drop=True)
    gap = records["start"] - records["end"].cummax().shift()
    sleep = (~(gap <= SPLIT_GAP)).cumsum()
    joined = records.groupby(sleep, sort=False).agg(
        end=("end", "max"), hours=("hours", "sum"), stars=("stars", "mean"), line=("line", "min"))
    return joined.assign(patient="", date=joined["end"].dt.normalize()).reset_index(drop=True)


def _nights(path: Path, rows, ends_with_newline: bool) -> tuple[list[tuple[int, list[str]]], int]:
    """The value line of every night (its core fields) and the number of extra lines."""
    nights: list[tuple[int, list[str]]] = []
    extra = 0
    header: list[str] | None = None
    expecting_values = False
    core = [c.lower() for c in CORE]
    for number, (line, fields) in enumerate(rows):
        if fields[0].strip().lower() == "id":
            if [normalize_name(f) for f in fields[: len(CORE)]] != core:
                raise ImportFormatError(
                    f"a night's header must start with {','.join(CORE)}", path, line)
            header, expecting_values = fields, True
            continue
        if header is None:
            raise wrong_kind(path, "Sleep as Android export", list(CORE), [f.strip() for f in fields])
        if not expecting_values:
            extra += 1
            continue
        expecting_values = False
        if (number == len(rows) - 1 and not ends_with_newline and len(fields) < len(header)):
            column = header[len(fields)].strip() if len(fields) < len(header) else None
            raise ImportFormatError(cut_off(len(fields), len(header)), path, line, column)
        if len(fields) < len(CORE):
            raise ImportFormatError(
                f"a night's values need at least {len(CORE)} columns, this line has {len(fields)}",
                path, line)
        if not fields[0].strip().isdigit():
            raise ImportFormatError(f"{fields[0]!r} is not a night's Id (a number)", path, line, "Id")
        nights.append((line, [f.strip() for f in fields[: len(CORE)]]))
    if header is None:
        raise ImportFormatError("this is not a Sleep as Android export: no header line", path, 1)
    if expecting_values:
        raise ImportFormatError("the last night has a header but no values; the file looks "
                                "truncated", path, rows[-1][0])
    return nights, extra


def _pad(mask: np.ndarray, ledger: Ledger) -> np.ndarray:
    """A mask over nights, extended with False over the extra lines."""
    out = np.zeros(len(ledger.used), dtype=bool)
    out[: len(mask)] = mask
    return out
