"""Fitbit daily sleep (Fitabase ``sleepDay_merged.csv``) -> sleep hours per day.

``SleepDay`` is the day Fitbit files a night under, the day the sleep ends, so
``TotalMinutesAsleep / 60`` becomes that day's ``sleep_hours``.  Fitbit's total
includes every sleep record of the day (``TotalSleepRecords`` > 1 means a nap
or a broken night); it cannot be split, so it is taken as it is.  A file with
several ``Id`` values gives one patient per id, named after it.  Dates re-saved by
a spreadsheet in another locale (day first, no seconds) are read as ``dates.py`` says.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import (Ledger, ParsedImport, SLEEP_DECIMALS, choose_people, daily_records, finish,
                     long_daily, parse_numbers, read_table)
from .dates import read_dates

KIND = "fitbit-sleep"
COLUMNS = ("Id", "SleepDay", "TotalSleepRecords", "TotalMinutesAsleep", "TotalTimeInBed")
SOURCE_COLUMNS = {"date": "SleepDay", "*": "TotalMinutesAsleep"}
MINUTES_A_DAY = 24 * 60
# Fitabase writes month first; a spreadsheet's re-save may add other styles (see dates.py).
NATIVE_DATES = {"4/12/2016 12:00:00 AM": "mdy", "4/12/2016 0:00:00": "mdy", "4/12/2016": "mdy"}


def read_fitbit_sleep(path: str | Path, person: str | None = None) -> ParsedImport:
    """Parse ``sleepDay_merged.csv``; ``person`` picks one ``Id`` of a file with several."""
    table = read_table(path, "Fitbit sleepDay_merged.csv", COLUMNS)
    ledger = Ledger(len(table))
    patient, kept = choose_people(table, table.col("Id"), "Id", person, ledger)
    day = read_dates(table, "SleepDay", "4/12/2016 12:00:00 AM", native=NATIVE_DATES,
                     people=table.col("Id"), one_per_day=True)
    minutes = parse_numbers(table, "TotalMinutesAsleep", 0, MINUTES_A_DAY, "minutes")
    parse_numbers(table, "TotalTimeInBed", 0, MINUTES_A_DAY, "minutes")
    ledger.skip(kept & minutes.isna().to_numpy(), "Fitbit day without minutes asleep")
    used = kept & minutes.notna().to_numpy()
    ledger.use(used)
    field = pd.Series("sleep_hours", index=table.frame.index, dtype=object)
    hours = (minutes / 60).round(SLEEP_DECIMALS)
    long = long_daily(patient, day, field, hours, table.lines, used)  # a repeated day keeps the longest
    records = daily_records(long, table.path, SOURCE_COLUMNS)
    return finish(KIND, len(table), ledger, records, table.notes)

