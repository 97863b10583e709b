"""Files with health data: owner-only modes, and checked backups of a SQLite store.

A SQLite store holds health data, so its folder (when the store creates it), the
file, its ``-wal``/``-shm`` and its backups are owner-only; looser modes found on
open are tightened.  Backups are made only when a write changes something and
the last ``BACKUPS_KEPT`` of each kind are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import sqlite3
from pathlib import Path

from .errors import BackupFailed

BACKUPS_KEPT = 5  # of each kind: before an import, before a schema upgrade

log = logging.getLogger(__name__)


def backup_copy(path: Path, suffix: str) -> Path:
    """Copy the SQLite store ``path`` beside itself, owner-only, as
    ``name.<suffix>-<time>.sqlite``, checked; then keep only the newest ``BACKUPS_KEPT``
    backups of the same kind.  ``BackupFailed`` (and no partial file) when it cannot."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = path.with_name(f"{path.stem}.{suffix}-{stamp}{path.suffix}")
    _create_private(target)
    try:
        _copy_checked(path, target)
    except (sqlite3.Error, OSError) as error:
        with contextlib.suppress(OSError):
            target.unlink()  # a 0-byte or partial file must not look like a backup
        reason = "the disk is full" if _disk_full(error) else type(error).__name__
        log.warning("Backup %s failed (%s); removed", target.name, reason)
        raise BackupFailed(
            f"Could not back up the store before changing it ({reason}): nothing was "
            f"changed. Free some space beside {path} and try again.") from None
    _prune_backups(path, suffix)
    return target


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
