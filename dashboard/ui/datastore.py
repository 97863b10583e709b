"""The data of one browser session: loads a patient's diary and derives what views show.

No widgets here: the diary as the filters show it is one value (``filtering.Filtered``,
the one filter, which the report and the notebook use too), published once per change,
that every view reads; it can be tested without a browser and reused from a notebook.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools

import pandas as pd
import param

from ..analysis import summary as an
from ..filtering import Diary, Filtered, filter_diary
from ..session import Capabilities, DiarySession
from ..store import StoreUnavailable
from .filters import Filters

# Said after a write that is stored when re-reading the diary for the views got no answer.
NOT_RELOADED = ("The dashboard could not reload your diary just now; reload the page "
                "in a moment to see it.")


def one_action(method):
    """A method of the DataStore, and every view it sets recomputing, as one action of the
    person: the sign-in and grants are checked once (``DiarySession.one_check``)."""
    @functools.wraps(method)
    def acting(self, *args, **kwargs):
        with self.session.one_check():
            return method(self, *args, **kwargs)
    return acting


class DataStore(param.Parameterized):
    """The state a browser session sees: filters, the loaded diary, a selected span.

    Every read and write goes through its ``session`` (``dashboard.session``), which
    decides whose diary may be seen and changed; ``capabilities`` is its answer for the
    shown patient (``DiarySession.capabilities``), which the pages follow.
    """

    session = param.ClassSelector(class_=DiarySession, doc="Who is acting, on which store")
    capabilities = param.ClassSelector(class_=Capabilities, doc=(
        "What the person may do with the shown diary, and their pages: the session's answer, "
        "asked again for each patient and after each write"))
    reload_page = param.Callable(default=None, doc="Opens the page afresh (served app): after the "
                                 "first own entry, or when an import adds patients; takes an "
                                 "optional (first, last) span of days to show")
    filters = param.ClassSelector(class_=Filters)
    diary = param.ClassSelector(class_=Diary, doc="The selected patient's records")
    span = param.Tuple(default=None, allow_None=True, length=2,
                       doc="Days box-selected in a plot: (first, last) timestamps")
    filtered = param.ClassSelector(class_=Filtered, doc=(
        "The diary as the filters show it: one value per change, which every view reads"))
    stale = param.Boolean(default=False, doc="The last write is stored, but the diary shown was "
                          "read before it: re-reading it got no answer (see ``written``)")

    def __init__(self, session: DiarySession, filters: Filters | None = None, **params):
        if not isinstance(session, DiarySession):  # the session decides; a Store alone cannot
            raise TypeError("DataStore takes a DiarySession (DiarySession.personal(), "
                            "DiarySession(store) for the store's owner, or a hosted one)")
        filters = filters or Filters.from_data(session.patients())
        super().__init__(session=session, filters=filters, **params)
        self._holding = 0
        self.reload(reset_range=True)
        self.filters.param.watch(self._patient_changed, "patient")
        # Made before any view, so these run first: a view that also follows a filter
        # itself finds the value for it already published.
        self.filters.param.watch(self._publish, ["date_range", "pressures", "areas"])
        self.param.watch(self._publish, ["diary", "span"])

    @contextlib.contextmanager
    def one_change(self):
        """Publish one ``filtered`` value for every change made inside (a patient switch sets
        the diary and the days as one change: the plots drew the old diary in the new
        days first)."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
            self._publish()

    def _publish(self, *_events) -> None:
        """Set ``filtered`` when what it is made of has changed (not while holding)."""
        if self._holding:
            return
        f, before = self.filters, self.filtered
        value = filter_diary(self.diary, f.start, f.end, f.pressures, f.areas, self.span)
        if before is not None:
            changed = {name for name, a, b in zip(
                ("diary", "days", "days", "pressures", "areas", "span"),
                before.inputs(), value.inputs()) if a != b}
            if not changed:
                return
            value = dataclasses.replace(value, changed=frozenset(changed))
        self.filtered = value

    def _patient_changed(self, _event) -> None:
        self.reload(reset_range=True)

    @one_action
    def reload(self, reset_range: bool = False, show=None) -> None:
        """Read the diary again (after a save, or for another patient); ``show`` is a
        (first, last) span of days to bring into view, e.g. what an import added.  The
        views get one ``filtered`` value for the new diary and days together."""
        with self.one_change():
            self._reload(reset_range, show)

    def _reload(self, reset_range: bool, show) -> None:
        patient = self.filters.patient
        can = self.session.capabilities(patient)
        if can != self.capabilities:  # its watchers run when the answer changes, not per read
            self.capabilities = can
        if patient is None:
            self.diary = Diary.empty()
            return
        diary = self.session.diary(patient)
        if reset_range:
            self.filters.set_bounds(*diary.day_span())
            self.span = None
        else:
            self.filters.widen_bounds(*diary.day_span())
        if show is not None:
            self.filters.show(*show)
        self.diary = diary
        self.stale = False

    def _follow_write(self, refresh, *args) -> None:
        """Refresh the views after a write that is committed.  The write stands whatever
        happens here: a database that does not answer the re-read leaves the diary shown as
        it was and sets ``stale``, instead of raising ``StoreUnavailable``, which would
        say that nothing was saved."""
        try:
            refresh(*args)
        except StoreUnavailable:
            self.stale = True

    def written(self, text: str) -> str:
        """``text``, saying what a write did, followed by ``NOT_RELOADED`` when the views
        could not follow it."""
        return f"{text} {NOT_RELOADED}" if self.stale else text

    # --- writing: every change goes through the session, then the views follow -------
    # A write raises StoreUnavailable only when it was rolled back; once it is committed,
    # a failed refresh sets ``stale`` instead (``_follow_write``).

    @one_action
    def save(self, record) -> None:
        """Save one record in the shown patient's diary (one transaction), then refresh.

        The first entry made while the demo is shown goes to the own store: then
        ``reload_page`` is called when set (the served app reloads the page),
        else the views switch to the own diary in place.
        """
        patient = self.session.save(self.filters.patient, [record])
        self._follow_write(self._follow_session, patient)

    def save_assessment(self, instrument: str, taken_on, answers: dict, result: dict) -> None:
        """Keep a questionnaire for the shown patient (the own store while the demo is shown)."""
        self.session.save_assessment(self.filters.patient, instrument, taken_on, answers, result)

    def import_file(self, kind, path, dry_run: bool = False) -> dict:
        """Import a file into the own store (all or nothing); a summary of what it did."""
        return self.session.import_file(kind, path, patient_name=self.patient_name, dry_run=dry_run)

    def _follow_session(self, patient: int) -> None:
        """Refresh after a write; if it left the demo, show the own diary from now on."""
        if self.capabilities.demo == self.session.is_demo:
            self.reload()
            return
        if self.reload_page is not None:
            self.reload_page()
            return
        patients = self.session.patients()
        self.filters.param.patient.objects = {str(n): int(i) for n, i in
                                              zip(patients["name"], patients["id"])}
        self.filters.param.update(patient=int(patient))
        self.reload(reset_range=True)

    @property
    def patient_name(self) -> str | None:
        """The shown patient's name."""
        return {i: n for n, i in self.filters.param.patient.names.items()}.get(self.filters.patient)

    def record(self, kind: str, record_id: int):
        return self.session.record(kind, record_id)

    @one_action
    def replace(self, kind: str, record_id: int, record) -> None:
        self.session.replace(kind, record_id, record)
        self._follow_write(self.reload)

    @one_action
    def delete(self, kind: str, record_id: int):
        """Delete a record; returns it for an undo (``save`` it again)."""
        record = self.session.delete(kind, record_id)
        self._follow_write(self.reload)
        return record

    def existing_checkin(self, day) -> int | None:
        """The id of the shown patient's check-in of ``day`` (None in the demo)."""
        if self.capabilities.demo or self.filters.patient is None:
            return None
        return self.session.daily_id(self.filters.patient, day)

    def assessments(self, instrument: str) -> pd.DataFrame:
        """The shown patient's questionnaires of one kind (none when no patient is shown)."""
        if self.filters.patient is None:
            return pd.DataFrame(columns=["taken_on", "answers"])
        return self.session.assessments(self.filters.patient, instrument)

    # --- the filtered value's parts, for notebooks and tests ------------------------

    def daily(self) -> pd.DataFrame:
        return self.filtered.daily

    def doses(self) -> pd.DataFrame:
        return self.filtered.doses

    def matching_sessions(self) -> pd.DataFrame:
        """Sessions that pass the pressure, area and date filters."""
        return self.filtered.sessions

    def summary(self) -> an.WindowSummary:
        """After-session days vs other days, in the selected span or else the date range."""
        return self.filtered.summary
