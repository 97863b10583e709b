"""How numbers, p-values and days are written: one module for the pages, the PDF and the CLI.

A negative figure gets a true minus sign (U+2212): the hyphen-minus is narrower than
"+", so a column of signed figures would not line up, and a screen reader may read it as
a dash.  A missing figure is an en dash.  Plain text from plain values: no Panel here.
"""

from __future__ import annotations

import datetime as dt
import math

MINUS = "\u2212"
MISSING = "–"


def missing(value) -> bool:
    """Whether ``value`` is no figure at all: None, NaN, or pandas' NA and NaT."""
    if value is None:
        return True
    try:
        return bool(math.isnan(value))
    except (TypeError, ValueError):
        return str(value) in ("NaT", "<NA>")


def with_minus(text: str) -> str:
    """``text`` with every hyphen-minus a true minus sign (for figures already written)."""
    return text.replace("-", MINUS)


def number(value, decimals: int = 1, unit: str = "") -> str:
    """'4.2', '−0.5 h' (a true minus sign), or '–' when missing."""
    if missing(value):
        return MISSING
    return with_minus(f"{value:.{decimals}f}") + (f" {unit}" if unit else "")


def signed(value, decimals: int = 2) -> str:
    """'+0.35', '−1.20' (a true minus sign), '0.00' (no sign once rounded to 0), or '–'."""
    if missing(value):
        return MISSING
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return text
    return f"+{text}" if value > 0 else f"{MINUS}{text}"


def interval(low, high, decimals: int = 2) -> str:
    """'−1.11 to +0.16', or '–' when either end is missing."""
    if missing(low) or missing(high):
        return MISSING
    return f"{signed(low, decimals)} to {signed(high, decimals)}"


def p_text(value) -> str:
    """A p-value as every view shows it: two decimals, '< 0.01' below that, '–' when missing."""
    if missing(value):
        return MISSING
    return "< 0.01" if value < 0.01 else f"{value:.2f}"


def p_phrase(value, name: str = "p") -> str:
    """'p = 0.03', 'p < 0.01' or 'p –' (missing), as a clause of a sentence."""
    text = p_text(value)
    return f"{name} {text}" if text.startswith("<") or text == MISSING else f"{name} = {text}"


def day(value: dt.date) -> str:
    """A day as the pages and the report name it: '04 Mar 2026'."""
    return f"{value:%d %b %Y}"


def day_span(first: dt.date, last: dt.date) -> str:
    """'01 Jan 2026 – 30 Jun 2026'."""
    return f"{day(first)} – {day(last)}"
