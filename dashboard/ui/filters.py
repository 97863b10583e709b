"""The sidebar's filters: params only, so they work the same in the app and a notebook."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import param

from .. import domain

DEFAULT_WINDOW_DAYS = 182  # about six months: recent enough to read, long enough to compare


class Filters(param.Parameterized):
    """What to look at: whose diary, which days, which pressures, which body areas.

    All pressures are selected at first; deselecting one hides its sessions.  No
    body area selected means every area.
    """

    patient = param.Selector(default=None, objects=[], doc="Whose diary (when there are several)")
    date_range = param.DateRange(default=None, doc="First and last day shown")
    pressures = param.ListSelector(default=list(domain.PRESSURES), objects=list(domain.PRESSURES),
                                   doc="Sessions of these pressures")
    areas = param.ListSelector(default=[], objects=list(domain.BODY_AREAS),
                               doc="Sessions touching any of these areas (none = all)")

    @classmethod
    def from_data(cls, patients: pd.DataFrame, first_day=None, last_day=None,
                  **values) -> "Filters":
        """Filters whose options and bounds come from the stored data."""
        names = {str(name): int(pid) for pid, name in zip(patients["id"], patients["name"])}
        filters = cls(**values)
        filters.param.patient.objects = names
        if filters.patient is None and names:
            filters.patient = next(iter(names.values()))
        filters.set_bounds(first_day, last_day)
        return filters

    def set_bounds(self, first_day, last_day) -> None:
        """Let the date range span ``first_day``..``last_day``; show its last ``DEFAULT_WINDOW_DAYS``."""
        today = dt.date.today()
        first = pd.Timestamp(first_day).date() if first_day is not None else today - dt.timedelta(days=90)
        last = pd.Timestamp(last_day).date() if last_day is not None else today
        # A one-day diary shows that day alone (the slider takes equal ends): "Days shown"
        # started the day before a new diary's first day, and kept it once the diary grew.
        first = min(first, last)
        self.param.date_range.bounds = (first, last)
        self.date_range = (max(first, last - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)), last)

    def widen_bounds(self, first_day, last_day) -> None:
        """Let new data extend the bounds; a window that reached the last day follows it."""
        if first_day is None:
            return
        old_first, old_last = self.param.date_range.bounds or (None, None)
        first, last = pd.Timestamp(first_day).date(), pd.Timestamp(last_day).date()
        new_bounds = (min(first, old_first or first), max(last, old_last or last))
        if new_bounds == (old_first, old_last):
            return
        self.param.date_range.bounds = new_bounds
        start, end = self.date_range or new_bounds
        if end == old_last:
            end = new_bounds[1]
        self.date_range = (max(start, new_bounds[0]), end)

    def show(self, first_day, last_day) -> None:
        """Show ``first_day``..``last_day`` (e.g. what an import brought), kept within the bounds."""
        if first_day is None or last_day is None or not self.param.date_range.bounds:
            return
        low, high = self.param.date_range.bounds
        first = max(pd.Timestamp(first_day).date(), low)
        last = min(pd.Timestamp(last_day).date(), high)
        if first >= last and low < high:  # one day of several: the slider's handles apart
            first, last = max(low, last - dt.timedelta(days=1)), max(last, low + dt.timedelta(days=1))
        self.date_range = (first, min(last, high))

    @property
    def start(self):
        return self.date_range[0] if self.date_range else None

    @property
    def end(self):
        return self.date_range[1] if self.date_range else None
