"""A patient's diary and the one filter over it: the days, pressures and body areas chosen.

Every view of the dashboard reads one ``Filtered`` value per change (``ui.datastore``), the
notebook's event means take its brushed span (``Filtered.in_span``) and the PDF report its
period and the period of the same length before (``Filtered.within``): one filter, so
they cannot disagree.  Pure pandas, no Panel: a test or a notebook can call it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd

from .analysis import summary as an


@dataclass(frozen=True)
class Diary:
    """A patient's three tables as the store returns them, and the entries left out of them
    because their date is outside the limits (``Store.bad_entries``: kind, id, field, value)."""

    daily: pd.DataFrame
    sessions: pd.DataFrame
    doses: pd.DataFrame
    bad: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["kind", "id", "patient_id", "field", "value"]))

    @classmethod
    def empty(cls) -> "Diary":
        return cls(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())

    def day_span(self):
        """First and last day with any record, or (None, None)."""
        if self.daily.empty and self.sessions.empty and self.doses.empty:
            return None, None
        days = pd.concat([self.daily["date"], self.sessions["start"].dt.normalize(),
                          self.doses["time"].dt.normalize()])
        return (days.min(), days.max()) if len(days) else (None, None)


@dataclass(frozen=True, eq=False)
class Filtered:
    """The diary as the filters show it, and what changed since the value before.

    One value per change (a click, a new diary, a patient switch): every view reads it
    instead of filtering the diary itself. Its frames are worked out when first asked
    for, once, and shared by the views that ask.
    """

    diary: Diary
    start: object  # the first and last day shown (None: from the first, to the last)
    end: object
    pressures: tuple | None = None  # None: every pressure; empty: none
    areas: tuple = ()  # none: every area
    span: tuple | None = None  # days box-selected in a plot
    changed: frozenset = frozenset({"diary", "days", "pressures", "areas", "span"})

    @functools.cached_property
    def daily(self) -> pd.DataFrame:
        """The check-ins of the days shown."""
        return an.in_window(self.diary.daily, "date", self.start, self.end)

    @functools.cached_property
    def doses(self) -> pd.DataFrame:
        """The doses of the days shown."""
        return an.in_window(self.diary.doses, "time", self.start, self.end)

    @functools.cached_property
    def sessions_in_days(self) -> pd.DataFrame:
        """The sessions of the days shown, of any pressure and area."""
        return an.filter_sessions(self.diary.sessions, None, None, self.start, self.end)

    @functools.cached_property
    def sessions_of_pressures(self) -> pd.DataFrame:
        """The sessions of the days shown and the chosen pressures, of any area (the body
        map's counts: the area filter only outlines areas there)."""
        return an.filter_sessions(self.sessions_in_days, self._pressures, None)

    @functools.cached_property
    def sessions(self) -> pd.DataFrame:
        """The sessions that pass every filter: days, pressures and areas."""
        return an.filter_sessions(self.sessions_of_pressures, None, list(self.areas))

    @functools.cached_property
    def summary(self) -> an.WindowSummary:
        """After-session days vs other days, in the selected span or else the days shown."""
        start, end = self.span if self.span else (self.start, self.end)
        sessions = an.filter_sessions(self.diary.sessions, self._pressures, list(self.areas))
        return an.window_summary(self.diary.daily, self.diary.doses, sessions, start, end,
                                 list(self.areas))

    def within(self, start, end) -> "Filtered":
        """The same diary, pressures and areas over the days ``start``..``end`` (the
        report's period before, a brushed span)."""
        return filter_diary(self.diary, start, end, self.pressures, self.areas)

    def in_span(self) -> "Filtered":
        """The days box-selected in a plot when there are some, else the days shown."""
        return self.within(*self.span) if self.span else self

    @property
    def _pressures(self) -> list | None:
        return None if self.pressures is None else list(self.pressures)

    def inputs(self) -> tuple:
        """What the value is made of (the diary by identity)."""
        return (id(self.diary), self.start, self.end, self.pressures, self.areas, self.span)


def filter_diary(diary: Diary, start=None, end=None, pressures=None, areas=(),
                 span=None) -> Filtered:
    """``diary`` as the filters show it: the days ``start``..``end`` (None: no limit),
    sessions of any of ``pressures`` (None: every pressure, empty: none) touching any of
    ``areas`` (empty: every area), and a brushed ``span`` of days, if any."""
    return Filtered(diary, start, end, None if pressures is None else tuple(pressures),
                    tuple(areas or ()), None if span is None else tuple(span))
