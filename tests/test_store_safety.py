"""Health data stays private and recoverable: owner-only files, one migration, few backups.

Real SQLite files in temporary folders; the migration race uses real processes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dashboard import domain
from dashboard.importers import import_into
from dashboard.records import MedicationDose
from dashboard.store import BACKUPS_KEPT, SCHEMA_VERSION, Store

REPO = Path(__file__).resolve().parents[1]
SCHEMA_V1 = Path(__file__).parent / "data" / "schema_v1.sql"
WRITERS = 10

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


@pytest.fixture
def usual_umask():
    """Run with umask 022, under which plain files come out 0644 and folders 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def dose(minute: int, name: str = "Paracetamol") -> MedicationDose:
    return MedicationDose(time=dt.datetime(2026, 3, 1, 8, 0) + dt.timedelta(minutes=minute),
                          name=name, drug_class="simple_analgesic", dose=500.0, unit="mg")


def version_1_store(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_V1.read_text())
    conn.close()
    return path


def medications_csv(path: Path, minutes: list[int]) -> Path:
    """A template medications.csv with one paracetamol dose at each of ``minutes`` past 8:00."""
    rows = [",".join(domain.MEDICATION_COLUMNS)]
    for minute in minutes:
        rows.append(f"{dose(minute).time:%Y-%m-%dT%H:%M},Paracetamol,simple_analgesic,500,mg,")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return path


# --- owner-only files --------------------------------------------------------------


def test_a_new_store_its_wal_and_shm_and_the_folders_it_creates_are_owner_only(tmp_path, usual_umask):
    db = tmp_path / "health" / "fibro" / "fibro.sqlite"
    store = Store(db)
    store.save(store.ensure_patient("me"), [dose(0)])
    try:
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()
        assert {p.name: oct(mode(p)) for p in (db, wal, shm)} == {
            p.name: "0o600" for p in (db, wal, shm)}
        assert oct(mode(tmp_path / "health")) == oct(mode(db.parent)) == "0o700"
    finally:
        store.close()


def test_migration_and_import_backups_are_owner_only(tmp_path, usual_umask):
    db = version_1_store(tmp_path / "fibro.sqlite")
    os.chmod(db, 0o644)
    store = Store(db)
    (migration_backup,) = tmp_path.glob(f"fibro.before-v{SCHEMA_VERSION}-*.sqlite")
    summary = import_into(store, "csv", medications_csv(tmp_path / "in" / "medications.csv", [5]))
    store.close()
    import_backup = Path(summary["backup"])
    assert "before-import" in import_backup.name
    assert oct(mode(migration_backup)) == oct(mode(import_backup)) == "0o600"


def test_an_existing_world_readable_store_is_made_owner_only_on_open_and_logged(tmp_path, caplog):
    db = tmp_path / "fibro.sqlite"
    store = Store(db)
    store.save(store.ensure_patient("Private Name"), [dose(0, name="Secret pill")])
    backup = store.backup(suffix="before-import")
    # keep the -wal and -shm: a reader holds the database open while it is reopened
    holder = sqlite3.connect(db)
    holder.execute("SELECT count(*) FROM doses").fetchone()
    store.close()
    loose = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), backup]
    for path in loose:
        os.chmod(path, 0o644)

    with caplog.at_level(logging.INFO, logger="dashboard.store"):
        reopened = Store(db)
    holder.close()
    try:
        assert {p.name: oct(mode(p)) for p in loose} == {p.name: "0o600" for p in loose}
        notes = "\n".join(r.getMessage() for r in caplog.records
                          if r.name.startswith("dashboard.store"))
        assert str(db) in notes and "owner-only" in notes
        assert "Private Name" not in notes and "Secret pill" not in notes
        assert reopened.doses(1)["name"].tolist() == ["Secret pill"]
    finally:
        reopened.close()


def test_an_owner_only_store_is_opened_without_a_note(tmp_path, caplog):
    Store(tmp_path / "fibro.sqlite").close()
    with caplog.at_level(logging.INFO, logger="dashboard.store"):
        Store(tmp_path / "fibro.sqlite").close()
    assert [r for r in caplog.records if r.name.startswith("dashboard.store")] == []


# --- one migration when many processes open an old store at once -------------------

WRITER = textwrap.dedent("""
    import datetime as dt, sys, time
    from pathlib import Path
    from dashboard.records import MedicationDose
    from dashboard.store import Store

    db, go, minute = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])  # a path or a URL
    print("ready", flush=True)
    while not go.exists():  # everyone opens the old store at the same moment
        time.sleep(0.01)
    store = Store(db)
    when = dt.datetime(2026, 3, 1, 8, 0) + dt.timedelta(minutes=minute)
    store.save(store.ensure_patient("me"), [MedicationDose(
        time=when, name="Paracetamol", drug_class="simple_analgesic", dose=500.0, unit="mg")])
    store.close()
    print("saved", minute)
""")


def open_at_once_and_save(db: str, folder: Path) -> None:
    """``WRITERS`` processes open the store ``db`` at the same moment and save one dose each;
    all succeed and every dose is stored, at the current schema version."""
    go = folder / "go"
    env = {k: v for k, v in os.environ.items() if k != "FIBRO_DB"}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(go), str(minute)],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for minute in range(WRITERS)]
    outcomes = []
    try:
        for proc in writers:  # all have imported pandas and SQLAlchemy before the start
            assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=60)
        go.touch()
        for proc in writers:
            out, err = proc.communicate(timeout=300)
            outcomes.append((proc.returncode, out.strip(), err.strip()[-500:]))
    finally:
        for proc in writers:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    failed = [o for o in outcomes if o[0] != 0]
    assert failed == [], failed
    store = Store(db)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        me = int(store.patients().set_index("name").loc["me", "id"])
        stored = store.doses(me)["time"].dt.to_pydatetime().tolist()
        assert sorted(stored) == sorted(dose(m).time for m in range(WRITERS))
    finally:
        store.close()


def test_processes_opening_a_version_1_store_at_once_migrate_it_once_and_all_save(tmp_path):
    db = version_1_store(tmp_path / "fibro.sqlite")
    open_at_once_and_save(str(db), tmp_path)
    backups = list(tmp_path.glob("fibro.before-v*.sqlite"))
    assert len(backups) == 1, backups
    assert sqlite3.connect(backups[0]).execute("SELECT value FROM meta").fetchone() == ("1",)


# --- backups only when something changes, and only the last few ---------------------


def test_importing_the_same_file_again_makes_no_new_backup(store, tmp_path):
    import_into(store, "csv", medications_csv(tmp_path / "a" / "medications.csv", [0]))
    changes = medications_csv(tmp_path / "b" / "medications.csv", [0, 1])
    first = import_into(store, "csv", changes)
    assert first["backup"] is not None
    again = import_into(store, "csv", changes)
    assert again["created"]["doses"] == again["updated"]["doses"] == 0
    assert again["backup"] is None
    assert [p.name for p in tmp_path.glob("diary.before-import-*.sqlite")] == [
        Path(first["backup"]).name]


def test_seven_changing_imports_keep_the_five_newest_import_backups(tmp_path):
    db = version_1_store(tmp_path / "fibro.sqlite")
    store = Store(db)
    (migration_backup,) = tmp_path.glob("fibro.before-v*.sqlite")
    made, doses_before = [], []
    for count in range(1, 8):  # the version-1 store holds records, so each import backs up
        with contextlib.closing(sqlite3.connect(db)) as conn:
            doses_before.append(conn.execute("SELECT count(*) FROM doses").fetchone()[0])
        summary = import_into(store, "csv", medications_csv(
            tmp_path / str(count) / "medications.csv", list(range(count))))
        assert summary["created"]["doses"] == 1
        made.append(Path(summary["backup"]))
    store.close()
    kept = sorted(tmp_path.glob("fibro.before-import-*.sqlite"))
    assert kept == sorted(made[-BACKUPS_KEPT:]) and len(kept) == BACKUPS_KEPT == 5
    assert migration_backup.exists(), "pruning import backups leaves migration backups alone"
    newest = sqlite3.connect(made[-1])  # the store as it was just before the last import
    assert newest.execute("SELECT count(*) FROM doses").fetchone() == (doses_before[-1],)
    newest.close()
