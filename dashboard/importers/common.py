"""What every importer shares: the result, the error, reading a CSV safely, building records.

Importers turn a file into a ``ParsedImport`` or raise ``ImportFormatError``
naming the file, the line and the column; nothing is written until a whole
file has parsed, so a bad row never leaves half an import behind.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .. import domain
from ..records import DailyCheckin, MassageSession, MedicationDose, Record

# Imported sleep hours are rounded to 0.01 h (36 s): no export is more precise
# than a minute, and 7.22 reads better than 7.216666666666667.
SLEEP_DECIMALS = 2


@dataclass
class ParsedImport:
    """A parsed file: records keyed by patient name ("" = the patient the caller picks)."""

    kind: str
    rows_read: int
    records: dict[str, list[Record]]
    skipped: dict[str, int] = field(default_factory=dict)
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    rows_used: int = 0
    notes: list[str] = field(default_factory=list)

    def count(self, kind: type) -> int:
        """How many records of one type (DailyCheckin, MassageSession, MedicationDose)."""
        return sum(isinstance(r, kind) for records in self.records.values() for r in records)


class ImportFormatError(ValueError):
    """A file that cannot be imported; the message names file, line and column.

    The message is safe to print: control characters (of a file name, a column
    name, or a value a reader quoted without ``shown_value``) are escaped, and a
    reason longer than ``REASON_LENGTH`` is shortened in the middle.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 column: str | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.column = column
        if isinstance(column, str) and repr(column) in message:  # a header cell, quoted raw
            message = message.replace(repr(column), shown_value(column))
        self.reason = short_text(message, REASON_LENGTH)
        where = []
        if self.path is not None:
            where.append(escape_controls(self.path.name) + (f" line {line}" if line is not None else ""))
        elif line is not None:
            where.append(f"line {line}")
        if column:
            where.append(f"column {short_text(str(column), SHOWN_LENGTH)}")
        super().__init__(f"{', '.join(where)}: {self.reason}" if where else self.reason)


# --- quoting what a file holds in messages ---------------------------------------

SHOWN_LENGTH = 60  # characters of a quoted cell value in a message, escapes included
REASON_LENGTH = 400  # characters of an error's reason (file, line and column come on top)
SKIP_REASON_LENGTH = 120  # characters of a reason rows were skipped for


def escape_controls(text: str) -> str:
    """``text`` with control and other unprintable characters escaped as ``repr`` writes them.

    ESC becomes ``\\x1b``, NUL ``\\x00``, a line break ``\\n``: what a file holds can
    then never move the cursor, recolour or clear a terminal it is printed on.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def short_text(text: str, limit: int) -> str:
    """``escape_controls(text)``, its middle replaced by ' ... ' when longer than ``limit``."""
    text = escape_controls(text)
    if len(text) <= limit:
        return text
    tail = limit // 4
    return f"{text[:limit - tail - 5]} ... {text[-tail:]}"


def shown_value(value) -> str:
    """A cell value as every importer quotes it in an error or skip message.

    Trimmed, quoted and escaped like ``repr`` (``'\\x1b[31m'``, never a raw control
    character), and cut to ``SHOWN_LENGTH`` characters ending in '...' (escapes
    count, and none is cut in half).
    """
    text = str(value).strip()
    quoted = repr(text)
    if len(quoted) - 2 <= SHOWN_LENGTH:
        return quoted
    keep = SHOWN_LENGTH - 3
    while len(repr(text[:keep])) - 2 > SHOWN_LENGTH - 3:
        keep -= 1
    quoted = repr(text[:keep])
    return f"{quoted[:-1]}...{quoted[-1]}"


class CellText(str):
    """A raw cell handed to a message builder: ``f"{cell!r}"`` quotes it as ``shown_value`` does."""

    def __repr__(self) -> str:
        return shown_value(self)


# --- reading text -------------------------------------------------------------

def read_text(path: str | Path) -> tuple[str, list[str]]:
    """The file's text and any notes about it.

    UTF-8 (with or without a byte-order mark) is expected.  A file that is not
    valid UTF-8 is read as Windows-1252, the Latin-1 superset that Excel writes,
    and a note says so: accented letters may then need checking.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFormatError("no such file", path) from None
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise ImportFormatError("the file is empty", path)
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        return text, [f"{path.name} is not UTF-8 (first at line {line}); "
                      "read it as Latin-1 (Windows-1252): check accented letters"]


def read_rows(path: str | Path) -> tuple[list[tuple[int, list[str]]], bool, list[str]]:
    """Every non-blank CSV row with its (last) line number; whether the text ends with a line break; notes."""
    text, notes = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for fields in reader:
            if "".join(fields).strip():
                rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise ImportFormatError(f"not readable as CSV ({exc})", path, reader.line_num + 1) from None
    if not rows:
        raise ImportFormatError("the file is empty", path)
    # a last line as wide as the first ending in an open quote: cut in its last value (a
    # shorter one is named, with its column, by the importers' row-length checks)
    if len(rows) > 1 and len(rows[-1][1]) == len(rows[0][1]) and _ends_inside_quotes(text):
        raise ImportFormatError("the last line is cut off inside a quoted value (its closing "
                                "quote is missing); the file looks truncated, export it again",
                                path, rows[-1][0], rows[0][1][-1].strip())
    ends_with_newline = text.endswith(("\n", "\r"))
    if not ends_with_newline:
        notes = [*notes, f"{Path(path).name} has no line end after its last line (line "
                         f"{rows[-1][0]}): if the file was cut off there, that line's last "
                         "value is incomplete; check it, or export the file again"]
    return rows, ends_with_newline, notes


def _ends_inside_quotes(text: str) -> bool:
    """Whether the text ends inside a quoted value: a file cut in the middle of a quoted
    last column (Bearable's notes) keeps every column, so only the open quote shows it.
    The tolerant reader above takes such a value as it is; a strict one says "unexpected end
    of data" (its other complaints, such as a stray quote, are not cut-offs)."""
    try:
        for _fields in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def normalize_name(name: str) -> str:
    """A column name as compared: trimmed, lower case, single spaces."""
    return " ".join(name.strip().lower().split())


def header_of(path: str | Path) -> list[str]:
    """The first CSV row of a file, normalized; [] when unreadable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(65536)
    except OSError:
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    try:
        return [normalize_name(f) for f in next(csv.reader([first]), [])]
    except csv.Error:
        return []


@dataclass
class Table:
    """The data rows of a CSV file as text columns, with their line numbers."""

    path: Path
    header: list[str]
    frame: pd.DataFrame
    lines: np.ndarray
    notes: list[str]

    def __len__(self) -> int:
        return len(self.frame)

    def col(self, name: str) -> pd.Series:
        return self.frame[name]

    def fail(self, mask, column: str, message: Callable[[str], str] | str) -> None:
        """Raise for the first row where ``mask`` holds, naming its line and ``column``."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            i = int(np.argmax(mask))
            raw = CellText(str(self.frame[column].iloc[i]) if column in self.frame else "")
            text = message(raw) if callable(message) else message
            raise ImportFormatError(text, self.path, int(self.lines[i]), column)


def check_row_lengths(path: Path, rows: list[tuple[int, list[str]]], header: list[str],
                      ends_with_newline: bool) -> None:
    """Every row has the header's width (blank extra cells are tolerated); a short last line is a cut-off file."""
    width = len(header)
    for number, (line, fields) in enumerate(rows):
        if len(fields) == width or (len(fields) > width and not any(f.strip() for f in fields[width:])):
            continue
        column = header[len(fields)] if len(fields) < width else None
        if number == len(rows) - 1 and len(fields) < width and not ends_with_newline:
            raise ImportFormatError(cut_off(len(fields), width), path, line, column)
        raise ImportFormatError(f"has {len(fields)} columns, the header has {width}", path, line, column)


def cut_off(found: int, width: int) -> str:
    return (f"the last line is cut off ({found} of {width} columns and no line end); "
            "the file looks truncated, export it again")


def read_table(path: str | Path, what: str, expected: Iterable[str],
               exact: bool = False) -> Table:
    """Read a CSV whose first line names (at least) the ``expected`` columns.

    Column names are matched ignoring case and spacing; the frame's columns are
    spelled as in ``expected``.  ``exact`` also forbids extra columns and
    requires the order.
    """
    path = Path(path)
    rows, ends_with_newline, notes = read_rows(path)
    spelling = {normalize_name(e): e for e in expected}
    header = [normalize_name(h) for h in rows[0][1]]
    if (header != list(spelling)) if exact else not set(spelling) <= set(header):
        raise wrong_kind(path, what, list(expected), [h.strip() for h in rows[0][1]])
    header = [spelling.get(h, raw.strip()) for h, raw in zip(header, rows[0][1])]
    body = rows[1:]
    check_row_lengths(path, body, header, ends_with_newline)
    width = len(header)
    frame = pd.DataFrame([fields if len(fields) == width else fields[:width] for _, fields in body],
                         columns=header, dtype=object)
    lines = np.array([line for line, _ in body], dtype=np.int64)
    return Table(path, header, frame.reset_index(drop=True), lines, notes)


def wrong_kind(path: Path, what: str, expected: list[str], header: list[str]) -> ImportFormatError:
    """The error for a file whose header is not the one ``what`` has."""
    from . import guess_kind  # the package knows every format

    guessed = guess_kind(path)
    hint = f"; it looks like a {guessed!r} file" if guessed else ""
    shown = ", ".join(short_text(h, 30) for h in header[:10]) + (" ..." if len(header) > 10 else "")
    return ImportFormatError(
        f"this is not a {what}: expected columns {', '.join(expected)}; found {shown}{hint}",
        path, 1)


# --- parsing columns ---------------------------------------------------------

def per_unique(series: pd.Series, func: Callable[[pd.Series], pd.Series | pd.DataFrame]):
    """``func`` (vectorized) applied to the distinct values only, spread back over the rows.

    Exports repeat a few values (dates, categories, names) many times, and
    Python-level string work on each distinct value once keeps 100,000 rows fast.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    result = func(pd.Series(uniques, dtype=object))
    return result.iloc[codes].set_axis(series.index)


def stripped(series: pd.Series) -> pd.Series:
    return per_unique(series, lambda u: u.str.strip())


def parse_numbers(table: Table, column: str, low: float | None = None, high: float | None = None,
                  unit: str = "", text: pd.Series | None = None, rows=None) -> pd.Series:
    """Numbers of a column (blank -> NaN); text or a value outside low-high is an error.

    ``rows`` limits the checks to some rows (a mask); others come back NaN.
    """
    raw = table.col(column) if text is None else text
    if rows is not None:
        raw = raw.where(np.asarray(rows, dtype=bool), "")
    converted = per_unique(raw, _numbers)
    values = converted["value"]
    table.fail(values.isna() & ~converted["blank"], column, lambda v: f"{shown_value(v)} is not a number")
    if low is None and high is None:
        return values
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        allowed = f"is outside {low:g}-{high:g}{unit}"
    else:
        allowed = f"is below {low:g}{unit}" if low is not None else f"is above {high:g}{unit}"
    bad = pd.Series(False, index=values.index)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    table.fail(bad, column, lambda v: f"{shown_value(v)} {allowed}")
    return values


def _numbers(text: pd.Series) -> pd.DataFrame:
    """Cells as numbers ('7,5' too); ``blank`` says the cell was empty."""
    cleaned = text.str.strip().str.replace(",", ".", regex=False)
    blank = cleaned == ""
    values = pd.to_numeric(cleaned.where(~blank, np.nan), errors="coerce").astype("float64")
    return pd.DataFrame({"value": values, "blank": blank})


# --- accounting for rows -----------------------------------------------------

class Ledger:
    """Which rows were used, and why the others were skipped (reason -> count)."""

    def __init__(self, size: int):
        self.used = np.zeros(size, dtype=bool)
        self.reason = np.full(size, "not used", dtype=object)
        self.has_reason = np.zeros(size, dtype=bool)

    def use(self, mask) -> None:
        self.used |= np.asarray(mask, dtype=bool)

    def skip(self, mask, reason: str | pd.Series | np.ndarray) -> None:
        """Give rows in ``mask`` a reason unless they have one (it counts only if they stay unused).

        Reasons are made safe to print (``short_text``): they often quote a cell.
        """
        mask = np.asarray(mask, dtype=bool) & ~self.has_reason
        if isinstance(reason, str):
            self.reason[mask] = short_text(reason, SKIP_REASON_LENGTH)
        elif mask.any():
            chosen = pd.Series(np.asarray(reason, dtype=object)[mask], dtype=object).astype(str)
            self.reason[mask] = per_unique(
                chosen, lambda u: u.map(lambda r: short_text(r, SKIP_REASON_LENGTH))).to_numpy()
        self.has_reason |= mask

    def skipped(self) -> dict[str, int]:
        return dict(Counter(self.reason[~self.used].tolist()).most_common())


def choose_people(table: Table, ids: pd.Series, column: str, person: str | None,
                  ledger: Ledger) -> tuple[pd.Series, np.ndarray]:
    """Patient keys per row: "" for a one-person file or the chosen ``person``, else the id.

    Rows of people not chosen are skipped.  Returns (keys, kept mask).
    """
    ids = stripped(ids)
    table.fail(ids == "", column, "the person's id is blank")
    if person is not None:
        person = str(person).strip()
        kept = (ids == person).to_numpy()
        if not kept.any():
            known = ", ".join(shown_value(i) for i in sorted(ids.unique())[:10])
            raise ImportFormatError(f"no rows for person {shown_value(person)}; the file has {known}",
                                    table.path, None, column)
        ledger.skip(~kept, f"another person in the file ({column} not chosen)")
        return pd.Series("", index=ids.index).where(kept, ids), kept
    kept = np.ones(len(ids), dtype=bool)
    if ids.nunique() <= 1:
        return pd.Series("", index=ids.index, dtype=object), kept
    return ids.astype(object), kept


# --- building records ----------------------------------------------------------

# Pseudo-field: a pain report that counts towards the day's overall pain only
# when no overall pain was logged (like the per-area pains do).
PAIN_FALLBACK = "_pain_fallback"


def daily_records(long: pd.DataFrame, path: Path, columns: dict[str, str],
                  today: dt.date | None = None, fill_pain: bool = True) -> dict[str, list[DailyCheckin]]:
    """One check-in per patient and day from rows of (patient, date, field, value, line).

    Several values of one field on one day keep the worst (the largest); with
    ``fill_pain`` the day's overall pain, when not logged, is the worst per-area pain.
    """
    out: dict[str, list[DailyCheckin]] = {}
    if long.empty:
        return out
    long = long.dropna(subset=["value"])
    if long.empty:
        return out
    grouped = long.groupby(["patient", "date", "field"], sort=True)
    wide = grouped["value"].max().unstack("field")
    lines = long.groupby(["patient", "date"], sort=True)["line"].min()
    area_cols = [c for c in wide.columns if c.startswith(domain.AREA_PAIN_PREFIX)]
    fallback_cols = area_cols + ([PAIN_FALLBACK] if PAIN_FALLBACK in wide.columns else [])
    if "pain" not in wide.columns:
        wide["pain"] = np.nan
    if fallback_cols and fill_pain:
        wide["pain"] = wide["pain"].fillna(wide[fallback_cols].max(axis=1))
    rating_fields = ["pain", "sleep_hours", "nap_minutes", *[f for f in domain.DAILY_RATINGS if f != "pain"]]
    for name in rating_fields:
        if name not in wide.columns:
            wide[name] = np.nan
    patients = wide.index.get_level_values("patient")
    dates = pd.DatetimeIndex(wide.index.get_level_values("date")).date
    values = zip(*(_nones(wide[name]) for name in rating_fields))
    areas = [c[len(domain.AREA_PAIN_PREFIX):] for c in area_cols]
    area_values = zip(*(_nones(wide[c]) for c in area_cols)) if area_cols else itertools.repeat(())
    lines = lines.reindex(wide.index).to_numpy()
    today = today or dt.date.today()
    for i, (row, area_row) in enumerate(zip(values, area_values)):
        values = dict(zip(rating_fields, row))
        if values["nap_minutes"] is not None:
            values["nap_minutes"] = int(values["nap_minutes"]) if float(values["nap_minutes"]).is_integer() \
                else values["nap_minutes"]  # a fraction is left for validation to name
        record = DailyCheckin(date=dates[i], **values,
                              area_pain={a: v for a, v in zip(areas, area_row) if v is not None})
        checked(record, path, int(lines[i]), columns, today)
        out.setdefault(patients[i], []).append(record)
    return out


def main_sleep_and_naps(sleeps: pd.DataFrame) -> pd.DataFrame:
    """A day's sleep from the sleeps ending on it (rows of patient, date, hours, line, ...).

    The longest sleep is the day's sleep whatever the clock says (people with
    fibromyalgia often sleep in the daytime); the others are naps, added up in
    whole minutes (NaN when there are none).  Returns per (patient, date): the
    main sleep's row (every column) with ``nap_minutes`` added.
    """
    if sleeps.empty:
        return sleeps.assign(nap_minutes=pd.Series(dtype="float64"))
    ordered = sleeps.sort_values(["patient", "date", "hours", "line"], ascending=[True, True, False, True],
                                 kind="stable")
    main = ordered.drop_duplicates(["patient", "date"])
    totals = ordered.groupby(["patient", "date"], sort=False)["hours"].sum()
    key = pd.MultiIndex.from_frame(main[["patient", "date"]])
    naps = (totals.reindex(key).to_numpy() - main["hours"].to_numpy()) * 60
    return main.assign(nap_minutes=np.where(naps > 0.5, np.round(naps), np.nan)).reset_index(drop=True)


def _nones(series: pd.Series) -> np.ndarray:
    """Floats as Python objects with None for NaN, the way records hold them."""
    numbers = series.to_numpy(dtype="float64")
    out = numbers.astype(object)
    out[np.isnan(numbers)] = None
    return out


def dose_records(frame: pd.DataFrame, path: Path, columns: dict[str, str],
                 today: dt.date | None = None) -> dict[str, list[MedicationDose]]:
    """Doses from rows of (patient, time, name, drug_class, dose, unit, reason, line).

    Entries of one product at one time (the store's key) become one dose, their
    amounts added up.
    """
    out: dict[str, list[MedicationDose]] = {}
    if frame.empty:
        return out
    frame = frame.assign(key=per_unique(frame["name"], lambda u: u.str.strip().str.lower()))
    grouped = frame.groupby(["patient", "time", "key"], sort=True)
    merged = grouped.agg(name=("name", "first"), drug_class=("drug_class", "first"),
                         unit=("unit", "first"), reason=("reason", "first"), line=("line", "min"))
    merged["dose"] = grouped["dose"].sum(min_count=1)
    times = pd.DatetimeIndex(merged.index.get_level_values("time")).to_pydatetime()
    patients = merged.index.get_level_values("patient")
    today = today or dt.date.today()
    for i, row in enumerate(merged.itertuples(index=False)):
        record = MedicationDose(time=times[i], name=row.name.strip(), drug_class=row.drug_class,
                                dose=_or_none(row.dose), unit=row.unit, reason=row.reason)
        checked(record, path, int(row.line), columns, today)
        out.setdefault(patients[i], []).append(record)
    return out


def session_records(frame: pd.DataFrame, path: Path, columns: dict[str, str],
                    today: dt.date | None = None) -> dict[str, list[MassageSession]]:
    """Sessions from rows of (patient, start, duration_min, pressure, areas, technique,
    therapist, pain_before, pain_after, notes, line); one per patient and start (the first)."""
    out: dict[str, list[MassageSession]] = {}
    if frame.empty:
        return out
    frame = frame.sort_values(["patient", "start", "line"]).drop_duplicates(["patient", "start"])
    starts = pd.DatetimeIndex(frame["start"]).to_pydatetime()
    today = today or dt.date.today()
    for i, row in enumerate(frame.itertuples(index=False)):
        record = MassageSession(
            start=starts[i], duration_min=float(row.duration_min), pressure=row.pressure,
            areas=tuple(row.areas), technique=row.technique, therapist=row.therapist,
            pain_before=_or_none(row.pain_before), pain_after=_or_none(row.pain_after),
            notes=row.notes)
        checked(record, path, int(row.line), columns, today)
        out.setdefault(row.patient, []).append(record)
    return out


def checked(record: Record, path: Path, line: int, columns: dict[str, str],
            today: dt.date) -> Record:
    """The record, or an ImportFormatError naming the line and the source column of its first problem."""
    problems = record.validate(today)
    if problems:
        name, message = next(iter(problems.items()))
        column = columns.get(name, columns.get("*", name))
        value = getattr(record, name, None)
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str):  # the record quotes it with repr: quote it as importers do
                message = message.replace(repr(text), shown_value(text))
        raise ImportFormatError(f"{name.replace('_', ' ')}: {message}", path, line, column)
    return record


def _or_none(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def merge_records(*parts: dict[str, list[Record]]) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = {}
    for part in parts:
        for patient, records in part.items():
            out.setdefault(patient, []).extend(records)
    return out


def date_span(records: dict[str, list[Record]]) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day any record falls on."""
    days = [record_day(r) for rs in records.values() for r in rs]
    return (min(days), max(days)) if days else (None, None)


def record_day(record: Record) -> dt.date:
    if isinstance(record, DailyCheckin):
        return record.date
    when = record.start if isinstance(record, MassageSession) else record.time
    return when.date()


def finish(kind: str, table_rows: int, ledger: Ledger, records: dict[str, list[Record]],
           notes: list[str]) -> ParsedImport:
    """The ParsedImport of a file: counts, skipped reasons and date span."""
    first, last = date_span(records)
    return ParsedImport(kind=kind, rows_read=table_rows, records=records, skipped=ledger.skipped(),
                        first_date=first, last_date=last, rows_used=int(ledger.used.sum()),
                        notes=list(notes))


def empty_daily() -> pd.DataFrame:
    return pd.DataFrame({"patient": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[us]"),
                         "field": pd.Series(dtype=object), "value": pd.Series(dtype="float64"),
                         "line": pd.Series(dtype="int64")})


def long_daily(patient: pd.Series, date: pd.Series, field: pd.Series | str, value: pd.Series,
               lines: np.ndarray, mask) -> pd.DataFrame:
    """Rows of the long daily frame for the rows in ``mask``."""
    mask = np.asarray(mask, dtype=bool)
    fields = field[mask].to_numpy(dtype=object) if isinstance(field, pd.Series) else field
    return pd.DataFrame({
        "patient": patient[mask].to_numpy(dtype=object),
        "date": date[mask].dt.normalize().to_numpy(),
        "field": fields,
        "value": value[mask].to_numpy(dtype="float64"),
        "line": lines[mask],
    })
