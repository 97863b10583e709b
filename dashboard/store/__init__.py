"""The store: the only code that speaks SQL, behind one ``Store`` front.

SQLAlchemy 2 Core on SQLite by default, the same tables on PostgreSQL.  One job a module:

- ``schema``: the tables, ``SCHEMA_VERSION`` and the ``MIGRATIONS`` that bring an older
  store forward;
- ``engine``: connecting (SQLite pragmas, the PostgreSQL pool), write transactions that
  take turns, and which driver errors become ``StoreUnavailable``;
- ``errors``: what the store raises, with the messages a person sees;
- ``files``: owner-only files and checked backups;
- ``rows``: records to rows and back, the bulk save;
- ``queries``: ``Store``, every read and write, each call one transaction.

Callers import from here: ``from dashboard.store import Store, StoreUnavailable``.
"""

from .engine import (PG_CONNECT_TIMEOUT_S, POOL_OVERFLOW, POOL_RECYCLE_S, POOL_SIZE,
                     WAL_SWITCH_WAIT_S, default_db_path, store_url)
from .errors import (NOT_ANSWERED, NOT_SAVED, VALUE_REFUSED, BackupFailed, DuplicateEntry,
                     NotFound, SchemaTooNew, StoreUnavailable, ValueRefused)
from .files import BACKUPS_KEPT, open_private
from .queries import SaveResult, Store
from .rows import COPY_FROM_ROWS
from .schema import (ACCOUNT_TABLES, DAILY_VALUE_FIELDS, INSTRUMENTS, KINDS, MIGRATIONS,
                     SCHEMA_VERSION, TRIAL_FIELDS, TRIAL_TABLES, access_log, area_pain,
                     assessments, daily_checkins, doses, grants, links, meta, metadata,
                     patients, session_areas, sessions, signins, trial_sessions, trials, users)

__all__ = [
    "ACCOUNT_TABLES", "BACKUPS_KEPT", "COPY_FROM_ROWS", "DAILY_VALUE_FIELDS", "INSTRUMENTS",
    "KINDS", "MIGRATIONS", "NOT_ANSWERED", "NOT_SAVED", "PG_CONNECT_TIMEOUT_S", "POOL_OVERFLOW",
    "POOL_RECYCLE_S", "POOL_SIZE", "SCHEMA_VERSION", "TRIAL_FIELDS", "TRIAL_TABLES",
    "VALUE_REFUSED", "WAL_SWITCH_WAIT_S", "BackupFailed", "DuplicateEntry", "NotFound",
    "SaveResult", "SchemaTooNew", "Store", "StoreUnavailable", "ValueRefused", "access_log",
    "area_pain", "assessments", "daily_checkins", "default_db_path", "doses", "grants",
    "links", "meta", "metadata", "open_private", "patients", "session_areas", "sessions",
    "signins", "store_url", "trial_sessions", "trials", "users",
]
