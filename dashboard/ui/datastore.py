"""The data of one browser session: loads a patient's diary and derives what views show.

No widgets here: every derived value is a method depending on params, so it can
be tested without a browser and reused from a notebook.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd
import panel as pn
import param

from ..analysis import summary as an
from ..session import DEFAULT_PATIENT
from ..store import Store
from .filters import Filters


@functools.lru_cache(maxsize=16)
def open_store(url: str) -> Store:
    """One Store (one connection pool) per database for the whole process."""
    return Store(url)


@dataclass(frozen=True)
class Diary:
    """A patient's three tables as the store returns them."""

    daily: pd.DataFrame
    sessions: pd.DataFrame
    doses: pd.DataFrame

    def day_span(self):
        """First and last day with any record, or (None, None)."""
        days = pd.concat([self.daily["date"], self.sessions["start"].dt.normalize(),
                          self.doses["time"].dt.normalize()])
        return (days.min(), days.max()) if len(days) else (None, None)


@pn.cache(max_items=32)
def load_diary(url: str, patient_id: int, revision: int) -> Diary:
    """Read a diary; cached per store revision, so a save makes the next read fresh."""
    store = open_store(url)
    return Diary(store.daily(patient_id), store.sessions(patient_id), store.doses(patient_id))


class DataStore(param.Parameterized):
    """Owner of the state a session sees: filters, the loaded diary, a selected span."""

    store = param.ClassSelector(class_=Store, doc="The store shown")
    own_store = param.ClassSelector(class_=Store, default=None,
                                    doc="Where new entries go (the store shown, unless it is the demo)")
    is_demo = param.Boolean(default=False, doc="The store shown is the invented demo diary")
    reload_page = param.Callable(default=None, doc="Opens the page afresh (served app): after the "
                                 "first own entry, or when an import adds patients; takes an "
                                 "optional (first, last) span of days to show")
    filters = param.ClassSelector(class_=Filters)
    diary = param.ClassSelector(class_=Diary, doc="The selected patient's records")
    span = param.Tuple(default=None, allow_None=True, length=2,
                       doc="Days box-selected in a plot: (first, last) timestamps")

    def __init__(self, store: Store, filters: Filters | None = None, **params):
        patients = store.patients()
        filters = filters or Filters.from_data(patients)
        super().__init__(store=store, filters=filters, **params)
        if self.own_store is None:
            self.own_store = store
        self.reload(reset_range=True)
        self.filters.param.watch(self._patient_changed, "patient")

    @classmethod
    def open(cls, location) -> "DataStore":
        store = location if isinstance(location, Store) else open_store(Store(location).url)
        return cls(store)

    def _patient_changed(self, _event) -> None:
        self.reload(reset_range=True)

    def reload(self, reset_range: bool = False, show=None) -> None:
        """Read the diary again (after a save, or for another patient); ``show`` is a
        (first, last) span of days to bring into view, e.g. what an import added."""
        patient = self.filters.patient
        if patient is None:
            self.diary = Diary(*(pd.DataFrame() for _ in range(3)))
            return
        diary = load_diary(self.store.url, int(patient), self.store.revision(patient))
        if reset_range:
            self.filters.set_bounds(*diary.day_span())
            self.span = None
        else:
            self.filters.widen_bounds(*diary.day_span())
        if show is not None:
            self.filters.show(*show)
        self.diary = diary

    # --- writing: every change goes through here, then the views follow -------

    def save(self, record) -> None:
        """Save one record in the shown patient's diary (one transaction), then refresh.

        The first entry made while the demo is shown goes to the own store: then
        ``reload_page`` is called when set (the served app reloads the page),
        else the views switch to the own diary in place.
        """
        if not self.is_demo:
            self.store.save(int(self.filters.patient), [record])
            self.reload()
            return
        patient = self.own_store.ensure_patient(DEFAULT_PATIENT)
        self.own_store.save(patient, [record])
        if self.reload_page is not None:
            self.reload_page()
            return
        self.store = self.own_store
        names = dict(zip(self.store.patients()["name"], self.store.patients()["id"]))
        self.filters.param.patient.objects = {str(n): int(i) for n, i in names.items()}
        self.filters.param.update(patient=int(patient))
        self.is_demo = False
        self.reload(reset_range=True)

    @property
    def patient_name(self) -> str | None:
        """The shown patient's name."""
        return {i: n for n, i in self.filters.param.patient.names.items()}.get(self.filters.patient)

    def replace(self, kind: str, record_id: int, record) -> None:
        self.store.replace(kind, record_id, record)
        self.reload()

    def delete(self, kind: str, record_id: int):
        """Delete a record; returns it for an undo (``save`` it again)."""
        record = self.store.delete(kind, record_id)
        self.reload()
        return record

    def existing_checkin(self, day) -> int | None:
        """The id of the shown patient's check-in of ``day`` (None in the demo)."""
        if self.is_demo or self.filters.patient is None:
            return None
        return self.store.daily_id(int(self.filters.patient), day)

    # --- derived data ------------------------------------------------------

    @param.depends("diary", "filters.date_range")
    def daily(self) -> pd.DataFrame:
        return an.in_window(self.diary.daily, "date", self.filters.start, self.filters.end)

    @param.depends("diary", "filters.date_range")
    def doses(self) -> pd.DataFrame:
        return an.in_window(self.diary.doses, "time", self.filters.start, self.filters.end)

    @param.depends("diary", "filters.date_range", "filters.pressures", "filters.areas")
    def matching_sessions(self) -> pd.DataFrame:
        """Sessions that pass the pressure, area and date filters."""
        f = self.filters
        return an.filter_sessions(self.diary.sessions, f.pressures, f.areas, f.start, f.end)

    @param.depends("diary", "filters.date_range", "filters.pressures", "filters.areas", "span")
    def summary(self) -> an.WindowSummary:
        """After-session days vs other days, in the selected span or else the date range."""
        f = self.filters
        start, end = self.span if self.span else (f.start, f.end)
        sessions = an.filter_sessions(self.diary.sessions, f.pressures, f.areas)
        return an.window_summary(self.diary.daily, self.diary.doses, sessions, start, end, f.areas)
