"""``fibro export`` and the dashboard's download write the same files, and one diary exports
the same from SQLite and from PostgreSQL (no "-0" where the other writes "0")."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.demo import write_demo
from dashboard.importers.template import FILES
from dashboard.records import DailyCheckin, MassageSession
from dashboard.store import Store
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore
from dashboard.ui.export import diary_zip

END = dt.date(2026, 6, 30)
# Negative zeros, as arithmetic makes them (round(-0.3) is -0.0): PostgreSQL keeps them,
# SQLite stores 0.
NEGATIVE_ZEROS = [
    DailyCheckin(date=END + dt.timedelta(days=1), pain=-0.0, headache=-0.0, sleep_hours=7.0),
    MassageSession(start=dt.datetime.combine(END + dt.timedelta(days=1), dt.time(10)),
                   duration_min=45, pressure="light", areas=("neck",), pain_before=3,
                   pain_after=-0.0)]


def write_diary(db) -> None:
    """The 120-day demo diary (seed 7) and a day with negative zeros."""
    store = Store(db)
    write_demo(store, days=120, seed=7, end=END)
    store.save(int(store.patients()["id"].iloc[0]), NEGATIVE_ZEROS)
    store.close()


def exported(db, out) -> dict[str, bytes]:
    result = CliRunner().invoke(main, ["export", "--db", str(db), "--out", str(out)],
                                env={"FIBRO_DB": None})
    assert result.exit_code == 0, result.output
    return {name: (out / name).read_bytes() for name in FILES.values()}


@pytest.fixture(scope="module")
def sqlite_export(tmp_path_factory):
    """The diary written to SQLite and exported by the CLI."""
    folder = tmp_path_factory.mktemp("sqlite")
    write_diary(folder / "demo.sqlite")
    return exported(folder / "demo.sqlite", folder / "out")


@pytest.mark.both_engines
def test_one_diary_exports_the_same_from_either_engine(db_url, tmp_path, sqlite_export):
    write_diary(db_url)
    files = exported(db_url, tmp_path / "out")
    assert files == sqlite_export
    cells = [cell for text in files.values() for line in text.decode().splitlines()
             for cell in line.split(",")]
    assert "-0" not in cells and "0" in cells


@pytest.mark.both_engines
def test_the_dashboard_s_download_holds_the_cli_s_files(db_url, tmp_path, sqlite_export):
    write_diary(db_url)
    store = Store(db_url)
    data = DataStore(DiarySession(store))
    with zipfile.ZipFile(io.BytesIO(diary_zip(data))) as archive:
        assert sorted(archive.namelist()) == sorted(FILES.values())
        files = {name: archive.read(name) for name in archive.namelist()}
    store.close()
    assert files == exported(db_url, tmp_path / "out") == sqlite_export
