"""Dates as people's files really hold them: several styles in one column, day or month first.

A spreadsheet that opens and re-saves an export in another locale rewrites only
the cells it understood: a Fitbit file then mixes ``4/13/2016 12:00:00 AM``
(month first, with seconds) with ``12/04/2016 12:00 AM`` (day first, without).
So dates are read per *style*, the shape of the text (its separators, how many
numbers, a month name, AM/PM), and each style whose shape does not say whether
the day or the month comes first is decided from the file itself, in this order:

1. values above 12: a style with ``13/04/2016`` somewhere puts the day first;
2. the source's own format (``native``): an untouched Fitbit export is month first;
3. the order of each person's dates (files run in date order, one direction) and,
   when both readings keep that order in a file of one row a day (a night): the
   reading whose dates follow each other closely (days, not months apart).

Only values that stay ambiguous (``05/04/2016`` in a style nothing decides) or that
are no date are refused, naming file, line and column.  Every style that needed
deciding, in a file with several styles or a style foreign to the source, is
reported in the import's notes: "Dates in the style 12/04/2016 12:00 AM read as
day/month (143 rows)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..wording import plural
from .common import SHOWN_LENGTH, ImportFormatError, Table, per_unique, short_text, shown_value

MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_IGNORED_WORDS = {"t", "z", "utc", "gmt"}  # ISO's 'T' and time-zone words carry no date
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_TOKEN = re.compile(r"\d+|[A-Za-z]+|\s+|[^\dA-Za-z\s]")
ORDER_TEXT = {"dmy": "day/month", "mdy": "month/day"}


def style_of(text: str) -> str:
    """The shape of a date text: 4-digit numbers become 9999, others 9, month names Mon, am/pm AM.

    '12/04/2016 12:00 AM' -> '9/9/9999 9:9 AM'.
    """
    parts = []
    for token in _TOKEN.findall(_ORDINAL.sub("", text.strip())):
        if token.isdigit():
            parts.append("9999" if len(token) == 4 else "9")
        elif token.isspace():
            parts.append(" ")
        elif token.isalpha():
            lower = token.lower()
            parts.append("Mon" if lower[:3] in MONTHS and len(lower) >= 3 else
                         "AM" if lower in ("am", "pm") else lower)
        else:
            parts.append(token)
    return "".join(parts)


@dataclass
class _Style:
    """How the numbers of one style are read: which is the year, day, month; the time fields."""

    key: str
    pattern: re.Pattern | None  # None: no date can have this shape
    groups: tuple[str, ...] = ()  # what each group holds: 'number', 'year' (4 digits), 'month', 'ampm'

    @property
    def year_first(self) -> bool:
        return self.groups[:1] == ("year",)

    @property
    def month_word(self) -> bool:
        return "month" in self.groups


def _style(key: str) -> _Style:
    tokens = re.findall(r"9999|9|Mon|AM|[a-z]+| |.", key)
    words = [t for t in tokens if t.isalpha() and t not in ("Mon", "AM")]
    numbers = tokens.count("9") + tokens.count("9999")
    months = tokens.count("Mon")
    date_numbers = 2 if months else 3
    time_fields = numbers - date_numbers
    if (any(w not in _IGNORED_WORDS for w in words) or months > 1 or tokens.count("AM") > 1
            or time_fields not in (0, 2, 3, 4)):
        return _Style(key, None)
    regex = "".join(r"(\d{4})" if t == "9999" else r"(\d+)" if t == "9" else r"([A-Za-z]+)" if t == "Mon" else
                    r"([AaPp][Mm])" if t == "AM" else r"\s+" if t == " " else
                    re.escape(t) if not t.isalpha() else f"(?i:{re.escape(t)})" for t in tokens)
    groups = tuple({"9": "number", "9999": "year", "Mon": "month", "AM": "ampm"}[t] for t in tokens
                   if t in ("9", "9999", "Mon", "AM"))
    if groups[:date_numbers + months].count("year") > 1:
        return _Style(key, None)
    return _Style(key, re.compile(regex), groups)


def _fields(style: _Style, text: pd.Series) -> pd.DataFrame:
    """The parts of texts of one style as numbers: a, b (day/month in either order), year, time."""
    parts = text.str.strip().str.replace(_ORDINAL, "", regex=True).str.extract(style.pattern)
    parts.columns = range(len(style.groups))
    numeric = [i for i, role in enumerate(style.groups) if role in ("number", "year")]
    out = pd.DataFrame(index=text.index)
    if style.month_word:
        month_at = style.groups.index("month")
        first, second = numeric[0], numeric[1]
        year_is_first = style.groups[first] == "year"
        out["day"] = pd.to_numeric(parts[second if year_is_first else first])
        out["month"] = parts[month_at].str[:3].str.lower().map(MONTHS)
        year_text = parts[first if year_is_first else second]
        rest = numeric[2:]
    else:
        if style.year_first:
            year_text, a, b = parts[numeric[0]], parts[numeric[1]], parts[numeric[2]]
        else:
            a, b, year_text = parts[numeric[0]], parts[numeric[1]], parts[numeric[2]]
        out["a"], out["b"] = pd.to_numeric(a), pd.to_numeric(b)
        rest = numeric[3:]
    year = pd.to_numeric(year_text)
    out["year"] = year.where(year_text.str.len() != 2, 2000 + year)
    time = [pd.to_numeric(parts[c]) for c in rest]
    hour = time[0] if time else pd.Series(0, index=text.index)
    if "ampm" in style.groups:
        pm = parts[style.groups.index("ampm")].str.lower() == "pm"
        out["time_ok"] = (hour >= 1) & (hour <= 12)
        hour = hour % 12 + 12 * pm
    else:
        out["time_ok"] = hour < 24
    out["hour"] = hour
    out["minute"] = time[1] if len(time) > 1 else 0
    out["second"] = time[2] if len(time) > 2 else 0
    out["time_ok"] &= (out["minute"] < 60) & (out["second"] < 60)
    return out


def _datetimes(fields: pd.DataFrame, day: str, month: str | pd.Series) -> pd.Series:
    """Datetimes of parsed fields (NaT where no such day or time exists)."""
    months = fields[month] if isinstance(month, str) else month
    frame = pd.DataFrame({"year": fields["year"], "month": months, "day": fields[day],
                          "hour": fields["hour"], "minute": fields["minute"], "second": fields["second"]})
    ok = frame.notna().all(axis=1) & fields["time_ok"] & frame["month"].between(1, 12) & frame[
        "day"].between(1, 31)
    result = pd.Series(pd.NaT, index=fields.index, dtype="datetime64[us]")
    if ok.any():
        result[ok] = pd.to_datetime(frame[ok].astype("int64"), errors="coerce").astype("datetime64[us]")
    return result


def _readings(uniques: pd.Series) -> pd.DataFrame:
    """Per distinct text: its style, and its datetime read day first and month first (NaT if not a date)."""
    keys = uniques.map(style_of)
    out = pd.DataFrame({"style": keys, "dmy": pd.NaT, "mdy": pd.NaT, "ambiguous": False},
                       index=uniques.index).astype({"dmy": "datetime64[us]", "mdy": "datetime64[us]"})
    for key in keys.unique():
        style = _style(key)
        rows = keys == key
        if style.pattern is None:
            continue
        text = uniques[rows]
        matched = text.str.strip().str.replace(_ORDINAL, "", regex=True).str.fullmatch(style.pattern)
        text = text[matched]
        if text.empty:
            continue
        fields = _fields(style, text)
        if style.month_word:
            fixed = _datetimes(fields, "day", "month")
            out.loc[text.index, "dmy"] = fixed
            out.loc[text.index, "mdy"] = fixed
        elif style.year_first:
            fixed = _datetimes(fields, "b", "a")
            out.loc[text.index, "dmy"] = fixed
            out.loc[text.index, "mdy"] = fixed
        else:
            out.loc[text.index, "dmy"] = _datetimes(fields, "a", "b")
            out.loc[text.index, "mdy"] = _datetimes(fields, "b", "a")
            out.loc[text.index, "ambiguous"] = True
    return out


def read_dates(table: Table, columns: str | list[str], example: str,
               native: dict[str, str] | None = None, people: pd.Series | None = None,
               one_per_day: bool = False) -> pd.Series | list[pd.Series]:
    """The dates of one or more columns of ``table``, styles inferred as the module says.

    ``native``: example texts of the source's own format -> 'dmy' or 'mdy', the
    reading of a style nothing else decides.  ``people``: whose date each row is
    (orders are per person).  ``one_per_day``: a person has one row a day (Fitbit,
    the template's daily.csv).  Notes on inferred styles go to ``table.notes``.
    """
    names = [columns] if isinstance(columns, str) else list(columns)
    size = len(table)
    cells = per_unique(pd.concat([table.col(n) for n in names], ignore_index=True).astype(object),
                       lambda u: u.astype(str).str.strip())
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    readings = _readings(pd.Series(uniques, dtype=object))
    cell_line = np.tile(table.lines, len(names))
    cell_column = np.repeat(np.arange(len(names)), size)
    # cells in the order the file holds them: by line, then column
    order = (np.arange(size) if len(names) == 1
             else np.lexsort((cell_column, np.tile(np.arange(size), len(names)))))
    person = (np.zeros(size, dtype=np.int64) if people is None
              else pd.factorize(people.astype(str), use_na_sentinel=False)[0])
    person = np.tile(person, len(names))

    def fail(mask: np.ndarray, message) -> None:
        if mask.any():
            first = order[mask[order]][0]
            value = cells.iloc[first]
            raise ImportFormatError(message(value, first), table.path, int(cell_line[first]),
                                    names[cell_column[first]])

    style = readings["style"].to_numpy(dtype=object)[codes]
    dmy = readings["dmy"].to_numpy()[codes]
    mdy = readings["mdy"].to_numpy()[codes]
    fail(np.isnat(dmy) & np.isnat(mdy), lambda v, i: f"{shown_value(v)} is not a date like {example}")
    ambiguous = readings["ambiguous"].to_numpy()[codes]
    result = np.where(np.isnat(dmy), mdy, dmy)  # the same wherever only one reading exists
    undecided = ambiguous & ~np.isnat(dmy) & ~np.isnat(mdy) & (dmy != mdy)
    known = ~undecided
    natives = {style_of(k): v for k, v in (native or {}).items()}
    styles = pd.unique(style[ambiguous])
    counts = {s: _rows(cell_line, ambiguous & (style == s), len(names)) for s in styles}
    decided: dict[str, str] = {}
    pending = []
    for key in sorted(styles, key=lambda s: -counts[s]):
        of_style = ambiguous & (style == key)
        only_d = of_style & ~np.isnat(dmy) & np.isnat(mdy)
        only_m = of_style & np.isnat(dmy) & ~np.isnat(mdy)
        if only_d.any() or only_m.any():
            chosen = "dmy" if only_d.sum() > only_m.sum() else "mdy"
            if only_d.sum() == only_m.sum():
                chosen = natives.get(key, chosen)
            other = only_m if chosen == "dmy" else only_d
            fail(other, lambda v, i, c=chosen: (
                f"{shown_value(v)} reads only as {ORDER_TEXT['mdy' if c == 'dmy' else 'dmy']}, but "
                f"other dates written like it read as {ORDER_TEXT[c]}"))
            decided[key] = chosen
        elif key in natives:
            decided[key] = natives[key]
        else:
            pending.append(key)
            continue
        result = np.where(of_style, dmy if decided[key] == "dmy" else mdy, result)
        known |= of_style
    for key in pending:
        of_style = ambiguous & (style == key)
        chosen = _by_order(result, known, of_style & undecided, dmy, mdy, person, order, one_per_day)
        if chosen is None:
            continue
        decided[key] = chosen
        result = np.where(of_style, dmy if chosen == "dmy" else mdy, result)
        known |= of_style
    fail(~known, lambda v, i: (
        f"{shown_value(v)} could be {_day(dmy[i])} or {_day(mdy[i])}: nothing in the file says "
        f"whether dates written like it put the day or the month first; write it as "
        f"{_day(dmy[i], iso=True)} or {_day(mdy[i], iso=True)}"))
    mixed = len(pd.unique(style)) > 1
    for key in sorted(decided, key=lambda s: -counts[s]):
        if mixed or key not in natives:
            first = order[(ambiguous & (style == key))[order]][0]
            table.notes.append(f"Dates in the style {short_text(cells.iloc[first], SHOWN_LENGTH)} read as "
                               f"{ORDER_TEXT[decided[key]]} ({plural(counts[key], 'row')})")
    series = [pd.Series(result[i * size:(i + 1) * size], index=table.frame.index,
                        dtype="datetime64[us]") for i in range(len(names))]
    return series[0] if isinstance(columns, str) else series


def _rows(cell_line: np.ndarray, mask: np.ndarray, columns: int) -> int:
    """How many lines the cells in ``mask`` are on (a line has a cell per column)."""
    return int(mask.sum()) if columns == 1 else np.unique(cell_line[mask]).size


def _day(value: np.datetime64, iso: bool = False) -> str:
    day = pd.Timestamp(value)
    return f"{day:%Y-%m-%d}" if iso else f"{day.day} {day:%B %Y}"


def _by_order(result, known, candidates, dmy, mdy, person, order, one_per_day) -> str | None:
    """'dmy' or 'mdy', whichever keeps each person's dates in order; None if both or neither do.

    With one row a day, a tie goes to the reading whose dates lie at most half as far
    apart (a diary's days follow each other; the other reading jumps by months).
    """
    scores = {}
    for name, reading in (("dmy", dmy), ("mdy", mdy)):
        trial = np.where(candidates, reading, result)
        mask = (known | candidates)[order]
        days = trial[order][mask].astype("datetime64[D]").astype(np.int64)
        who = person[order][mask]
        by_person = np.argsort(who, kind="stable")
        days, who = days[by_person], who[by_person]
        same = who[1:] == who[:-1]
        steps = np.diff(days)[same]
        against = min(int((steps > 0).sum()), int((steps < 0).sum()))
        repeats = int((steps == 0).sum()) if one_per_day else 0
        scores[name] = (against + repeats, int(np.abs(steps).sum()))
    (best, (bad_best, spread_best)), (_, (bad_other, spread_other)) = sorted(
        scores.items(), key=lambda item: item[1])
    closer = one_per_day and 2 * spread_best <= spread_other and spread_best < spread_other
    if bad_best < bad_other or (bad_best == bad_other and closer):
        return best
    return None
