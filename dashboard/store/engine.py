"""Engines and the errors they raise: how a store connects, how writers take turns, and
which driver errors mean "the database did not answer".

SQLite (the default): WAL, foreign keys, ``BEGIN IMMEDIATE`` for writes so parallel
writers queue instead of failing.  PostgreSQL (``postgresql+psycopg://`` URLs, tested
like SQLite): writers queue on a transaction-level advisory lock for the same reason
and each process keeps a small, pre-pinged connection pool.  One ``handle_error`` hook,
``_unavailable``, turns a database that does not answer into ``StoreUnavailable``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa

from .errors import NOT_ANSWERED, NOT_SAVED, StoreUnavailable, ValueRefused

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


def create_engine(url: str) -> sa.Engine:
    """The engine of a store's URL, with the SQLite pragmas and write transactions or the
    PostgreSQL pool, and ``_unavailable`` as its error hook."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 60})
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE,
                                  max_overflow=POOL_OVERFLOW, pool_recycle=POOL_RECYCLE_S,
                                  connect_args=_server_connect_args(url))
    sa.event.listen(engine, "handle_error", _unavailable)
    return engine


@contextlib.contextmanager
def write_transaction(engine: sa.Engine):
    """One write transaction: ``BEGIN IMMEDIATE`` on SQLite, the write lock on PostgreSQL.

    Either way writers of all processes take turns, so a save's read-compare-write
    (``rows._save_records``) never races another save of the same keys.  A database
    failure inside it (connecting included) is ``StoreUnavailable(NOT_SAVED)``: see
    ``_unavailable``.
    """
    writing = _writing.set(True)
    try:
        with engine.connect().execution_options(fibro_write=True) as conn:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": _WRITE_LOCK_KEY})
                yield conn
    finally:
        _writing.reset(writing)


def _journal_mode(conn: sa.Connection) -> str:
    return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()


_writing = contextvars.ContextVar("fibro_store_writing", default=False)  # inside write_transaction
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

    Inside ``write_transaction`` every operational failure counts (the transaction is
    rolled back, so nothing of it was saved: ``NOT_SAVED``); elsewhere only those of
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
