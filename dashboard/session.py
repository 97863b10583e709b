"""The session layer: which store is open, who is acting, whose diary they may see, and
every read and write of a diary.  No widgets: pages, the CLI and notebooks go through it,
and it is tested without a browser.

* **Personal mode** (``DiarySession.personal``): the computer's owner may do anything
  in their store; while it holds no records the demo diary is shown and the first
  entry (a save, an import, a questionnaire) goes to the own store instead.
* **Hosted mode** (``DiarySession.hosted``): a signed-in user or link holder.  A patient
  user writes their own diary; a therapist reads the diaries of patients whose grant
  is active (``log`` scope: also logs massage sessions); a link holder reads one
  patient.  Every call checks again, so a revoked grant or link stops working at once;
  a refusal names no patient's data and is written to the access log.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import demo
from .accounts import OWNER, Accounts, Principal, status, token_hash, utcnow
from .filtering import Diary
from .records import DATE_MIN, DailyCheckin, MassageSession, MedicationDose, latest_date
from .store import NOT_SAVED, Store, StoreUnavailable, default_db_path, store_url

DEFAULT_PATIENT = "Me"  # the patient of a personal store's first entry
ACTIONS = ("read", "log", "write")  # see a diary; add a massage session; any change
_SCOPE_ALLOWS = {"write": {"read", "log", "write"}, "log": {"read", "log"}, "read": {"read"}}
_RANK = {"read": 0, "log": 1, "write": 2}
# The pages each person is offered (the App's tabs), in order.
PERSONAL_PAGES = ("Overview", "Effects", "Log", "Scores", "Trial", "Import", "About")
PATIENT_PAGES = ("Overview", "Effects", "Log", "Scores", "Trial", "Import", "Sharing", "About")
READ_ONLY_PAGES = ("Overview", "Effects", "Scores", "Trial", "About")  # link holders
VISIT_PAGE = "Since last visit"  # a therapist's first page (``ui.visit.VisitView``)
THERAPIST_PAGES = (VISIT_PAGE, *READ_ONLY_PAGES)


# What a refusal says: it names nobody's data.
NO_ACCESS = "You do not have access to that."
READ_ONLY = "You can look at this diary but not change it."
DEMO_TRIAL = "The demo diary cannot run a trial: log or import your own diary first."


class Refused(PermissionError):
    """An action the acting person may not take; the message names nobody's data."""


class SignedOut(Refused):
    """The sign-in this session was made for has ended (signed out, password changed,
    link revoked or expired): nothing more is read or written through it."""


@functools.lru_cache(maxsize=16)
def _store_at(url: str) -> Store:
    return Store(url)


def shared_store(location: str | os.PathLike) -> Store:
    """One Store (one connection pool, one diary cache) per database for the whole process:
    a served page opens the same store at every visit instead of a new one."""
    return _store_at(store_url(location))


def demo_db_path(own: Path) -> Path:
    """The demo diary lives beside the user's store, never inside it."""
    return own.with_name("demo.sqlite")


def open_for_viewing(location: str | os.PathLike | None = None) -> tuple[Store, Store, bool]:
    """The user's own store, the store to show (the demo while the own one holds no
    records yet), and whether that is the demo."""
    own = shared_store(location or default_db_path())
    if not own.is_empty() or not own.is_sqlite:
        return own, own, False
    demo_store = shared_store(demo_db_path(own.path))
    if demo_store.is_empty():
        demo.write_demo(demo_store)
    return own, demo_store, True


def scopes(principal: Principal, grants: pd.DataFrame, links: pd.DataFrame,
           now: dt.datetime) -> dict[int, str]:
    """Patient id -> what ``principal`` may do there now ('read', 'log' or 'write').

    Pure: ``grants`` are the principal's grants (therapists), ``links`` their link
    (link holders).  The personal owner is not asked here: they hold the whole store.
    """
    if principal.role == "patient" and principal.patient_id is not None:
        return {int(principal.patient_id): "write"}
    if principal.role == "link":
        live = [r for _, r in links.iterrows() if status(r, now) == "active"]
        return {int(principal.patient_id): "read"} if live else {}
    if principal.role == "therapist":
        held: dict[int, str] = {}
        for _, grant in grants.iterrows():
            if status(grant, now) == "active":
                pid, scope = int(grant["patient_id"]), grant["scope"]
                if _RANK[scope] > _RANK.get(held.get(pid), -1):
                    held[pid] = scope
        return held
    return {}  # an admin manages accounts and sees no diary


def allows(scope: str | None, action: str) -> bool:
    return scope is not None and action in _SCOPE_ALLOWS[scope]


@dataclass(frozen=True)
class Capabilities:
    """What the acting person may do with one diary now, and which pages they are offered:
    the one answer every page, the CLI and the report ask (``DiarySession.capabilities``).
    The session still checks every read and write itself; this only says what to offer."""

    read: bool = False  # see the diary
    log: bool = False  # add the massage sessions they give (a therapist with ``log`` scope)
    write: bool = False  # any change: check-ins, doses, edits, questionnaires, imports
    plan: bool = False  # plan and stop n-of-1 trials (``log`` scope, not in the demo)
    owns_diary: bool = False  # the diary's own person: not the demo, a therapist or a link
    demo: bool = False  # the invented demo is shown; a first entry starts the own diary
    share: bool = False  # give therapists access and make read-only links (hosted patient)
    manage_accounts: bool = False  # an administrator: the accounts, no diary
    pages: tuple[str, ...] = ()

    @property
    def read_only(self) -> bool:
        """The diary may be looked at, not changed (a therapist or a link holder)."""
        return self.read and not self.write

    def refusal(self, capability: str) -> str:
        """Why ``capability`` (read, log, write, plan) is not given, in a sentence for the
        person (``fibro`` ends with it; the session's own refusals say the same)."""
        if capability == "plan" and self.demo:
            return DEMO_TRIAL
        return NO_ACCESS if not self.read else READ_ONLY


# A stored kind as a person and ``fibro delete`` name it.
ENTRY_NAMES = {"daily": "check-in", "sessions": "session", "doses": "dose"}
CLI_KINDS = {"checkin": "daily", "session": "sessions", "dose": "doses"}


def bad_entry_notes(bad: pd.DataFrame, escape: Callable[[str], str] = str) -> list[str]:
    """One sentence per entry left out for its date (``Store.bad_entries``): which, its
    value, the limits and how to fix it. The stored value goes through ``escape`` (a page
    passes its Markdown escaping); the command stays in backticks, as code."""
    cli = {kind: name for name, kind in CLI_KINDS.items()}
    return [f"The {ENTRY_NAMES[r.kind]} with id {int(r.id)} has the {r.field} "
            f"{escape(repr(r.value))}, outside {DATE_MIN.isoformat()} to "
            f"{latest_date().isoformat()}, so it is left out. Delete it on the Log page (in your "
            f"own diary) or with `fibro delete {cli[r.kind]} {int(r.id)}`, and log it again with "
            f"the right date."
            for r in bad.itertuples()]


TABLES = ("daily", "sessions", "doses")  # a Diary's tables, as the store and records name them
_TABLE_OF = {DailyCheckin: "daily", MassageSession: "sessions", MedicationDose: "doses"}


class _DiaryCache:
    """The diary of each patient as last read by this process, with its revision: one entry
    per patient (``size`` patients, least recently used out first), shared by the sessions
    of the process.

    A write bumps the patient's revision in its own transaction (``Store``), so a diary
    whose revision is no longer the stored one is read again, whoever wrote.  After a
    write of this process that moved the revision by exactly one (nobody else wrote in
    between), only the tables it touched are read again (``after_write``): logging a
    session re-reads the sessions, not three years of check-ins and doses (0.15 s of the
    0.2 s a save cost a therapist's page).  One entry per patient, not per revision: the
    old per-revision cache of 32 kept stale revisions and let 50 open diaries evict
    each other."""

    def __init__(self, size: int):
        self.size = size
        self._kept: OrderedDict[tuple[Store, int], tuple[int, Diary]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, store: Store, patient_id: int, revision: int) -> Diary:
        key = (store, patient_id)
        with self._lock:
            held = self._kept.get(key)
            if held is not None and held[0] == revision:
                self._kept.move_to_end(key)
                return held[1]
        diary = Diary(store.daily(patient_id), store.sessions(patient_id),
                      store.doses(patient_id), store.bad_entries(patient_id))
        self._keep(key, revision, diary)
        return diary

    def held(self, store: Store, patient_id: int) -> tuple[int, Diary] | None:
        with self._lock:
            return self._kept.get((store, patient_id))

    def after_write(self, store: Store, patient_id: int, before: tuple[int, Diary] | None,
                    tables: set[str]) -> None:
        """This process has just written ``tables`` of the patient's diary, whose entry was
        ``before`` (``held``); when the stored revision is the next one, the new entry is the
        old diary with those tables read again."""
        if before is None:
            return
        revision, diary = before
        now = store.revision(patient_id)
        if now != revision + 1:  # unchanged (nothing written), or another write came between
            return
        fresh = {t: getattr(store, t)(patient_id) for t in TABLES if t in tables}
        self._keep((store, patient_id), now, Diary(**{t: fresh.get(t, getattr(diary, t))
                                                       for t in TABLES},
                                                    bad=store.bad_entries(patient_id)))

    def _keep(self, key, revision: int, diary: Diary) -> None:
        with self._lock:
            held = self._kept.get(key)
            if held is not None and held[0] > revision:  # a newer read came first
                return
            self._kept[key] = (revision, diary)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


_diaries = _DiaryCache(size=64)


def _read_diary(store: Store, patient_id: int, revision: int) -> Diary:
    """The patient's diary at ``revision`` (``_DiaryCache``: read once per revision)."""
    return _diaries.get(store, int(patient_id), revision)


def _saving(method):
    """A write of the session: a database that does not answer the checks before it (the
    sign-in, the grants) is said as for the write itself, "Could not save... Nothing was
    saved" (``NOT_SAVED``), not as a failed read."""
    @functools.wraps(method)
    def write(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StoreUnavailable as error:
            if str(error) == NOT_SAVED:
                raise
            raise StoreUnavailable(NOT_SAVED) from error
    return write


class DiarySession:
    """One person's way into one store: what they may see and every change they make."""

    def __init__(self, store: Store, principal: Principal = OWNER, own_store: Store | None = None,
                 is_demo: bool = False, signin_hash: str | None = None):
        self.store = store
        self.own_store = own_store or store
        self.is_demo = is_demo
        self.principal = principal
        self.accounts = Accounts(self.own_store)
        self.signin_hash = signin_hash  # the hash only: the token stays in the cookie
        self._acting = 0  # depth of ``one_check`` blocks
        self._checked: dict[int, str] | None = None  # their answer of ``scopes``

    @classmethod
    def personal(cls, location=None) -> "DiarySession":
        """The owner's session: their store, or the demo while it is empty."""
        own, shown, is_demo = open_for_viewing(location)
        return cls(shown, own_store=own, is_demo=is_demo)

    @classmethod
    def hosted(cls, store: Store, signin_token: str | None) -> "DiarySession":
        """The session of whoever holds ``signin_token``; ``SignedOut`` when it is not valid."""
        return cls.signed_in(store, token_hash(signin_token) if signin_token else None)

    @classmethod
    def signed_in(cls, store: Store, signin_hash: str | None) -> "DiarySession":
        """The session of the sign-in whose token hashes to ``signin_hash`` (a served page
        knows only the hash); ``SignedOut`` when it is not valid."""
        principal = Accounts(store).principal_of(signin_hash)
        if principal is None:
            raise SignedOut("Please sign in again.")
        return cls(store, principal, signin_hash=signin_hash)

    # --- who may do what -------------------------------------------------------

    @contextmanager
    def one_check(self):
        """One action of the person (a click and what the page recomputes after it; a page
        being built) checks the sign-in and the grants once, at its first read or write,
        instead of at each of them: a therapist's save asked 6-10 times, two queries each,
        all on the server's one event loop.  An action ended, the next one checks afresh,
        so a revoked grant or a sign-out stops the next click.  Blocks may nest."""
        self._acting += 1
        try:
            yield self
        finally:
            self._acting -= 1
            if not self._acting:
                self._checked = None

    def scopes(self) -> dict[int, str]:
        """Patient id -> 'read', 'log' or 'write', as of now (once per ``one_check``).  Every
        read and write asks this first, so a sign-in that has ended (sign-out, password
        change) stops them at once (``SignedOut``)."""
        if not self.principal.hosted:
            return {int(i): "write" for i in self.store.patients()["id"]}
        if self._checked is not None and self._acting:
            return dict(self._checked)
        checked = self._check_scopes()
        if self._acting:
            self._checked = checked
        return dict(checked)

    def _check_scopes(self) -> dict[int, str]:
        if not self.still_valid():
            raise SignedOut("Please sign in again.")
        p = self.principal
        grants = (self.store.grants(therapist_id=p.user_id) if p.role == "therapist"
                  else pd.DataFrame())
        links = self.store.links(link_id=p.link_id) if p.role == "link" else pd.DataFrame()
        return scopes(p, grants, links, utcnow())

    def patients(self) -> pd.DataFrame:
        """The patients this person may see (id, name)."""
        visible = self.scopes()
        frame = self.store.patients()
        return frame[frame["id"].astype(int).isin(visible)].reset_index(drop=True)

    def patient_id(self, name: str, create: bool = False) -> int:
        """The id of a patient this person may see, by name; the personal owner may
        ``create`` a new one (a new diary in their own store)."""
        patients = self.patients()
        found = patients.loc[patients["name"] == name, "id"]
        if len(found):
            return int(found.iloc[0])
        if create and not self.principal.hosted:
            return self.store.ensure_patient(name)
        raise Refused("There is no diary of that name that you may use.")

    def scope(self, patient_id) -> str | None:
        return None if patient_id is None else self.scopes().get(int(patient_id))

    def capabilities(self, patient_id=None) -> Capabilities:
        """What this person may do with ``patient_id``'s diary now (nothing of a diary when
        it is None or not theirs to see), and their pages.  ``SignedOut`` once the sign-in
        has ended, as for every call."""
        role = self.principal.role
        held = self.scopes()  # SignedOut once the sign-in has ended
        scope = None if patient_id is None else held.get(int(patient_id))
        write = allows(scope, "write")
        log = allows(scope, "log") or self.is_demo
        pages = {"owner": PERSONAL_PAGES, "patient": PATIENT_PAGES, "link": READ_ONLY_PAGES,
                 "therapist": THERAPIST_PAGES}.get(role, ())
        return Capabilities(
            read=allows(scope, "read"), log=log, write=write, plan=log and not self.is_demo,
            owns_diary=write and not self.is_demo and role in ("owner", "patient"),
            demo=self.is_demo, share=role == "patient" and self.principal.hosted,
            manage_accounts=role == "admin", pages=pages)

    def may(self, patient_id, action: str) -> bool:
        """Whether the action is allowed now (False once the sign-in has ended)."""
        try:
            return allows(self.scope(patient_id), action)
        except SignedOut:
            return False

    def require(self, patient_id, action: str) -> int:
        """``patient_id`` as an int when the action is allowed, else ``Refused`` (logged)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if allows(self.scope(patient_id), action):  # SignedOut once the sign-in has ended
            return int(patient_id)
        if self.principal.hosted:
            self._log("refused " + action, patient_id if self._is_patient(patient_id) else None)
        raise Refused(NO_ACCESS if action == "read" else READ_ONLY)

    def still_valid(self) -> bool:
        """Whether the sign-in (and its user or link) still stands; always in personal mode."""
        if not self.principal.hosted:
            return True
        return self.accounts.principal_of(self.signin_hash) == self.principal

    # --- reading ---------------------------------------------------------------

    def diary(self, patient_id) -> Diary:
        pid = self.require(patient_id, "read")
        return _read_diary(self.store, pid, self.store.revision(pid))

    def revision(self, patient_id) -> int:
        return self.store.revision(self.require(patient_id, "read"))

    def record(self, kind: str, record_id: int):
        self.require(self.store.patient_of(kind, record_id), "read")
        return self.store.record(kind, record_id)

    def daily_id(self, patient_id, day: dt.date) -> int | None:
        return self.store.daily_id(self.require(patient_id, "read"), day)

    def assessments(self, patient_id, instrument: str) -> pd.DataFrame:
        """Questionnaires kept for a patient; while the demo is shown, the own store's."""
        if self.is_demo:
            patients = self.own_store.patients()
            found = patients.loc[patients["name"] == DEFAULT_PATIENT, "id"]
            if found.empty:
                return pd.DataFrame(columns=["taken_on", "answers"])
            return self.own_store.assessments(int(found.iloc[0]), instrument)
        return self.store.assessments(self.require(patient_id, "read"), instrument)

    def taking(self, patient_id, what: str) -> int:
        """Check, then note in the access log, that the diary leaves the page or the store as
        a file (``what``: 'report for the therapist', 'export'...): a report built from the
        diary already loaded is refused once the sign-in has ended, and leaves a row."""
        pid = self.require(patient_id, "read")
        self._log(f"took {what}"[:40], pid)
        return pid

    def opened(self, patient_id) -> None:
        """Note in the access log that a user or link holder opened a patient's dashboard."""
        if self.principal.hosted and self.principal.role != "patient":
            self._log("opened dashboard", self.require(patient_id, "read"))

    def patient_list(self, today: dt.date | None = None) -> pd.DataFrame:
        """Every patient this person may read, with their last visit and a pain trend
        (``analysis.patient_list``): two set-based reads, however many patients."""
        from .analysis.patient_list import patient_list, trend_windows

        readable = [pid for pid, scope in self.scopes().items() if allows(scope, "read")]
        today = today or dt.date.today()  # the diary's days are local, as its times are
        first, _recent, last = trend_windows(today)
        patients = self.store.patients()
        patients = patients[patients["id"].astype(int).isin(readable)]
        return patient_list(patients, self.store.last_sessions(readable),
                            self.store.daily_ratings(readable, first, last, "pain"), today)

    # --- writing ---------------------------------------------------------------

    @_saving
    def save(self, patient_id, records: list) -> int:
        """Save records (one transaction); returns the patient id they were saved for.

        While the demo is shown, they go to the own store's ``DEFAULT_PATIENT``, and from
        then on this session shows the own store.
        """
        if self.is_demo:
            patient = self._leave_demo()
            self.store.save(patient, records)
            return patient
        only_sessions = bool(records) and all(isinstance(r, MassageSession) for r in records)
        pid = self.require(patient_id, "log" if only_sessions else "write")
        before = _diaries.held(self.store, pid)
        self.store.save(pid, records)
        self._written(pid, before, {_TABLE_OF.get(type(r)) for r in records})
        if self.principal.hosted and self.principal.role != "patient":
            self._log(f"logged {len(records)} session(s)", pid)
        return pid

    @_saving
    def replace(self, kind: str, record_id: int, record) -> int:
        pid = self.require(self.store.patient_of(kind, record_id), "write")
        before = _diaries.held(self.store, pid)
        replaced = self.store.replace(kind, record_id, record)
        self._written(pid, before, {kind})
        return replaced

    @_saving
    def delete(self, kind: str, record_id: int):
        pid = self.require(self.store.patient_of(kind, record_id), "write")
        before = _diaries.held(self.store, pid)
        deleted = self.store.delete(kind, record_id)
        self._written(pid, before, {kind})
        return deleted

    def _written(self, patient_id: int, before, tables: set) -> None:
        """After a committed write: the process's copy of the diary follows it, reading only
        the tables written (``_DiaryCache.after_write``).  A database that does not answer
        now leaves the copy as it was (the next reading sees the new revision)."""
        try:
            _diaries.after_write(self.store, patient_id, before, tables)
        except StoreUnavailable:
            pass

    @_saving
    def save_assessment(self, patient_id, instrument: str, taken_on: dt.date, answers: dict,
                        result: dict) -> int:
        """Keep a questionnaire; while the demo is shown, in the own store (the demo stays
        in view: a questionnaire alone is not yet a diary)."""
        if self.is_demo:
            pid = self.own_store.ensure_patient(DEFAULT_PATIENT)
            self.own_store.save_assessment(pid, instrument, taken_on, answers, result)
            return pid
        pid = self.require(patient_id, "write")
        self.store.save_assessment(pid, instrument, taken_on, answers, result)
        return pid

    def import_file(self, kind, path, patient_name: str | None = None, **options) -> dict:
        """Import a file (all or nothing) into the own store; names in it become patients,
        rows without one go to ``patient_name`` (``DEFAULT_PATIENT`` while the demo is shown).

        In hosted mode only a patient user imports, and only into their own diary.
        """
        from .importers import import_into

        if self.is_demo or not patient_name:  # a first import leaves the demo for the own diary
            patient_name = DEFAULT_PATIENT
        if self.principal.hosted:
            pid = self.require(self.principal.patient_id, "write")
            patient_name = self.store.patients().set_index("id")["name"].get(pid)
            trial = import_into(self.own_store, kind, path, patient=patient_name,
                                **{**options, "dry_run": True})
            if set(trial["patients"]) != {patient_name}:
                raise Refused("This file holds several people's diaries; on a shared server "
                              "you can import only your own.")
        summary = import_into(self.own_store, kind, path, patient=patient_name, **options)
        if self.is_demo and not options.get("dry_run") and summary.get("created"):
            self.store, self.is_demo = self.own_store, False
        return summary

    # --- n-of-1 trials: read with the diary, planned and stopped with ``log`` scope ----------

    def trials(self, patient_id) -> pd.DataFrame:
        """The patient's trials, oldest first (the newest is the current one)."""
        return self.store.trials(self.require(patient_id, "read"))

    def trial_schedule(self, patient_id, trial_id: int) -> pd.DataFrame:
        """The planned sessions of one of the patient's trials."""
        pid = self.require(patient_id, "read")
        self._own_trial(pid, trial_id)
        return self.store.trial_schedule(trial_id)

    @_saving
    def plan_trial(self, patient_id, plan: dict, schedule: list[dict]) -> int:
        """Keep a new trial for the patient (the patient, or a therapist with ``log`` scope);
        returns its id.  The demo diary cannot run one."""
        if self.is_demo:
            raise Refused(DEMO_TRIAL)
        pid = self.require(patient_id, "log")
        trial_id = self.store.save_trial(pid, {**plan, "created_by": self.principal.name},
                                         schedule, utcnow())
        if self.principal.hosted:
            self._log("planned trial", pid)
        return trial_id

    @_saving
    def stop_trial(self, patient_id, trial_id: int) -> bool:
        """Stop a trial early (``log`` scope); False when it was stopped already."""
        pid = self.require(patient_id, "log")
        self._own_trial(pid, trial_id)
        stopped = self.store.stop_trial(trial_id, utcnow())
        if self.principal.hosted:
            self._log("stopped trial", pid)
        return stopped

    def add_trial_block(self, patient_id, trial_id: int, schedule: list[dict]) -> None:
        """Append a replacement block to one of the patient's trials (``log`` scope)."""
        pid = self.require(patient_id, "log")
        self._own_trial(pid, trial_id)
        self.store.add_trial_sessions(trial_id, schedule)
        if self.principal.hosted:
            self._log("added trial block", pid)

    def _own_trial(self, patient_id: int, trial_id: int) -> None:
        from .store import NotFound

        try:
            belongs = self.store.trial_patient(trial_id) == patient_id
        except NotFound:
            belongs = False
        if not belongs:
            raise Refused("There is no such trial in this diary.")

    # --- accounts: an administrator's list -------------------------------------------

    def users(self) -> pd.DataFrame:
        """Every account (name, role, created): for an administrator only."""
        if not self.capabilities().manage_accounts:
            raise Refused("Only an administrator sees the accounts.")
        return self.accounts.users()

    # --- sharing: a patient user's grants and links ----------------------------------

    def _own_diary(self) -> tuple[int, str]:
        """The signed-in patient's own patient (id, name); ``Refused`` for anyone else."""
        if self.principal.role != "patient":
            raise Refused("Only the patient whose diary it is can share it.")
        pid = self.require(self.principal.patient_id, "write")
        return pid, self.store.patients().set_index("id")["name"][pid]

    def share_with(self, therapist: str, scope: str, expires_in: str | None = None) -> int:
        _pid, name = self._own_diary()
        return self.accounts.add_grant(name, therapist, scope, expires_in, actor=self.principal.name)

    def create_link(self, expires_in) -> tuple[int, str]:
        """A read-only link to the own diary: (id, token); the token is shown once."""
        _pid, name = self._own_diary()
        return self.accounts.create_link(name, expires_in, actor=self.principal.name)

    def revoke(self, kind: str, item_id: int) -> None:
        pid, _name = self._own_diary()
        self.accounts.revoke(kind, item_id, patient_id=pid, actor=self.principal.name)

    def shares(self) -> dict[str, pd.DataFrame]:
        """The own diary's grants, links and access log (newest first)."""
        pid, name = self._own_diary()
        return {"grants": self.accounts.grants(name), "links": self.accounts.links(name),
                "log": self.store.access_log(pid)}

    # --- inside ------------------------------------------------------------------

    def _leave_demo(self) -> int:
        patient = self.own_store.ensure_patient(DEFAULT_PATIENT)
        self.store, self.is_demo = self.own_store, False
        return patient

    def _is_patient(self, patient_id) -> bool:
        try:
            return int(patient_id) in set(self.store.patients()["id"].astype(int))
        except (TypeError, ValueError):
            return False

    def _log(self, action: str, patient_id=None) -> None:
        p = self.principal
        self.store.log_access(utcnow(), p.name, action, user_id=p.user_id, link_id=p.link_id,
                              patient_id=patient_id)
