"""Files that hold health data under fault (issue 23): a backup that cannot be written whole
is removed with a clear message and the import does not happen; exports and reports are
owner-only; a very long name does not stop the PDF."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dashboard import demo
from dashboard.cli import main
from dashboard.store import Store
from dashboard.store import files as store_files

END = dt.date(2026, 11, 20)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def diary(tmp_path):
    db = tmp_path / "fibro.sqlite"
    store = Store(db)
    demo.write_demo(store, days=30, seed=4, end=END)
    yield store, db
    store.close()


def medications_folder(folder):
    folder.mkdir()
    (folder / "medications.csv").write_text(
        "time,name,drug_class,dose,unit,reason\n2026-11-10T08:00,Ibuprofen,nsaid,400,mg,\n")
    return folder


def test_a_full_disk_during_the_pre_import_backup(diary, tmp_path, monkeypatch):
    """The copy fails half-way (ENOSPC): no 0-byte 'backup' is left, nothing is imported,
    and the message says so in one line."""
    store, db = diary
    plain_copy = store_files._copy_checked

    def disk_full(source, target):
        target.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)  # what was written so far
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store_files, "_copy_checked", disk_full)
    before = len(store.doses(1))
    result = CliRunner().invoke(main, ["import", "csv", str(medications_folder(tmp_path / "in")),
                                       "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "the disk is full" in result.output and "nothing was changed" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.glob("fibro.before-import-*.sqlite")) == []
    assert len(store.doses(1)) == before

    monkeypatch.setattr(store_files, "_copy_checked", plain_copy)  # space again: it works
    result = CliRunner().invoke(main, ["import", "csv", str(tmp_path / "in"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    (backup,) = tmp_path.glob("fibro.before-import-*.sqlite")
    assert mode(backup) == 0o600
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT count(*) FROM doses").fetchone() == (before,)
    copy.close()
    assert len(store.doses(1)) == before + 1


def test_exports_and_reports_are_owner_only(diary, tmp_path):
    _store, db = diary
    out = tmp_path / "out"
    out.mkdir()
    (out / "daily.csv").write_text("old")
    os.chmod(out / "daily.csv", 0o644)  # an earlier export, written before this rule
    runner = CliRunner()
    assert runner.invoke(main, ["export", "--db", str(db), "--out", str(out)]).exit_code == 0
    for name in ("daily.csv", "sessions.csv", "medications.csv"):
        assert mode(out / name) == 0o600, name
    pdf = tmp_path / "report.pdf"
    assert runner.invoke(main, ["report", "--db", str(db), "--out", str(pdf)]).exit_code == 0
    assert mode(pdf) == 0o600 and pdf.read_bytes().startswith(b"%PDF")


def test_a_20000_character_therapist_name_does_not_stop_the_pdf(diary, tmp_path):
    store, db = diary
    with store.engine.begin() as conn:  # written before the limits (200 characters)
        conn.execute(sa.text("UPDATE sessions SET therapist = :t"), {"t": "T" * 20_000})
    pdf = tmp_path / "long.pdf"
    result = CliRunner().invoke(main, ["report", "--db", str(db), "--out", str(pdf)])
    assert result.exit_code == 0, result.output
    assert pdf.stat().st_size > 1000
    from dashboard.report.pdf import CELL_CHARS, cut

    assert cut("T" * 20_000) == "T" * (CELL_CHARS - 1) + "…"
