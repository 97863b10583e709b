"""The ``Store`` front: every read and write of one database, each call one transaction.

Readers get pandas DataFrames; writers hand in ``records``.  The SQL of the diary,
of hosted mode's accounts and of n-of-1 trials is here; how rows are compared and
written in bulk is in ``rows``, the tables in ``schema``, connecting and its errors
in ``engine``, file modes and backups in ``files``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from .. import domain
from .. import records as limits
from ..records import InvalidRecord, Record, check
from .engine import _as_url, _journal_mode, create_engine, write_transaction
from .errors import DuplicateEntry, NotFound
from .files import _backups_of, _create_private, _sidecars, _tighten, backup_copy
from .rows import (_KINDS, _TABLES, _bump_revision, _checked_patient_name, _duplicate_message,
                   _find_id, _holds_records, _insert, _load_record, _patient_id_in, _patient_of,
                   _save_records)
from .schema import (INSTRUMENTS, MIGRATIONS, SCHEMA_VERSION, TRIAL_FIELDS, _lock_schema,
                     _read_version, _refuse_newer, _stored_version, access_log, area_pain,
                     assessments, daily_checkins, doses, grants, links, metadata, patients,
                     session_areas, sessions, signins, trial_sessions, trials, users,
                     _write_version)

_DATED = {"daily": daily_checkins.c.date, "sessions": sessions.c.start, "doses": doses.c.time}


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


class Store:
    """All reads and writes of one database (a SQLite file or a server URL)."""

    def __init__(self, location: str | os.PathLike):
        self.url = _as_url(location)
        self.is_sqlite = self.url.startswith("sqlite")
        self.path = Path(sa.engine.make_url(self.url).database) if self.is_sqlite else None
        if self.is_sqlite:
            _create_private(self.path)
            _tighten([self.path, *_sidecars(self.path), *_backups_of(self.path)])
        self.engine = create_engine(self.url)
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
        return backup_copy(self.path, suffix)

    @contextlib.contextmanager
    def _write(self):
        """One write transaction, writers of all processes taking turns
        (``engine.write_transaction``)."""
        with write_transaction(self.engine) as conn:
            yield conn

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


def _readable(column: sa.Column):
    """The SQL condition of a date or time inside the limits (``records.DATE_MIN`` to
    ``records.latest_date()``): pandas, the analyses and the plots can use such a row."""
    first, last = limits.DATE_MIN, limits.latest_date()
    if isinstance(column.type, sa.DateTime):
        after = dt.datetime.combine(last + dt.timedelta(days=1), dt.time())
        return sa.and_(column >= dt.datetime.combine(first, dt.time()), column < after)
    return sa.and_(column >= first, column <= last)
