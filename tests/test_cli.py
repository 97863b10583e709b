"""The ``fibro`` command in-process (click's runner) on a real store: a SQLite file and a
PostgreSQL database, given to ``--db`` or ``$FIBRO_DB`` as a person would."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from dashboard import domain
from dashboard.cli import main
from dashboard.store import Store
from tests.helpers import fibro

pytestmark = pytest.mark.both_engines


def header(path):
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def test_demo_then_export_writes_the_template_columns(tmp_path, db_url):
    db = db_url
    out = fibro("demo", "--db", str(db), "--days", "60", "--seed", "5")
    assert "Demo patient" in out.stdout
    fibro("export", "--db", str(db), "--out", str(tmp_path / "out"))
    assert header(tmp_path / "out" / "daily.csv")[:11] == list(domain.DAILY_COLUMNS)
    assert header(tmp_path / "out" / "daily.csv")[11] == domain.NAP_MINUTES_COLUMN
    assert all(c.startswith("pain_") for c in header(tmp_path / "out" / "daily.csv")[12:])
    assert header(tmp_path / "out" / "sessions.csv") == list(domain.SESSION_COLUMNS)
    assert header(tmp_path / "out" / "medications.csv") == list(domain.MEDICATION_COLUMNS)
    with open(tmp_path / "out" / "sessions.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["pressure"] in domain.PRESSURES for r in rows)
    assert len(rows[0]["start"]) == len("2026-03-02T17:30")


def test_demo_is_reproducible_and_the_default_is_at_least_a_year(db_url):
    for name in ("a", "b"):
        fibro("demo", "--db", db_url, "--seed", "9", "--patient", name)
    store = Store(db_url)
    a, b = store.sessions(1), store.sessions(2)
    assert len(a) and a.drop(columns=["id", "patient_id"]).equals(
        b.drop(columns=["id", "patient_id"]).set_axis(a.index))
    days = store.daily(1)["date"]
    assert (days.max() - days.min()).days >= 365
    store.close()


def test_the_store_comes_from_fibro_db_when_no_option_is_given(db_url):
    fibro("demo", "--days", "10", env={"FIBRO_DB": db_url})
    assert not Store(db_url).is_empty()


def test_export_with_several_patients_adds_a_patient_column(tmp_path, db_url):
    db = db_url
    fibro("demo", "--db", str(db), "--days", "10", "--patient", "Ann")
    fibro("demo", "--db", str(db), "--days", "10", "--patient", "Ben", "--seed", "2")
    fibro("export", "--db", str(db), "--out", str(tmp_path / "all"))
    assert header(tmp_path / "all" / "sessions.csv") == ["patient", *domain.SESSION_COLUMNS]
    fibro("export", "--db", str(db), "--out", str(tmp_path / "ann"), "--patient", "Ann")
    assert header(tmp_path / "ann" / "sessions.csv") == list(domain.SESSION_COLUMNS)


@pytest.mark.parametrize("args, message", [
    (["demo", "--days", "zero"], "'--days'"),
    (["demo", "--days", "0"], "'--days'"),
    (["export"], "Missing option '--out'"),
    (["export", "--out", "x", "--patient", "Nobody"], "no patient called 'Nobody'"),
    (["serve", "--port", "70000"], "'--port'"),
    (["frobnicate"], "No such command"),
])
def test_bad_options_get_a_clear_message_and_a_non_zero_exit(args, message, db_url):
    db = db_url
    if "--patient" in args:
        fibro("demo", "--db", str(db), "--days", "5")
    result = fibro(*args, "--db", str(db), check=False) if args[0] != "frobnicate" else \
        fibro(*args, check=False)
    assert result.returncode != 0
    assert message in result.stderr


def test_export_of_an_empty_store_says_so(tmp_path, db_url):
    result = fibro("export", "--db", db_url, "--out", str(tmp_path / "o"), check=False)
    assert result.returncode == 1 and "no diary yet" in result.stderr


def test_a_demo_clinic_has_different_patients_therapists_and_grants_and_is_written_once(db_url):
    from dashboard.accounts import Accounts

    args = ("demo", "--db", db_url, "--patients", "6", "--days", "90", "--therapists", "2",
            "--password-stdin")
    out = CliRunner().invoke(main, args, input="demo password\n", env={"FIBRO_DB": None})
    assert out.exit_code == 0, out.output
    assert "6 patients" in out.output and "therapists sam, alex" in out.output
    store = Store(db_url)
    patients = store.patients()
    assert len(patients) == 6
    favourites = {store.sessions(pid)["pressure"].mode()[0] for pid in patients["id"]}
    assert len(favourites) >= 2  # patients prefer different pressures
    grants = store.grants()
    assert sorted(grants.groupby("patient")["scope"].agg(sorted).map(tuple).unique()) == [
        ("log", "read")]  # their own therapist logs, the other one reads
    own = grants[grants["scope"] == "log"].set_index("patient")["therapist"]
    assert own.nunique() == 2
    accounts = Accounts(store)
    assert accounts.sign_in("sam", "demo password")
    again = CliRunner().invoke(main, args, input="demo password\n", env={"FIBRO_DB": None})
    assert "nothing new" in again.output and len(store.grants()) == len(grants)
    store.close()
