"""The tables, the schema version and the migrations that bring an older store forward.

Schema versions: a new database is created at ``SCHEMA_VERSION``; an older one
is backed up (SQLite) and brought forward by the functions in ``MIGRATIONS``,
under the write lock so that processes opening it at once migrate it once
(``Store._upgrade``).  Every record row carries ``patient_id`` and every read by
patient and date has an index (v6).
"""

from __future__ import annotations

import sqlalchemy as sa

from .. import domain
from .. import records as limits
from .errors import SchemaTooNew

SCHEMA_VERSION = 8
_SCHEMA_LOCK_KEY = 0x46_49_42_52_4F  # "FIBRO": the PostgreSQL advisory lock held while migrating

metadata = sa.MetaData()


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _text(name: str, length: int | None = None) -> sa.Column:
    """Text a person may leave out: '' rather than NULL."""
    return sa.Column(name, sa.Text if length is None else sa.String(length), nullable=False,
                     server_default="")


def _source() -> sa.Column:
    """The import a diary row came from ('' when it was logged by hand)."""
    return _text("source", 40)


meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

patients = sa.Table(
    "patients", metadata,
    _id(),
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
    _id(),
    _patient_fk(),
    sa.Column("date", sa.Date, nullable=False),
    _rating("pain"),
    sa.Column("sleep_hours", sa.Float, nullable=True),
    sa.Column("nap_minutes", sa.Integer, nullable=True),
    *[_rating(name) for name in domain.DAILY_RATINGS if name != "pain"],
    _text("notes"),
    _source(),
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
    _id(),
    _patient_fk(),
    sa.Column("start", sa.DateTime, nullable=False),
    sa.Column("duration_min", sa.Float, nullable=False),
    sa.Column("pressure", sa.String(20), nullable=False),
    _text("technique", limits.TEXT_MAX["technique"]),
    _text("therapist", limits.TEXT_MAX["therapist"]),
    _rating("pain_before"),
    _rating("pain_after"),
    _text("notes"),
    _source(),
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
    _id(),
    _patient_fk(),
    sa.Column("time", sa.DateTime, nullable=False),
    sa.Column("name", sa.String(limits.TEXT_MAX["name"]), nullable=False),
    sa.Column("drug_class", sa.String(40), nullable=False),
    sa.Column("dose", sa.Float, nullable=True),
    _text("unit", limits.TEXT_MAX["unit"]),
    _text("reason"),
    _source(),
    sa.UniqueConstraint("patient_id", "time", "name", name="uq_dose_patient_time_name"),
)

assessments = sa.Table(
    "assessments", metadata,
    _id(),
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
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),  # patient, therapist, admin
    sa.Column("password_hash", sa.String(200), nullable=False),  # Argon2id, never the password
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="SET NULL"),
              nullable=True),  # a patient user's own diary
    sa.Column("created_at", sa.DateTime, nullable=False),
)

grants = sa.Table(
    "grants", metadata,
    _id(),
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
    _id(),
    _patient_fk(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256, hex
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)

signins = sa.Table(  # server-side sessions behind the signed cookie
    "signins", metadata,
    _id(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("links.id", ondelete="CASCADE"), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime, nullable=True),
)

access_log = sa.Table(
    "access_log", metadata,
    _id(),
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
    _id(),
    _patient_fk(),
    sa.Column("created_at", sa.DateTime, nullable=False),
    _text("created_by", 100),
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
KINDS = ("daily", "sessions", "doses")
DAILY_VALUE_FIELDS = ("sleep_hours", "nap_minutes", *domain.DAILY_RATINGS)  # the numbers of a check-in


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


def _read_version(conn: sa.Connection) -> int:
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value)


def _write_version(conn: sa.Connection, version: int) -> None:
    updated = conn.execute(
        meta.update().where(meta.c.key == "schema_version").values(value=str(version))
    ).rowcount
    if not updated:
        conn.execute(meta.insert().values(key="schema_version", value=str(version)))
