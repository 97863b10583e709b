"""The store: the only module that speaks SQL.

SQLAlchemy 2 Core on SQLite by default (WAL, foreign keys, ``BEGIN IMMEDIATE``
for writes so parallel writers queue instead of failing); the same tables on
PostgreSQL (``postgresql+psycopg://`` URLs, tested like SQLite), where writers
queue on a transaction-level advisory lock for the same reason and each process
keeps a small, pre-pinged connection pool.  Every record row carries ``patient_id``
and every read by patient and date has an index (v6).  Readers get pandas
DataFrames; writers hand in ``records`` and each call is one transaction.

Schema versions: a new database is created at ``SCHEMA_VERSION``; an older one
is backed up (SQLite) and brought forward by the functions in ``MIGRATIONS``,
under the write lock so that processes opening it at once migrate it once.

A SQLite store holds health data, so its folder (when the store creates it), the
file, its ``-wal``/``-shm`` and its backups are owner-only; looser modes found on
open are tightened.  Backups are made only when a write changes something and
the last ``BACKUPS_KEPT`` of each kind are kept.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import sqlalchemy as sa

from . import domain
from . import records as limits
from .records import (DailyCheckin, InvalidRecord, MassageSession, MedicationDose, Record,
                      check, patient_name_problem)

SCHEMA_VERSION = 8
BACKUPS_KEPT = 5  # of each kind: before an import, before a schema upgrade
_SCHEMA_LOCK_KEY = 0x46_49_42_52_4F  # "FIBRO": the PostgreSQL advisory lock held while migrating
_WRITE_LOCK_KEY = 0x46_49_42_52_57  # "FIBRW": held by every PostgreSQL write transaction
# PostgreSQL pool per process: a served app runs a few sessions' queries at once; with N
# processes the server sees at most N * (POOL_SIZE + POOL_OVERFLOW) connections.
POOL_SIZE, POOL_OVERFLOW, POOL_RECYCLE_S = 5, 10, 1800
# Seconds libpq waits for a PostgreSQL server to accept a connection and answer its start-up
# (a server that hangs, or a network that drops the packets, instead of refusing): then it is
# StoreUnavailable.  Only connecting is bounded: no lock or statement timeout, since every
# writer waits its turn on the write lock (``_WRITE_LOCK_KEY``).  A ``connect_timeout`` in
# the URL wins.
PG_CONNECT_TIMEOUT_S = 10

log = logging.getLogger(__name__)

metadata = sa.MetaData()

meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

patients = sa.Table(
    "patients", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(limits.PATIENT_NAME_MAX), nullable=False, unique=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


def _patient_fk() -> sa.Column:
    return sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="CASCADE"),
                     nullable=False)


def _rating(name: str) -> sa.Column:
    return sa.Column(name, sa.Float, nullable=True)


daily_checkins = sa.Table(
    "daily_checkins", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _patient_fk(),
    sa.Column("date", sa.Date, nullable=False),
    _rating("pain"),
    sa.Column("sleep_hours", sa.Float, nullable=True),
    sa.Column("nap_minutes", sa.Integer, nullable=True),
    *[_rating(name) for name in domain.DAILY_RATINGS if name != "pain"],
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.String(40), nullable=False, server_default=""),
    sa.UniqueConstraint("patient_id", "date", name="uq_daily_patient_date"),
)

area_pain = sa.Table(
    "area_pain", metadata,
    sa.Column("checkin_id", sa.Integer, sa.ForeignKey("daily_checkins.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("area", sa.String(20), primary_key=True),
    sa.Column("pain", sa.Float, nullable=False),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _patient_fk(),
    sa.Column("start", sa.DateTime, nullable=False),
    sa.Column("duration_min", sa.Float, nullable=False),
    sa.Column("pressure", sa.String(20), nullable=False),
    sa.Column("technique", sa.String(limits.TEXT_MAX["technique"]), nullable=False, server_default=""),
    sa.Column("therapist", sa.String(limits.TEXT_MAX["therapist"]), nullable=False, server_default=""),
    _rating("pain_before"),
    _rating("pain_after"),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.String(40), nullable=False, server_default=""),
    sa.UniqueConstraint("patient_id", "start", name="uq_session_patient_start"),
)

session_areas = sa.Table(
    "session_areas", metadata,
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("area", sa.String(20), primary_key=True),
)

doses = sa.Table(
    "doses", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _patient_fk(),
    sa.Column("time", sa.DateTime, nullable=False),
    sa.Column("name", sa.String(limits.TEXT_MAX["name"]), nullable=False),
    sa.Column("drug_class", sa.String(40), nullable=False),
    sa.Column("dose", sa.Float, nullable=True),
    sa.Column("unit", sa.String(limits.TEXT_MAX["unit"]), nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.String(40), nullable=False, server_default=""),
    sa.UniqueConstraint("patient_id", "time", "name", name="uq_dose_patient_time_name"),
)

assessments = sa.Table(
    "assessments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _patient_fk(),
    sa.Column("taken_on", sa.Date, nullable=False),
    sa.Column("instrument", sa.String(20), nullable=False),  # acr2016, fiqr
    sa.Column("answers", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.UniqueConstraint("patient_id", "instrument", "taken_on", name="uq_assessment_day"),
)

# --- hosted mode: accounts, grants, links, sign-ins, access log (schema v5) ------------

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),  # patient, therapist, admin
    sa.Column("password_hash", sa.String(200), nullable=False),  # Argon2id, never the password
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="SET NULL"),
              nullable=True),  # a patient user's own diary
    sa.Column("created_at", sa.DateTime, nullable=False),
)

grants = sa.Table(
    "grants", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _patient_fk(),
    sa.Column("therapist_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("scope", sa.String(10), nullable=False),  # read, log
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=True),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)

links = sa.Table(
    "links", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _patient_fk(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256, hex
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)

signins = sa.Table(  # server-side sessions behind the signed cookie
    "signins", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("links.id", ondelete="CASCADE"), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime, nullable=True),
)

access_log = sa.Table(
    "access_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),  # a user name or "link 7"
    sa.Column("user_id", sa.Integer, nullable=True),
    sa.Column("link_id", sa.Integer, nullable=True),
    sa.Column("patient_id", sa.Integer, nullable=True),
    sa.Column("action", sa.String(40), nullable=False),  # never health data or secrets
    sa.Column("address", sa.String(45), nullable=True),  # v8: the client of a sign-in attempt
)

sa.Index("ix_access_log_patient_at", access_log.c.patient_id, access_log.c.at)
sa.Index("ix_access_log_actor_action_at", access_log.c.actor, access_log.c.action, access_log.c.at)
sa.Index("ix_access_log_address_action_at", access_log.c.address, access_log.c.action,
         access_log.c.at)
ACCOUNT_TABLES = (users, grants, links, signins, access_log)

sa.Index("ix_sessions_patient_start", sessions.c.patient_id, sessions.c.start)
sa.Index("ix_doses_patient_time", doses.c.patient_id, doses.c.time)
# v6: the foreign keys that reads and cascading deletes follow.  Reads by patient and date
# use the unique keys (daily, sessions, doses, assessments) and the child tables' primary
# keys (area_pain, session_areas: parent id first); tokens their unique constraints.
sa.Index("ix_grants_patient", grants.c.patient_id)
sa.Index("ix_links_patient", links.c.patient_id)
sa.Index("ix_signins_user", signins.c.user_id)
sa.Index("ix_signins_link", signins.c.link_id)
sa.Index("ix_users_patient", users.c.patient_id)

# --- n-of-1 trials: a plan and its randomized schedule (schema v7) -----------------------

trials = sa.Table(
    "trials", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _patient_fk(),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False, server_default=""),
    sa.Column("pressure_a", sa.String(20), nullable=False),
    sa.Column("pressure_b", sa.String(20), nullable=False),
    sa.Column("area", sa.String(20), nullable=True),
    sa.Column("outcome", sa.String(40), nullable=False),
    sa.Column("blocks", sa.Integer, nullable=False),
    sa.Column("sessions_per_period", sa.Integer, nullable=False),
    sa.Column("every_days", sa.Integer, nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),  # the schedule can be drawn again from it
    sa.Column("difference", sa.Float, nullable=False),  # the difference the power was for
    sa.Column("noise", sa.Float, nullable=False),  # the day-to-day noise it assumed
    sa.Column("noise_days", sa.Integer, nullable=False),  # days it was measured on (0: typical)
    sa.Column("power", sa.Float, nullable=False),
    sa.Column("stopped_at", sa.DateTime, nullable=True),
)

trial_sessions = sa.Table(
    "trial_sessions", metadata,
    sa.Column("trial_id", sa.Integer, sa.ForeignKey("trials.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("pressure", sa.String(20), nullable=False),
    sa.Column("block", sa.Integer, nullable=False),
    sa.Column("period", sa.Integer, nullable=False),
)
TRIAL_TABLES = (trials, trial_sessions)
TRIAL_FIELDS = tuple(c.name for c in trials.columns if c.name not in ("id", "patient_id",
                                                                        "created_at", "stopped_at"))
sa.Index("ix_trials_patient", trials.c.patient_id)


def _add_source_columns(conn: sa.Connection) -> None:
    """v1 -> v2: remember where a record came from ('' typed here, else the importer)."""
    for table in ("daily_checkins", "sessions", "doses"):
        conn.exec_driver_sql(
            f"ALTER TABLE {table} ADD COLUMN source VARCHAR(40) NOT NULL DEFAULT ''"
        )


def _add_assessments(conn: sa.Connection) -> None:
    """v2 -> v3: questionnaires (ACR 2016, FIQR) kept with their answers and results."""
    assessments.create(conn)


def _add_nap_minutes(conn: sa.Connection) -> None:
    """v3 -> v4: minutes napped a day, beside the day's main sleep (blank in older rows)."""
    conn.exec_driver_sql("ALTER TABLE daily_checkins ADD COLUMN nap_minutes INTEGER")


def _add_accounts(conn: sa.Connection) -> None:
    """v4 -> v5: hosted mode's users, grants, links, sign-ins and access log."""
    for table in ACCOUNT_TABLES:
        table.create(conn)


def _add_indexes(conn: sa.Connection) -> None:
    """v5 -> v6: every index a new store has (a store migrated from v1 lacked some); tables
    of later versions are not there yet (their own step creates them with their indexes)."""
    present = set(sa.inspect(conn).get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in present:
            continue
        for index in sorted(table.indexes, key=lambda i: i.name):
            index.create(conn, checkfirst=True)


def _add_trials(conn: sa.Connection) -> None:
    """v6 -> v7: n-of-1 trial plans and their randomized schedules."""
    for table in TRIAL_TABLES:
        table.create(conn)


def _add_access_address(conn: sa.Connection) -> None:
    """v7 -> v8: the client address of sign-in attempts (per-address limit, audit).  A store
    that reached v5 in the same upgrade has the column already (v5 creates today's table)."""
    if "address" not in {c["name"] for c in sa.inspect(conn).get_columns("access_log")}:
        conn.exec_driver_sql("ALTER TABLE access_log ADD COLUMN address VARCHAR(45)")
    for index in access_log.indexes:
        index.create(conn, checkfirst=True)


# version reached -> the step that reaches it from the version before
MIGRATIONS = {2: _add_source_columns, 3: _add_assessments, 4: _add_nap_minutes, 5: _add_accounts,
              6: _add_indexes, 7: _add_trials, 8: _add_access_address}
INSTRUMENTS = ("acr2016", "fiqr")


@dataclass
class SaveResult:
    """What a save did, per record kind: created, updated, unchanged; and any backup made."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    backup: Path | None = None

    @property
    def total_written(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


class SchemaTooNew(RuntimeError):
    pass


class DuplicateEntry(ValueError):
    """An edit would give a record the key (day, session start, dose time and name) of another."""

    def __init__(self, message: str, field: str):
        self.field = field
        super().__init__(message)


class NotFound(LookupError):
    pass


class BackupFailed(RuntimeError):
    """A backup could not be written whole (e.g. the disk is full): the partial copy was
    removed, and the write it was for did not happen."""


NOT_SAVED = ("Could not save: the database did not answer. Nothing was saved; "
             "please try again in a moment.")
NOT_ANSWERED = "The database did not answer. Please try again in a moment."


VALUE_REFUSED = ("Could not save: the database refused a value (too long or out of range). "
                 "Nothing was saved.")


class ValueRefused(ValueError):
    """The database refused a value the records' limits let through (a column's length or
    range): the write was rolled back.  The message names no value, row or SQL."""

    def __init__(self, message: str = VALUE_REFUSED):
        super().__init__(message)


class StoreUnavailable(RuntimeError):
    """The database did not answer a read or a write: it could not be reached or was lost
    midway (a stopped or restarting server, a dropped connection, a lock never granted).

    A write's transaction was rolled back: nothing of it is stored (message ``NOT_SAVED``);
    a read says ``NOT_ANSWERED``.  The next call gets a fresh, pinged connection from the
    pool.  Raised for every store by ``_unavailable``, the engines' error hook.
    """

    def __init__(self, message: str = NOT_SAVED):
        super().__init__(message)


KINDS = ("daily", "sessions", "doses")
DAILY_VALUE_FIELDS = ("sleep_hours", "nap_minutes", *domain.DAILY_RATINGS)  # the numbers of a check-in


def default_db_path() -> Path | str:
    """``$FIBRO_DB``, else ``$XDG_DATA_HOME/fibro/fibro.sqlite`` (``~/.local/share/...``).

    A database URL in ``$FIBRO_DB`` is returned as it is (a ``Path`` would fold its ``//``).
    """
    given = os.environ.get("FIBRO_DB")
    if given:
        return given if "://" in given else Path(given).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "fibro" / "fibro.sqlite"


def store_url(location: str | os.PathLike) -> str:
    """The SQLAlchemy URL of a store given as a path or a URL."""
    return _as_url(location)


def _as_url(location: str | os.PathLike) -> str:
    text = str(location)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"


class Store:
    """All reads and writes of one database (a SQLite file or a server URL)."""

    def __init__(self, location: str | os.PathLike):
        self.url = _as_url(location)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self.path = Path(sa.engine.make_url(self.url).database)
            _create_private(self.path)
            _tighten([self.path, *_sidecars(self.path), *_backups_of(self.path)])
            self.engine = sa.create_engine(self.url, connect_args={"timeout": 60})
            sa.event.listen(self.engine, "connect", _sqlite_on_connect)
            sa.event.listen(self.engine, "begin", _sqlite_on_begin)
        else:
            self.path = None
            self.engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=POOL_SIZE,
                                           max_overflow=POOL_OVERFLOW, pool_recycle=POOL_RECYCLE_S,
                                           connect_args=_server_connect_args(self.url))
        sa.event.listen(self.engine, "handle_error", _unavailable)
        self._upgrade()

    def __repr__(self) -> str:
        return f"Store({self.shown_url!r})"

    @property
    def shown_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # --- schema -------------------------------------------------------------

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return _read_version(conn)

    def _upgrade(self) -> None:
        """Create or migrate the schema; only one of several processes opening it at once does.

        The common case (already current) only reads.  Otherwise the version is read
        again under the write lock, so a process that waited for another one's
        migration finds the work done and neither migrates nor backs up again.
        """
        with self.engine.connect() as conn:
            version = _stored_version(conn)
        _refuse_newer(self.url, version)
        if version == SCHEMA_VERSION:
            return
        with self._write() as conn:
            _lock_schema(conn)
            version = _stored_version(conn)
            if version is None:
                metadata.create_all(conn)
                _write_version(conn, SCHEMA_VERSION)
                return
            _refuse_newer(self.url, version)
            if version == SCHEMA_VERSION:
                return
            # under the write lock the committed state is the one about to be migrated
            self.backup(suffix=f"before-v{SCHEMA_VERSION}")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
                _write_version(conn, target)

    def backup(self, suffix: str = "backup") -> Path | None:
        """Copy a SQLite store beside itself, owner-only, as ``name.<suffix>-<time>.sqlite``.

        Copies the last committed state, also while this store holds the write lock
        (WAL readers do not see uncommitted writes), then keeps only the newest
        ``BACKUPS_KEPT`` backups of the same kind.  None for other engines.
        """
        if not self.is_sqlite or not self.path.exists():
            return None
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = self.path.with_name(f"{self.path.stem}.{suffix}-{stamp}{self.path.suffix}")
        _create_private(target)
        try:
            _copy_checked(self.path, target)
        except (sqlite3.Error, OSError) as error:
            with contextlib.suppress(OSError):
                target.unlink()  # a 0-byte or partial file must not look like a backup
            reason = "the disk is full" if _disk_full(error) else type(error).__name__
            log.warning("Backup %s failed (%s); removed", target.name, reason)
            raise BackupFailed(
                f"Could not back up the store before changing it ({reason}): nothing was "
                f"changed. Free some space beside {self.path} and try again.") from None
        _prune_backups(self.path, suffix)
        return target

    @contextlib.contextmanager
    def _write(self):
        """One write transaction: ``BEGIN IMMEDIATE`` on SQLite, the write lock on PostgreSQL.

        Either way writers of all processes take turns, so a save's read-compare-write
        (``_save_records``) never races another save of the same keys.  A database
        failure inside it (connecting included) is ``StoreUnavailable(NOT_SAVED)``: see
        ``_unavailable``.
        """
        writing = _writing.set(True)
        try:
            with self.engine.connect().execution_options(fibro_write=True) as conn:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": _WRITE_LOCK_KEY})
                    yield conn
        finally:
            _writing.reset(writing)

    # --- patients -----------------------------------------------------------

    def patients(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(patients.c.id, patients.c.name).order_by(patients.c.id))
            return pd.DataFrame(rows.fetchall(), columns=["id", "name"])

    def ensure_patient(self, name: str) -> int:
        """The id of the patient called ``name``, created when new."""
        name = _checked_patient_name(name)
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(patients.c.id).where(patients.c.name == name)).scalar()
        if found is not None:
            return int(found)
        with self._write() as conn:
            return _patient_id_in(conn, name)

    def revision(self, patient_id: int) -> int:
        """A number that grows with every write for this patient (for caches)."""
        patient_id = int(patient_id)  # a numpy integer would bind as a blob and match nothing
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(patients.c.revision).where(patients.c.id == patient_id)
            ).scalar()
        return int(value or 0)

    def is_empty(self) -> bool:
        with self.engine.connect() as conn:
            return not _holds_records(conn)

    # --- writing --------------------------------------------------------------

    def save(self, patient_id: int, records: list[Record], source: str = "",
             today: dt.date | None = None) -> SaveResult:
        """Validate then write all ``records`` in one transaction: all or nothing.

        A record whose natural key (day; session start; dose time and name) is
        already stored replaces it when different and is counted unchanged when
        equal, so saving the same records twice adds nothing.
        """
        return self._save_all({patient_id: records}, source, today)

    def save_by_name(self, records_by_patient: dict[str, list[Record]], source: str = "",
                     today: dt.date | None = None, backup_suffix: str | None = None) -> SaveResult:
        """Like ``save`` for several patients named in one go (created when new), one transaction.

        With ``backup_suffix``, a SQLite store that already holds records is backed up
        (``SaveResult.backup``) when, and only when, the save changes something.
        """
        return self._save_all(records_by_patient, source, today, backup_suffix)

    def _save_all(self, batches: dict, source: str, today: dt.date | None,
                  backup_suffix: str | None = None) -> SaveResult:
        for patient, records in batches.items():
            for index, record in enumerate(records, start=1):
                where = f"record {index}" + (f" of {patient}" if isinstance(patient, str) else "")
                check(record, where=where, today=today)
        result = SaveResult({}, {}, {})
        with self._write() as conn:
            wants_backup = self.is_sqlite and backup_suffix is not None and _holds_records(conn)
            # A WAL reader still sees the state before this transaction, so the copy can
            # wait until we know the save changes something; otherwise copy first.
            copy_after = wants_backup and _journal_mode(conn) == "wal"
            if wants_backup and not copy_after:
                result.backup = self.backup(suffix=backup_suffix)
            for patient, records in batches.items():
                patient_id = (_patient_id_in(conn, patient) if isinstance(patient, str)
                              else int(patient))  # numpy ints would bind as blobs
                written = 0
                for kind, outcome in _save_records(conn, patient_id, records, source):
                    bucket = getattr(result, outcome)
                    bucket[kind] = bucket.get(kind, 0) + 1
                    written += outcome != "unchanged"
                if written:
                    _bump_revision(conn, patient_id)
            if copy_after and result.total_written:
                result.backup = self.backup(suffix=backup_suffix)
        return result

    def replace(self, kind: str, record_id: int, record: Record, today: dt.date | None = None) -> int:
        """Edit: the stored record ``record_id`` becomes ``record``, in one transaction.

        Refuses (``DuplicateEntry``) when ``record`` would land on the key of another
        stored record.  Returns the id of the edited record.
        """
        check(record, today=today)
        table = _TABLES[kind]
        with self._write() as conn:
            patient_id = _patient_of(conn, kind, record_id)
            other = _find_id(conn, patient_id, record)
            if other is not None and other != record_id:
                raise DuplicateEntry(*_duplicate_message(record))
            conn.execute(table.delete().where(table.c.id == record_id))
            _insert(conn, _KINDS[type(record)], patient_id, [record], "")
            new_id = _find_id(conn, patient_id, record)
            _bump_revision(conn, patient_id)
        return new_id

    def delete(self, kind: str, record_id: int) -> Record:
        """Delete one record; returns it, so the caller can offer to undo by saving it again."""
        table = _TABLES[kind]
        with self._write() as conn:
            patient_id = _patient_of(conn, kind, record_id)
            record = _load_record(conn, kind, record_id)
            conn.execute(table.delete().where(table.c.id == record_id))
            _bump_revision(conn, patient_id)
        return record

    def record(self, kind: str, record_id: int) -> Record:
        """One stored record, as the dataclass a form edits."""
        with self.engine.connect() as conn:
            return _load_record(conn, kind, int(record_id))

    def patient_of(self, kind: str, record_id: int) -> int:
        """The patient whose record ``record_id`` is (``NotFound`` when there is none)."""
        with self.engine.connect() as conn:
            return _patient_of(conn, kind, record_id)

    def daily_id(self, patient_id: int, date: dt.date) -> int | None:
        """The id of the check-in of ``date``, if there is one."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(daily_checkins.c.id).where(
                daily_checkins.c.patient_id == int(patient_id), daily_checkins.c.date == date)
            ).scalar()

    def save_assessment(self, patient_id: int, instrument: str, taken_on: dt.date,
                        answers: dict, result: dict) -> None:
        """Keep a questionnaire's answers and result; a second one the same day replaces it."""
        if instrument not in INSTRUMENTS:
            raise ValueError(f"unknown instrument {instrument!r}; use one of {', '.join(INSTRUMENTS)}")
        problem = limits.date_problem(taken_on)
        if problem:
            raise InvalidRecord({"taken_on": problem})
        patient_id = int(patient_id)
        with self._write() as conn:
            conn.execute(assessments.delete().where(
                assessments.c.patient_id == patient_id, assessments.c.instrument == instrument,
                assessments.c.taken_on == taken_on))
            conn.execute(assessments.insert().values(
                patient_id=patient_id, instrument=instrument, taken_on=taken_on,
                answers=answers, result=result))
            _bump_revision(conn, patient_id)

    def assessments(self, patient_id: int, instrument: str) -> pd.DataFrame:
        """One row per questionnaire: taken_on, then the result's fields, then ``answers``."""
        patient_id = int(patient_id)
        query = (sa.select(assessments.c.taken_on, assessments.c.result, assessments.c.answers)
                 .where(assessments.c.patient_id == patient_id,
                        assessments.c.instrument == instrument, _readable(assessments.c.taken_on))
                 .order_by(assessments.c.taken_on))
        with self.engine.connect() as conn:
            rows = conn.execute(query).fetchall()
        frame = pd.DataFrame([{"taken_on": pd.Timestamp(r.taken_on), **r.result, "answers": r.answers}
                              for r in rows])
        return frame if len(frame) else pd.DataFrame(columns=["taken_on", "answers"])

    # --- reading --------------------------------------------------------------

    def daily(self, patient_id: int) -> pd.DataFrame:
        """Daily check-ins, one row a day, with a ``pain_<area>`` column per logged area.

        ``nap_minutes`` is float64 like the ratings, so a blank is NaN.
        """
        patient_id = int(patient_id)  # a numpy integer would bind as a blob and match nothing
        readable = _readable(daily_checkins.c.date)
        query = (sa.select(daily_checkins).where(daily_checkins.c.patient_id == patient_id, readable)
                 .order_by(daily_checkins.c.date))
        areas_q = (sa.select(daily_checkins.c.id, area_pain.c.area, area_pain.c.pain)
                   .join(area_pain, area_pain.c.checkin_id == daily_checkins.c.id)
                   .where(daily_checkins.c.patient_id == patient_id, readable))
        with self.engine.connect() as conn:
            frame = _frame(conn.execute(query), [c.name for c in daily_checkins.columns], daily_checkins)
            by_area = _frame(conn.execute(areas_q), ["id", "area", "pain"])
        frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
        frame["nap_minutes"] = pd.to_numeric(frame["nap_minutes"]).astype("float64")  # blank -> NaN
        if not by_area.empty:
            wide = by_area.pivot(index="id", columns="area", values="pain")
            ordered = [a for a in domain.BODY_AREAS if a in wide.columns]
            wide = wide[ordered].add_prefix(domain.AREA_PAIN_PREFIX)
            frame = frame.join(wide, on="id")
        return frame

    def sessions(self, patient_id: int) -> pd.DataFrame:
        """Massage sessions, oldest first; ``areas`` is ';'-joined in vocabulary order."""
        patient_id = int(patient_id)  # a numpy integer would bind as a blob and match nothing
        readable = _readable(sessions.c.start)
        query = (sa.select(sessions).where(sessions.c.patient_id == patient_id, readable)
                 .order_by(sessions.c.start))
        areas_q = (sa.select(session_areas.c.session_id, session_areas.c.area)
                   .join(sessions, sessions.c.id == session_areas.c.session_id)
                   .where(sessions.c.patient_id == patient_id, readable))
        with self.engine.connect() as conn:
            frame = _frame(conn.execute(query), [c.name for c in sessions.columns], sessions)
            links = _frame(conn.execute(areas_q), ["session_id", "area"])
        frame["start"] = pd.to_datetime(frame["start"]).astype("datetime64[ns]")
        order = {a: i for i, a in enumerate(domain.BODY_AREAS)}
        joined = (links.assign(rank=links["area"].map(order)).sort_values("rank")
                  .groupby("session_id")["area"].agg(domain.AREAS_SEPARATOR.join))
        frame.insert(5, "areas", frame["id"].map(joined).fillna("").astype(str))
        return frame

    def doses(self, patient_id: int) -> pd.DataFrame:
        """Medication doses, oldest first."""
        patient_id = int(patient_id)  # a numpy integer would bind as a blob and match nothing
        query = (sa.select(doses).where(doses.c.patient_id == patient_id, _readable(doses.c.time))
                 .order_by(doses.c.time))
        with self.engine.connect() as conn:
            frame = _frame(conn.execute(query), [c.name for c in doses.columns], doses)
        frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[ns]")
        return frame

    def bad_entries(self, patient_id: int | None = None) -> pd.DataFrame:
        """Stored entries the readers leave out because their date is outside the limits
        (``records.DATE_MIN`` to ``records.latest_date()``; written before the limits, or by
        hand): kind, id, patient_id, field, value (as the database holds it, as text).

        ``daily``, ``sessions`` and ``doses`` show the rest; a page, the CLI and the report
        name these so they can be fixed (``delete``, ``replace``).
        """
        rows = []
        with self.engine.connect() as conn:
            for kind, column in _DATED.items():
                table = column.table
                query = sa.select(table.c.id, table.c.patient_id, sa.cast(column, sa.String)).where(
                    sa.not_(_readable(column))).order_by(table.c.id)
                if patient_id is not None:
                    query = query.where(table.c.patient_id == int(patient_id))
                rows += [(kind, int(i), int(p), column.name, str(v))
                         for i, p, v in conn.execute(query)]
        return pd.DataFrame(rows, columns=["kind", "id", "patient_id", "field", "value"])

    # --- reading many patients at once (a therapist's list) ------------------------------

    def last_sessions(self, patient_ids) -> pd.DataFrame:
        """Each listed patient's latest massage session (patient_id, start, therapist,
        pressure), in one query on the (patient_id, start) index."""
        ids = [int(i) for i in patient_ids]
        latest = (sa.select(sessions.c.patient_id, sa.func.max(sessions.c.start).label("start"))
                  .where(sessions.c.patient_id.in_(ids), _readable(sessions.c.start))
                  .group_by(sessions.c.patient_id)
                  .subquery())
        query = (sa.select(sessions.c.patient_id, sessions.c.start, sessions.c.therapist,
                           sessions.c.pressure)
                 .join(latest, sa.and_(sessions.c.patient_id == latest.c.patient_id,
                                       sessions.c.start == latest.c.start)))
        with self.engine.connect() as conn:
            frame = _frame(conn.execute(query), ["patient_id", "start", "therapist", "pressure"])
        frame["start"] = pd.to_datetime(frame["start"]).astype("datetime64[ns]")
        return frame

    def daily_ratings(self, patient_ids, first: dt.date, last: dt.date,
                      rating: str = "pain") -> pd.DataFrame:
        """One daily rating of the listed patients from ``first`` to ``last`` (patient_id,
        date, value; blanks left out), in one query on the (patient_id, date) key."""
        if rating not in daily_checkins.c or rating in ("id", "patient_id", "date"):
            raise ValueError(f"unknown rating {rating!r}")
        column = daily_checkins.c[rating]
        query = (sa.select(daily_checkins.c.patient_id, daily_checkins.c.date, column)
                 .where(daily_checkins.c.patient_id.in_([int(i) for i in patient_ids]),
                        daily_checkins.c.date >= first, daily_checkins.c.date <= last,
                        column.is_not(None))
                 .order_by(daily_checkins.c.patient_id, daily_checkins.c.date))
        with self.engine.connect() as conn:
            frame = _frame(conn.execute(query), ["patient_id", "date", "value"])
        frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
        frame["value"] = frame["value"].astype("float64")
        return frame


    # --- hosted mode: accounts, grants, links, sign-ins, access log -----------------
    # Times are naive UTC, passed in by the caller (``dashboard.accounts``).

    def add_user(self, name: str, role: str, password_hash: str, patient_id: int | None,
                 now: dt.datetime) -> int:
        """Create a user; ``DuplicateEntry`` when the name is taken."""
        with self._write() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.name == name)).scalar():
                raise DuplicateEntry(f"There is already a user called {name!r}.", "name")
            return int(conn.execute(users.insert().values(
                name=name, role=role, password_hash=password_hash,
                patient_id=None if patient_id is None else int(patient_id), created_at=now,
            )).inserted_primary_key[0])

    def user(self, name: str | None = None, user_id: int | None = None) -> dict | None:
        """One user's row (with the hash) by name or id, or None."""
        where = users.c.name == name if user_id is None else users.c.id == int(user_id)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(where)).mappings().first()
        return dict(row) if row else None

    def users(self) -> pd.DataFrame:
        """Every user without the password hash: id, name, role, patient, created_at."""
        query = (sa.select(users.c.id, users.c.name, users.c.role,
                           patients.c.name.label("patient"), users.c.created_at)
                 .outerjoin(patients, patients.c.id == users.c.patient_id).order_by(users.c.name))
        with self.engine.connect() as conn:
            return _frame(conn.execute(query), ["id", "name", "role", "patient", "created_at"])

    def remove_user(self, name: str) -> bool:
        with self._write() as conn:
            return conn.execute(users.delete().where(users.c.name == name)).rowcount > 0

    def set_password(self, user_id: int, password_hash: str, now: dt.datetime) -> None:
        """A new password hash; every sign-in of that user ends in the same transaction."""
        with self._write() as conn:
            conn.execute(users.update().where(users.c.id == int(user_id))
                         .values(password_hash=password_hash))
            conn.execute(signins.update().where(signins.c.user_id == int(user_id),
                                                signins.c.ended_at.is_(None)).values(ended_at=now))

    def add_grant(self, patient_id: int, therapist_id: int, scope: str, now: dt.datetime,
                  expires_at: dt.datetime | None) -> int:
        with self._write() as conn:
            return int(conn.execute(grants.insert().values(
                patient_id=int(patient_id), therapist_id=int(therapist_id), scope=scope,
                created_at=now, expires_at=expires_at)).inserted_primary_key[0])

    def grants(self, patient_id: int | None = None, therapist_id: int | None = None) -> pd.DataFrame:
        """Grants with names: id, patient_id, patient, therapist_id, therapist, scope, times."""
        query = (sa.select(grants.c.id, grants.c.patient_id, patients.c.name.label("patient"),
                           grants.c.therapist_id, users.c.name.label("therapist"), grants.c.scope,
                           grants.c.created_at, grants.c.expires_at, grants.c.revoked_at)
                 .join(patients, patients.c.id == grants.c.patient_id)
                 .join(users, users.c.id == grants.c.therapist_id).order_by(grants.c.id))
        if patient_id is not None:
            query = query.where(grants.c.patient_id == int(patient_id))
        if therapist_id is not None:
            query = query.where(grants.c.therapist_id == int(therapist_id))
        with self.engine.connect() as conn:
            result = conn.execute(query)
            return _frame(result, list(result.keys()))

    def add_link(self, patient_id: int, token_hash: str, now: dt.datetime,
                 expires_at: dt.datetime) -> int:
        with self._write() as conn:
            return int(conn.execute(links.insert().values(
                patient_id=int(patient_id), token_hash=token_hash, created_at=now,
                expires_at=expires_at)).inserted_primary_key[0])

    def links(self, patient_id: int | None = None, token_hash: str | None = None,
              link_id: int | None = None) -> pd.DataFrame:
        """Links without their hashes: id, patient_id, patient, created_at, expires_at, revoked_at."""
        query = (sa.select(links.c.id, links.c.patient_id, patients.c.name.label("patient"),
                           links.c.created_at, links.c.expires_at, links.c.revoked_at)
                 .join(patients, patients.c.id == links.c.patient_id).order_by(links.c.id))
        if patient_id is not None:
            query = query.where(links.c.patient_id == int(patient_id))
        if token_hash is not None:
            query = query.where(links.c.token_hash == token_hash)
        if link_id is not None:
            query = query.where(links.c.id == int(link_id))
        with self.engine.connect() as conn:
            result = conn.execute(query)
            return _frame(result, list(result.keys()))

    def revoke(self, kind: str, item_id: int, now: dt.datetime) -> dict | None:
        """Revoke a grant or link (``kind`` 'grant' or 'link'); a link's sign-ins end with it.

        Returns the row as it was (None when there is no such id)."""
        table = {"grant": grants, "link": links}[kind]
        with self._write() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == int(item_id))).mappings().first()
            if row is None:
                return None
            if row["revoked_at"] is None:
                conn.execute(table.update().where(table.c.id == int(item_id)).values(revoked_at=now))
            if kind == "link":
                conn.execute(signins.update().where(signins.c.link_id == int(item_id),
                                                    signins.c.ended_at.is_(None)).values(ended_at=now))
            return dict(row)

    def start_signin(self, token_hash: str, now: dt.datetime, user_id: int | None = None,
                     link_id: int | None = None) -> None:
        with self._write() as conn:
            conn.execute(signins.insert().values(token_hash=token_hash, user_id=user_id,
                                                 link_id=link_id, created_at=now))

    def signin(self, token_hash: str, ended_too: bool = False) -> dict | None:
        """A sign-in that has not ended (or, ``ended_too``, any), or None."""
        query = sa.select(signins).where(signins.c.token_hash == token_hash)
        if not ended_too:
            query = query.where(signins.c.ended_at.is_(None))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row else None

    def end_signin(self, token_hash: str, now: dt.datetime) -> None:
        with self._write() as conn:
            conn.execute(signins.update().where(signins.c.token_hash == token_hash,
                                                signins.c.ended_at.is_(None)).values(ended_at=now))

    def log_access(self, now: dt.datetime, actor: str, action: str, user_id: int | None = None,
                   link_id: int | None = None, patient_id: int | None = None,
                   address: str | None = None) -> None:
        with self._write() as conn:
            conn.execute(access_log.insert().values(
                at=now, actor=actor[:100], action=action[:40], user_id=user_id, link_id=link_id,
                patient_id=None if patient_id is None else int(patient_id),
                address=None if address is None else address[:45]))

    def access_log(self, patient_id: int | None = None) -> pd.DataFrame:
        """The access log, newest first: at, actor, action, user_id, link_id, patient_id."""
        columns = ["at", "actor", "action", "user_id", "link_id", "patient_id", "address"]
        query = sa.select(*(access_log.c[c] for c in columns)).order_by(access_log.c.id.desc())
        if patient_id is not None:
            query = query.where(access_log.c.patient_id == int(patient_id))
        with self.engine.connect() as conn:
            return _frame(conn.execute(query), columns)

    def count_access(self, actor: str | None, action: str, since: dt.datetime,
                     address: str | None = None) -> int:
        """How often ``actor`` (or, with ``address``, that client address) did ``action``
        since ``since`` (failed sign-ins, for the lockouts by name and by address)."""
        who = (access_log.c.actor == actor) if address is None else (access_log.c.address == address)
        query = sa.select(sa.func.count()).where(
            who, access_log.c.action == action, access_log.c.at >= since)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar())

    # --- n-of-1 trials --------------------------------------------------------------

    def save_trial(self, patient_id: int, plan: dict, schedule: list[dict], now: dt.datetime) -> int:
        """Keep a trial's plan (``TRIAL_FIELDS``) and its schedule (rows with date, pressure,
        block, period) in one transaction; returns the trial's id."""
        unknown = set(plan) - set(TRIAL_FIELDS)
        if unknown:
            raise ValueError(f"unknown trial fields: {', '.join(sorted(unknown))}")
        with self._write() as conn:
            trial_id = int(conn.execute(trials.insert().values(
                patient_id=int(patient_id), created_at=now, **plan)).inserted_primary_key[0])
            conn.execute(trial_sessions.insert(), [
                {"trial_id": trial_id, "seq": seq, "date": row["date"], "pressure": row["pressure"],
                 "block": int(row["block"]), "period": int(row["period"])}
                for seq, row in enumerate(schedule, start=1)])
        return trial_id

    def add_trial_sessions(self, trial_id: int, schedule: list[dict]) -> None:
        """Append planned sessions (a replacement block) to a trial's schedule, after its last."""
        with self._write() as conn:
            last = conn.execute(sa.select(sa.func.max(trial_sessions.c.seq))
                                .where(trial_sessions.c.trial_id == int(trial_id))).scalar() or 0
            conn.execute(trial_sessions.insert(), [
                {"trial_id": int(trial_id), "seq": seq, "date": row["date"],
                 "pressure": row["pressure"], "block": int(row["block"]),
                 "period": int(row["period"])}
                for seq, row in enumerate(schedule, start=last + 1)])

    def trials(self, patient_id: int) -> pd.DataFrame:
        """A patient's trials, oldest first: id, created_at, the plan's fields, stopped_at."""
        query = (sa.select(trials).where(trials.c.patient_id == int(patient_id))
                 .order_by(trials.c.id))
        with self.engine.connect() as conn:
            return _frame(conn.execute(query), [c.name for c in trials.columns], trials)

    def trial_patient(self, trial_id: int) -> int:
        """The patient whose trial ``trial_id`` is (``NotFound`` when there is none)."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(trials.c.patient_id)
                                 .where(trials.c.id == int(trial_id))).scalar()
        if found is None:
            raise NotFound(f"no trial with id {trial_id}")
        return int(found)

    def trial_schedule(self, trial_id: int) -> pd.DataFrame:
        """A trial's planned sessions in order: date, pressure, block, period."""
        query = (sa.select(trial_sessions.c.date, trial_sessions.c.pressure,
                           trial_sessions.c.block, trial_sessions.c.period)
                 .where(trial_sessions.c.trial_id == int(trial_id)).order_by(trial_sessions.c.seq))
        with self.engine.connect() as conn:
            frame = _frame(conn.execute(query), ["date", "pressure", "block", "period"])
        frame["date"] = pd.to_datetime(frame["date"])
        return frame

    def stop_trial(self, trial_id: int, now: dt.datetime) -> bool:
        """Mark a trial stopped (early); False when it already was."""
        with self._write() as conn:
            return conn.execute(trials.update().where(
                trials.c.id == int(trial_id), trials.c.stopped_at.is_(None)
            ).values(stopped_at=now)).rowcount > 0


def _frame(result: sa.CursorResult, columns: list[str], table: sa.Table | None = None) -> pd.DataFrame:
    """Rows as a DataFrame; a table's Float columns become float64 (blank -> NaN)."""
    frame = pd.DataFrame(result.fetchall(), columns=columns)
    if table is not None:
        for column in table.columns:
            if isinstance(column.type, sa.Float):
                frame[column.name] = pd.to_numeric(frame[column.name]).astype("float64")
    return frame


def _create_private(path: Path) -> None:
    """Create ``path`` empty and owner-only (0600) if missing, and missing folders 0700.

    SQLite gives the ``-wal``, ``-shm`` and ``-journal`` files it creates the mode
    of the main file, so they are owner-only as well.
    """
    missing = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            folder.mkdir(mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _copy_checked(source_path: Path, target: Path) -> None:
    """Copy a SQLite database with SQLite's backup API, then read the copy back: it must pass
    ``PRAGMA quick_check`` and hold as many rows per table as the source saw."""
    source = sqlite3.connect(source_path, timeout=60, isolation_level=None)
    try:
        source.execute("BEGIN")  # one snapshot for the copy and the counts compared with it
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)
            tables = [name for (name,) in dest.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            if dest.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("the copy does not pass quick_check")
            for table in tables:
                query = f'SELECT count(*) FROM "{table}"'
                if dest.execute(query).fetchone() != source.execute(query).fetchone():
                    raise sqlite3.DatabaseError(f"the copy of {table} differs")
        finally:
            dest.close()
    finally:
        source.close()  # ends the read transaction


def _disk_full(error: BaseException) -> bool:
    import errno

    return (getattr(error, "errno", None) == errno.ENOSPC
            or (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_FULL
            or "disk is full" in str(error))


def open_private(path: str | os.PathLike):
    """A file opened for writing (emptied) that only its owner may read (0600), also when it
    existed with a looser mode: exports and reports hold health data."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "wb")


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal")]


def _tighten(paths: list[Path]) -> None:
    """Remove group and other permissions from those of ``paths`` that exist; say so in the log."""
    tightened = []
    for path in paths:
        try:
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                path.chmod(mode & 0o700)
                tightened.append(path)
        except FileNotFoundError:
            continue
        except OSError as error:
            log.warning("could not make %s owner-only: %s", path, error)
    if tightened:
        log.warning("made owner-only (others could read them): %s",
                    ", ".join(str(p) for p in tightened))


def _backup_names(path: Path) -> re.Pattern:
    """The names ``backup()`` gives copies of ``path``: ``<stem>.<suffix>-<stamp><ext>``."""
    return re.compile(rf"{re.escape(path.stem)}\.(?P<suffix>.+)-(?P<stamp>\d{{8}}-\d{{6}}-\d{{6}})"
                      rf"{re.escape(path.suffix)}")


def _backups_of(path: Path) -> list[Path]:
    """Backups beside the store ``path``, of any kind."""
    names = _backup_names(path)
    return [p for p in path.parent.iterdir() if names.fullmatch(p.name)]


def _backup_kind(suffix: str) -> str:
    """Backups before upgrades to different versions are one kind; other suffixes name their own."""
    return "before-v" if re.fullmatch(r"before-v\d+", suffix) else suffix


def _prune_backups(path: Path, suffix: str) -> None:
    """Delete all but the newest ``BACKUPS_KEPT`` backups of ``path`` of the kind of ``suffix``."""
    names, same_kind = _backup_names(path), []
    for backup in _backups_of(path):
        found = names.fullmatch(backup.name)
        if _backup_kind(found["suffix"]) == _backup_kind(suffix):
            same_kind.append((found["stamp"], backup))
    for _stamp, old in sorted(same_kind)[:-BACKUPS_KEPT]:
        for file in (old, *_sidecars(old)):
            file.unlink(missing_ok=True)


def _holds_records(conn: sa.Connection) -> bool:
    """Whether any record is stored (EXISTS: stops at the first row of a large table)."""
    return any(conn.execute(sa.select(sa.exists().select_from(t))).scalar()
               for t in (daily_checkins, sessions, doses))


def _journal_mode(conn: sa.Connection) -> str:
    return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()


def _lock_schema(conn: sa.Connection) -> None:
    """Hold, until the transaction ends, the lock under which the schema is created or migrated.

    SQLite: ``BEGIN IMMEDIATE`` already holds the database's write lock.  PostgreSQL:
    a transaction-level advisory lock, released by commit or rollback.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})


def _stored_version(conn: sa.Connection) -> int | None:
    """The schema version of the database, None when it has no tables yet."""
    return _read_version(conn) if sa.inspect(conn).has_table("meta") else None


def _refuse_newer(url: str, version: int | None) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"{url} has schema version {version}; this program knows up to "
            f"{SCHEMA_VERSION}. Install a newer version of the dashboard."
        )


_writing = contextvars.ContextVar("fibro_store_writing", default=False)  # inside Store._write
_SQLITE_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)  # a lock not granted in time
# SQLSTATEs of a PostgreSQL server that did not answer: a connection exception (08...), shutting
# down, crashed or starting up (57P01-57P03), too many connections (53300), a lock or statement
# timeout (55P03, 57014).
_PG_NOT_ANSWERED = ("08", "57P", "53300", "55P03", "57014")
# libpq gives no SQLSTATE when a connection fails: refused, unreachable, timed out, or refused
# by the server (FATAL), which is a wrong name or role unless the server is busy or restarting.
_PG_BUSY_REFUSALS = ("the database system is", "too many clients", "connection slots are reserved")


def _server_connect_args(url: str) -> dict:
    """What a server store's driver is given besides the URL: for PostgreSQL (psycopg, or
    psycopg2: both pass it to libpq) a ``connect_timeout``, unless the URL sets one."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql" or "connect_timeout" in parsed.query:
        return {}
    return {"connect_timeout": PG_CONNECT_TIMEOUT_S}


def _did_not_answer(error: BaseException, is_disconnect: bool) -> bool:
    """Whether a driver's error means the database did not answer in time (then trying
    again later may work), rather than a fault of the store or of the statement."""
    if is_disconnect:
        return True
    if isinstance(error, sqlite3.Error):
        return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_BUSY
    state = getattr(error, "sqlstate", None)
    if state:
        return state.startswith(_PG_NOT_ANSWERED)
    text = str(error)
    return "FATAL:" not in text or any(words in text for words in _PG_BUSY_REFUSALS)


def _unavailable(context: sa.engine.ExceptionContext) -> StoreUnavailable | None:
    """Every store engine's ``handle_error`` hook: the one place where a database that does
    not answer becomes ``StoreUnavailable``, for reads and writes, connecting included.

    Inside ``Store._write`` every operational failure counts (the transaction is rolled
    back, so nothing of it was saved: ``NOT_SAVED``); elsewhere only those of
    ``_did_not_answer`` (``NOT_ANSWERED``); other errors, such as a SQLite file that is not
    a database, keep their own type.  The pool's pre-ping is left alone: it reconnects.
    """
    wrapped = context.sqlalchemy_exception
    if isinstance(wrapped, sa.exc.DataError) and not context.is_pre_ping:
        log.warning("the database refused a value: %s", type(context.original_exception).__name__)
        return ValueRefused()
    if context.is_pre_ping or not isinstance(wrapped, (sa.exc.OperationalError,
                                                       sa.exc.InterfaceError)):
        return None
    writing = _writing.get()
    error = context.original_exception
    if not (writing or _did_not_answer(error, context.is_disconnect)):
        return None
    where = (context.engine.url.render_as_string(hide_password=True)
             if context.engine is not None else "the database")
    log.warning("%s %s did not answer: %s", "a write to" if writing else "a read from", where,
                type(error).__name__)
    return StoreUnavailable(NOT_SAVED if writing else NOT_ANSWERED)


# Switching a rollback-journal file to WAL needs an exclusive lock, and SQLite answers
# "database is locked" at once, without waiting in its busy handler, when another
# process holds a lock it could deadlock with (several processes opening an old store at
# the same moment: 1 of 10 failed on CI).  So the switch is retried here for as long as
# any other wait; a file already in WAL (the mode is stored in the file) skips it.
WAL_SWITCH_WAIT_S = 60.0


def _sqlite_on_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=60000")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor) -> None:
    deadline = time.monotonic() + WAL_SWITCH_WAIT_S
    pause = 0.01
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def _sqlite_on_begin(conn: sa.Connection) -> None:
    writing = conn.get_execution_options().get("fibro_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _patient_id_in(conn: sa.Connection, name: str) -> int:
    """The id of patient ``name`` inside a write transaction, created when new."""
    name = _checked_patient_name(name)
    found = conn.execute(sa.select(patients.c.id).where(patients.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(
        patients.insert().values(name=name, created_at=dt.datetime.now())
    ).inserted_primary_key[0])


def _checked_patient_name(name) -> str:
    """``name`` stripped, or ``InvalidRecord`` naming the ``patient`` (empty, too long...)."""
    problem = patient_name_problem(name)
    if problem:
        raise InvalidRecord({"patient": problem})
    return name.strip()


def _read_version(conn: sa.Connection) -> int:
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value)


def _write_version(conn: sa.Connection, version: int) -> None:
    updated = conn.execute(
        meta.update().where(meta.c.key == "schema_version").values(value=str(version))
    ).rowcount
    if not updated:
        conn.execute(meta.insert().values(key="schema_version", value=str(version)))


def _blank_to_none(value):
    return None if value is None or (isinstance(value, float) and value != value) else value


@dataclass(frozen=True)
class _Kind:
    """How one record type maps onto its table: natural key, values, child rows."""

    name: str
    table: sa.Table
    keys: tuple[str, ...]
    values: Callable[[Record], dict]
    child: sa.Table | None = None
    child_fk: str = ""
    children: Callable[[Record], list[dict]] = lambda record: []

    def key(self, record: Record) -> tuple:
        return tuple(getattr(record, k).strip() if k == "name" else getattr(record, k)
                     for k in self.keys)

    def where_key(self, patient_id: int, key: tuple) -> list:
        return [self.table.c.patient_id == patient_id,
                *[self.table.c[k] == v for k, v in zip(self.keys, key)]]


def _daily_values(r: DailyCheckin) -> dict:
    values = {"notes": r.notes or "", **{f: _blank_to_none(getattr(r, f)) for f in DAILY_VALUE_FIELDS}}
    if values["nap_minutes"] is not None:
        values["nap_minutes"] = int(values["nap_minutes"])  # 30.0 from a CSV is stored as 30
    return values


def _session_values(r: MassageSession) -> dict:
    return {"duration_min": float(r.duration_min), "pressure": r.pressure,
            "technique": r.technique or "", "therapist": r.therapist or "",
            "pain_before": _blank_to_none(r.pain_before), "pain_after": _blank_to_none(r.pain_after),
            "notes": r.notes or ""}


def _dose_values(r: MedicationDose) -> dict:
    return {"drug_class": r.drug_class, "dose": _blank_to_none(r.dose), "unit": r.unit or "",
            "reason": r.reason or ""}


_KINDS: dict[type, _Kind] = {
    DailyCheckin: _Kind("daily", daily_checkins, ("date",), _daily_values, area_pain, "checkin_id",
                        lambda r: [{"area": a, "pain": float(v)} for a, v in r.area_pain.items()
                                   if _blank_to_none(v) is not None]),
    MassageSession: _Kind("sessions", sessions, ("start",), _session_values, session_areas,
                          "session_id", lambda r: [{"area": a} for a in sorted(set(r.areas))]),
    MedicationDose: _Kind("doses", doses, ("time", "name"), _dose_values),
}


def _stored_rows(conn: sa.Connection, patient_id: int, kind: _Kind, keys: list[tuple]) -> dict:
    """The patient's stored rows for ``keys``: key -> (row, sorted child rows); 500 keys a query."""
    found: dict[tuple, tuple] = {}
    firsts = sorted({k[0] for k in keys})
    for i in range(0, len(firsts), 500):
        rows = conn.execute(sa.select(kind.table).where(
            kind.table.c.patient_id == patient_id, kind.table.c[kind.keys[0]].in_(firsts[i:i + 500]))
        ).mappings().all()
        children: dict[int, list] = {row["id"]: [] for row in rows}
        if kind.child is not None and rows:
            for child in conn.execute(sa.select(kind.child).where(
                    kind.child.c[kind.child_fk].in_(list(children)))).mappings():
                children[child[kind.child_fk]].append(_child_key(kind, child))
        for row in rows:
            found[tuple(row[k] for k in kind.keys)] = (row, sorted(children[row["id"]]))
    return found


def _child_key(kind: _Kind, child) -> tuple:
    return tuple(sorted((k, v) for k, v in dict(child).items() if k != kind.child_fk))


def _differs(kind: _Kind, record: Record, stored: tuple) -> bool:
    row, children = stored
    return (any(row[k] != v for k, v in kind.values(record).items())
            or sorted(_child_key(kind, c) for c in kind.children(record)) != children)


COPY_FROM_ROWS = 200  # PostgreSQL: batches at least this long are written with COPY


def _insert(conn: sa.Connection, kind: _Kind, patient_id: int, records: list[Record],
            source: str) -> None:
    """Insert new records and their child rows with one multi-row statement each.

    A long batch on PostgreSQL takes its ids from the table's sequence in one query and
    is written with COPY, many times faster than row-by-row executemany there.
    """
    rows = [{"patient_id": patient_id, "source": source, **dict(zip(kind.keys, kind.key(r))),
             **kind.values(r)} for r in records]
    copying = conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS
    if copying:
        ids = _next_ids(conn, kind.table, len(rows))
        _copy(conn, kind.table, [{"id": i, **row} for i, row in zip(ids, rows)])
    elif kind.child is None:
        conn.execute(kind.table.insert(), rows)
        return
    else:
        ids = conn.execute(kind.table.insert().returning(kind.table.c.id,
                                                         sort_by_parameter_order=True),
                           rows).scalars().all()
    if kind.child is None:
        return
    children = [{kind.child_fk: i, **child} for i, r in zip(ids, records) for child in kind.children(r)]
    if children and copying:
        _copy(conn, kind.child, children)
    elif children:
        conn.execute(kind.child.insert(), children)


def _next_ids(conn: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """``count`` new ids from the PostgreSQL sequence behind ``table.id``, in order."""
    return conn.execute(sa.text(
        "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": count}).scalars().all()


def _copy(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Write ``rows`` (all with the same keys) with PostgreSQL's COPY, in this transaction."""
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _update(conn: sa.Connection, kind: _Kind, patient_id: int, record: Record) -> None:
    """Overwrite the stored record that has the same key as ``record``, and its child rows."""
    record_id = conn.execute(sa.select(kind.table.c.id).where(
        *kind.where_key(patient_id, kind.key(record)))).scalar_one()
    conn.execute(kind.table.update().where(kind.table.c.id == record_id).values(**kind.values(record)))
    if kind.child is not None:
        conn.execute(kind.child.delete().where(kind.child.c[kind.child_fk] == record_id))
        children = kind.children(record)
        if children:
            conn.execute(kind.child.insert(), [{kind.child_fk: record_id, **c} for c in children])


def _save_records(conn: sa.Connection, patient_id: int, records: list[Record],
                  source: str) -> list[tuple[str, str]]:
    """Save records with the outcomes of saving them one by one, in bulk where it can.

    New keys are inserted together; a record whose key is stored is compared with
    the stored row (read in bulk) and overwritten only when it differs.  A key
    repeated within the batch: the last record wins, as if saved one by one.
    """
    outcomes: list[tuple[str, str]] = []
    for record_type, kind in _KINDS.items():
        batch = [r for r in records if type(r) is record_type]
        if not batch:
            continue
        stored = _stored_rows(conn, patient_id, kind, [kind.key(r) for r in batch])
        fresh, later = {}, []
        for record in batch:
            key = kind.key(record)
            if key in stored or key in fresh:
                later.append(record)
            else:
                fresh[key] = record
        if fresh:
            _insert(conn, kind, patient_id, list(fresh.values()), source)
            outcomes += [(kind.name, "created")] * len(fresh)
        for record in later:
            key = kind.key(record)
            previous = stored.get(key) or (None if key not in fresh else _stored_rows(
                conn, patient_id, kind, [key])[key])
            if not _differs(kind, record, previous):
                outcomes.append((kind.name, "unchanged"))
                continue
            _update(conn, kind, patient_id, record)
            stored.pop(key, None)
            fresh[key] = record  # from now on compare with what is stored after this write
            outcomes.append((kind.name, "updated"))
    return outcomes


_TABLES = {"daily": daily_checkins, "sessions": sessions, "doses": doses}
_DATED = {"daily": daily_checkins.c.date, "sessions": sessions.c.start, "doses": doses.c.time}


def _readable(column: sa.Column):
    """The SQL condition of a date or time inside the limits (``records.DATE_MIN`` to
    ``records.latest_date()``): pandas, the analyses and the plots can use such a row."""
    first, last = limits.DATE_MIN, limits.latest_date()
    if isinstance(column.type, sa.DateTime):
        after = dt.datetime.combine(last + dt.timedelta(days=1), dt.time())
        return sa.and_(column >= dt.datetime.combine(first, dt.time()), column < after)
    return sa.and_(column >= first, column <= last)


def _bump_revision(conn: sa.Connection, patient_id: int) -> None:
    conn.execute(patients.update().where(patients.c.id == patient_id)
                 .values(revision=patients.c.revision + 1))


def _patient_of(conn: sa.Connection, kind: str, record_id: int) -> int:
    table = _TABLES[kind]
    found = conn.execute(sa.select(table.c.patient_id).where(table.c.id == int(record_id))).scalar()
    if found is None:
        raise NotFound(f"no {kind} record with id {record_id}")
    return int(found)


def _find_id(conn: sa.Connection, patient_id: int, record: Record) -> int | None:
    """The id of the stored record with the same natural key as ``record``."""
    kind = _KINDS[type(record)]
    return conn.execute(sa.select(kind.table.c.id).where(
        *kind.where_key(patient_id, kind.key(record)))).scalar()


def _duplicate_message(record: Record) -> tuple[str, str]:
    if isinstance(record, DailyCheckin):
        return f"there is already a check-in for {record.date:%Y-%m-%d}", "date"
    if isinstance(record, MassageSession):
        return f"there is already a session at {record.start:%Y-%m-%d %H:%M}", "start"
    return f"there is already a dose of {record.name} at {record.time:%Y-%m-%d %H:%M}", "time"


def _load_record(conn: sa.Connection, kind: str, record_id: int) -> Record:
    table = _TABLES[kind]
    row = conn.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()
    if row is None:
        raise NotFound(f"no {kind} record with id {record_id}")
    if kind == "daily":
        areas = dict(conn.execute(sa.select(area_pain.c.area, area_pain.c.pain)
                                  .where(area_pain.c.checkin_id == record_id)).fetchall())
        return DailyCheckin(date=row["date"], notes=row["notes"], area_pain=areas,
                            **{f: row[f] for f in DAILY_VALUE_FIELDS})
    if kind == "sessions":
        linked = set(conn.execute(sa.select(session_areas.c.area)
                                  .where(session_areas.c.session_id == record_id)).scalars())
        return MassageSession(
            start=row["start"], duration_min=row["duration_min"], pressure=row["pressure"],
            areas=tuple(a for a in domain.BODY_AREAS if a in linked), technique=row["technique"],
            therapist=row["therapist"], pain_before=row["pain_before"],
            pain_after=row["pain_after"], notes=row["notes"])
    return MedicationDose(time=row["time"], name=row["name"], drug_class=row["drug_class"],
                          dose=row["dose"], unit=row["unit"], reason=row["reason"])
