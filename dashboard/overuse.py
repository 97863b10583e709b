"""Medication overuse, summed up once for every view: the Scores page, the therapist's
view, the PDF report and ``fibro moh`` all call ``overuse_summary``.

It counts the days of use of the whole calendar months that a period touches
(``analysis.scores.medication_overuse``) and says where "the latest month" stands (the
latest month with a counted row: every month with a dose has one, its acute classes
together), and which earlier months reached a threshold.  Frames in, plain data out (no Panel).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .analysis import scores


def doses_of_months(doses: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Doses of the whole calendar months that the days ``start``..``end`` touch (every dose
    when either end is None)."""
    if doses.empty or start is None or end is None:
        return doses
    month = doses["time"].dt.strftime("%Y-%m")
    return doses[(month >= f"{pd.Timestamp(start):%Y-%m}") & (month <= f"{pd.Timestamp(end):%Y-%m}")]


@dataclass(frozen=True)
class OveruseSummary:
    """Days of use per month and class, and the notes every view shows beside them."""

    table: pd.DataFrame  # scores.medication_overuse of the months
    latest_month: str | None  # 'YYYY-MM': the latest month with a counted row
    latest: list[str]  # where that month stands against the ICHD-3 thresholds
    earlier: list[str]  # earlier months that reached a threshold

    @property
    def latest_month_name(self) -> str | None:
        """'March 2024', or None when no dose was logged."""
        return None if self.latest_month is None else scores.month_name(self.latest_month)

    @property
    def acute(self) -> pd.DataFrame:
        """The rows of the classes ICHD-3 counts and of all of them together (the PDF)."""
        table = self.table
        return table[table["drug_class"].isin([*scores.ACUTE_CLASSES, scores.ALL_ACUTE])]


def overuse_summary(doses: pd.DataFrame, start=None, end=None) -> OveruseSummary:
    """The overuse summary of the whole months ``start``..``end`` touch (the whole diary
    when either is None).  ``doses`` without columns (no patient yet) counts as none."""
    if "time" not in doses.columns:
        doses = pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns]"), "drug_class": []})
    table = scores.medication_overuse(doses_of_months(doses, start, end))
    counted = table[table["threshold"].notna()]
    earlier, latest = scores.overuse_notes(table)
    return OveruseSummary(table, str(counted["month"].max()) if len(counted) else None,
                          latest, earlier)
