"""What the store raises: the messages a person sees when the database does not answer or
refuses, and the errors of records, backups and schema versions.

Every other store module and every caller imports them from here (or from
``dashboard.store``), so none of them needs the engine to name an error.
"""

from __future__ import annotations


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
    pool.  Raised for every store by ``engine._unavailable``, the engines' error hook.
    """

    def __init__(self, message: str = NOT_SAVED):
        super().__init__(message)
