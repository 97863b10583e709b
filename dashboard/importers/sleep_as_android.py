"""Sleep as Android CSV export -> sleep hours and sleep quality per day.

Every night is a header line (``Id,Tz,From,To,Sched,Hours,Rating,Comment,...``,
its trailing columns varying from night to night) then a value line, sometimes
followed by more lines (noise, actigraphy) that are skipped.  ``Hours`` goes to
the day ``To`` falls on; several nights ending on one day (a night split by a
pause) are added up; a record lying wholly between 10:00 and 20:00 of one day
is a nap and is skipped.  ``Rating`` 0-5 stars x 2 -> sleep quality 0-10, where
0 stars means "not rated" and stays blank.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import domain
from .common import (ImportFormatError, cut_off, Ledger, ParsedImport, SLEEP_DECIMALS, Table,
                     daily_records, finish, normalize_name, parse_dates, parse_numbers, read_rows,
                     wrong_kind)

KIND = "sleep-as-android"
CORE = ("Id", "Tz", "From", "To", "Sched", "Hours", "Rating", "Comment")
STARS_MAX = 5.0
STARS_TO_NRS = domain.RATING_MAX / STARS_MAX
NAP_FROM_HOUR, NAP_UNTIL_HOUR = 10, 20
SOURCE_COLUMNS = {"date": "To", "sleep_hours": "Hours", "sleep_quality": "Rating", "*": "Hours"}
DATE_FORMATS = ("%d. %m. %Y %H:%M", "%d.%m.%Y %H:%M", "%d. %m. %Y %H:%M:%S")


def read_sleep_as_android(path: str | Path, person: str | None = None) -> ParsedImport:
    """Parse a Sleep as Android export (one person; ``person`` is accepted and ignored)."""
    path = Path(path)
    rows, ends_with_newline, notes = read_rows(path)
    nights, extra_lines = _nights(path, rows, ends_with_newline)
    table = Table(path, list(CORE), pd.DataFrame([n[1] for n in nights], columns=list(CORE), dtype=object)
                  .astype(str), np.array([n[0] for n in nights], dtype=np.int64), notes)
    start = parse_dates(table, "From", DATE_FORMATS, "03. 05. 2020 6:22")
    end = parse_dates(table, "To", DATE_FORMATS, "03. 05. 2020 6:22")
    table.fail(end < start, "To", lambda v: f"{v!r} is before the night's From")
    hours = parse_numbers(table, "Hours", 0, domain.SLEEP_HOURS_MAX, "hours")
    stars = parse_numbers(table, "Rating", 0, STARS_MAX, "stars")

    ledger = Ledger(len(table) + extra_lines)
    night_rows = np.zeros(len(ledger.used), dtype=bool)
    night_rows[: len(table)] = True
    ledger.skip(~night_rows, "Sleep as Android extra line (noise/actigraphy): not used")

    repeated = table.col("Id").duplicated().to_numpy()  # value cells are already stripped
    nap = ((start.dt.normalize() == end.dt.normalize()) & (start.dt.hour >= NAP_FROM_HOUR)
           & (end.dt.hour * 60 + end.dt.minute <= NAP_UNTIL_HOUR * 60)).to_numpy()
    no_hours = hours.isna().to_numpy()
    ledger.skip(_pad(repeated, ledger), "Sleep as Android night repeated (same Id)")
    ledger.skip(_pad(nap, ledger), "Sleep as Android nap (naps are not counted)")
    ledger.skip(_pad(no_hours, ledger), "Sleep as Android night without Hours")
    used = ~repeated & ~nap & ~no_hours
    ledger.use(_pad(used, ledger))

    nights_used = pd.DataFrame({
        "date": end.dt.normalize()[used].to_numpy(),
        "hours": hours[used].to_numpy(),
        "stars": stars.where(stars > 0)[used].to_numpy(),
        "line": table.lines[used],
    })
    per_day = nights_used.groupby("date", sort=True).agg(
        hours=("hours", "sum"), stars=("stars", "mean"), line=("line", "min")).reset_index()
    if (per_day["hours"] > domain.SLEEP_HOURS_MAX).any():
        bad = per_day.loc[per_day["hours"] > domain.SLEEP_HOURS_MAX].iloc[0]
        raise ImportFormatError(f"the nights ending on {bad['date']:%Y-%m-%d} add up to "
                                f"{bad['hours']:g} hours, more than a day", path, int(bad["line"]),
                                "Hours")
    long = pd.concat([
        per_day.assign(field="sleep_hours", value=per_day["hours"].round(SLEEP_DECIMALS)),
        per_day.assign(field="sleep_quality", value=per_day["stars"] * STARS_TO_NRS),
    ], ignore_index=True).assign(patient="")[["patient", "date", "field", "value", "line"]]
    records = daily_records(long, path, SOURCE_COLUMNS)
    return finish(KIND, len(ledger.used), ledger, records, notes)


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
