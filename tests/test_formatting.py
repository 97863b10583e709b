"""The one formatting module: signed figures with a true minus, intervals, p-values, days."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import formatting as fmt


def test_numbers_have_two_decimals_a_true_minus_and_no_nan():
    assert fmt.signed(-1.234) == "−1.23"
    assert fmt.signed(0.346) == "+0.35"
    assert fmt.signed(-0.001) == "0.00"
    assert fmt.signed(float("nan")) == fmt.signed(None) == fmt.signed(pd.NA) == "–"
    assert fmt.interval(-1.11, 0.159) == "−1.11 to +0.16"
    assert fmt.interval(float("nan"), 1.0) == "–"
    assert fmt.p_text(0.0005) == "< 0.01"
    assert fmt.p_text(0.3138) == "0.31"
    assert fmt.p_text(float("nan")) == "–"
    assert fmt.p_phrase(0.031) == "p = 0.03" and fmt.p_phrase(0.001, "adjusted p") == "adjusted p < 0.01"
    assert fmt.number(-0.54) == "−0.5" and fmt.number(7, 0, "min") == "7 min"
    assert fmt.number(float("nan")) == fmt.number(pd.NaT) == "–"


def test_days_are_named_alike():
    assert fmt.day(dt.date(2026, 3, 4)) == "04 Mar 2026"
    assert fmt.day_span(dt.date(2026, 1, 1), pd.Timestamp("2026-06-30")) == "01 Jan 2026 – 30 Jun 2026"
