"""One set of limits for every field (``records``), the same refusal on SQLite and PostgreSQL,
and a store that already holds an entry outside them: it opens, shows the rest and names it.

The attacks as they were made (issue 23): ``fibro log session --start 0001-01-01T10:00``; a
300-character medicine name (a ``DataError`` with SQL and diary rows on PostgreSQL); a year-1
session written straight into the database, after which export, report, effects, overuse,
the patient's page and a therapist's list all failed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from dashboard import demo, records
from dashboard.accounts import Accounts
from dashboard.cli import main
from dashboard.records import DATE_MIN, InvalidRecord, MassageSession, MedicationDose
from dashboard.session import DiarySession
from dashboard.store import Store, ValueRefused
from tests.helpers import insert_year_one_session

pytestmark = pytest.mark.both_engines

END = dt.date(2026, 11, 20)
PASSWORD = "a long test password"


def fibro(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def refused(result, *words: str) -> str:
    """The one-line error of a refused command; no traceback, SQL or diary row in it."""
    assert result.exit_code != 0, result.output
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    for word in words:
        assert word in text, text
    for leak in ("Traceback", "INSERT", "SELECT", "DataError", "psycopg", "[parameters"):
        assert leak not in text, text
    return text


@pytest.fixture
def diary(store):
    """A 40-day demo diary: (store, patient id)."""
    demo.write_demo(store, days=40, seed=5, end=END)
    return store, int(store.patients()["id"].iloc[0])


def counts(store: Store, pid: int) -> tuple[int, int, int]:
    return len(store.daily(pid)), len(store.sessions(pid)), len(store.doses(pid))


# --- refusals at every entry point ---------------------------------------------------------

def test_the_year_1_session_of_the_issue_is_refused(diary, db_url):
    store, pid = diary
    before = counts(store, pid)
    result = fibro("log", "session", "--db", db_url, "--start", "0001-01-01T10:00",
                   "--duration", "60", "--pressure", "deep", "--areas", "neck")
    refused(result, "'--start'", "0001-01-01 is before 1900-01-01")
    assert counts(store, pid) == before
    assert store.bad_entries().empty
    export = fibro("export", "--db", db_url, "--out", str(store.path.parent / "out")
                   if store.path else "/tmp/unused-export")
    assert export.exit_code == 0, export.output


@pytest.mark.parametrize("args, words", [
    (["med", "--name", "N" * 300], ["'--name'", "300 characters", "at most 200"]),
    (["med", "--name", "Ibuprofen", "--unit", "u" * 41], ["'--unit'", "at most 40"]),
    (["med", "--name", "Ibuprofen", "--reason", "a\x00b"], ["'--reason'", "NUL"]),
    (["session", "--start", "2026-01-02T10:00", "--duration", "60", "--pressure", "deep",
      "--areas", "neck", "--therapist", "T" * 201], ["'--therapist'", "at most 200"]),
    (["session", "--start", "2026-01-02T10:00", "--duration", "60", "--pressure", "deep",
      "--areas", "neck", "--notes", "n" * 10_001], ["'--notes'", "at most 10,000"]),
    (["daily", "--date", "1899-12-31", "--pain", "3"], ["'--date'", "before 1900-01-01"]),
    (["med", "--name", "Ibuprofen", "--patient", "P" * 201], ["--patient", "at most 200"]),
])
def test_fibro_log_refuses_values_outside_the_limits_on_both_engines(diary, db_url, args, words):
    store, pid = diary
    before = counts(store, pid)
    refused(fibro("log", args[0], "--db", db_url, *args[1:]), *words)
    assert counts(store, pid) == before and len(store.patients()) == 1


def test_the_store_refuses_the_same_records_with_the_same_message(diary):
    """A caller that skips ``validate`` (an importer, a page) meets the store's own check."""
    store, pid = diary
    long_name = MedicationDose(time=dt.datetime(2026, 1, 2, 8), name="N" * 300, drug_class="other")
    with pytest.raises(InvalidRecord) as caught:
        store.save(pid, [long_name])
    assert caught.value.problems == {"name": "is 300 characters long; at most 200 are accepted"}
    year_one = MassageSession(start=dt.datetime(1, 1, 1, 10), duration_min=60, pressure="deep",
                              areas=("neck",))
    with pytest.raises(InvalidRecord, match="0001-01-01 is before 1900-01-01"):
        store.save(pid, [year_one])
    with pytest.raises(InvalidRecord, match="patient: .*at most 200"):
        store.ensure_patient("P" * 201)
    with pytest.raises(InvalidRecord, match="taken_on: 0001-01-01"):
        store.save_assessment(pid, "fiqr", dt.date(1, 1, 1), {}, {})


def test_a_value_the_database_refuses_is_one_clean_error(diary, engine, monkeypatch):
    """The net under the limits: were a limit ever wider than its column, PostgreSQL's
    DataError becomes ``ValueRefused`` (no SQL, no value in its text); SQLite keeps it."""
    store, pid = diary
    monkeypatch.setitem(records.TEXT_MAX, "unit", 100)
    dose = MedicationDose(time=dt.datetime(2026, 1, 2, 8), name="Secret-Med", drug_class="other",
                          unit="u" * 60)
    if engine == "sqlite":
        store.save(pid, [dose])
        return
    with pytest.raises(ValueRefused) as caught:
        store.save(pid, [dose])
    assert "Secret-Med" not in str(caught.value) and "INSERT" not in str(caught.value)
    assert "Nothing was saved" in str(caught.value)


def test_dates_and_texts_limits_in_one_place():
    today = dt.date(2026, 12, 6)
    assert records.date_problem(DATE_MIN, today) is None
    assert "before 1900-01-01" in records.date_problem(dt.date(1899, 12, 31), today)
    assert "in the future" in records.date_problem(dt.date(2026, 12, 7), today)
    assert records.date_problem(dt.date(2027, 12, 6), today, future=True) is None
    assert "more than 365 days ahead" in records.date_problem(dt.date(2027, 12, 7), today,
                                                              future=True)
    from dashboard.store import doses, patients, sessions

    assert doses.c.name.type.length == records.TEXT_MAX["name"] == 200
    assert doses.c.unit.type.length == records.TEXT_MAX["unit"] == 40
    assert sessions.c.therapist.type.length == records.TEXT_MAX["therapist"]
    assert patients.c.name.type.length == records.PATIENT_NAME_MAX


# --- a store that already holds an entry outside the limits ---------------------------------

def test_a_stored_year_1_entry_is_left_out_named_and_deletable(diary, db_url, tmp_path):
    store, pid = diary
    before = counts(store, pid)
    bad_id = insert_year_one_session(store, pid)
    reopened = Store(db_url)  # the store still opens
    try:
        assert counts(reopened, pid) == before
        bad = reopened.bad_entries(pid)
        assert bad[["kind", "id", "field"]].values.tolist() == [["sessions", bad_id, "start"]]
        assert bad["value"].iloc[0].startswith("0001-01-01 10:00:00")
        diary_ = DiarySession(reopened).diary(pid)
        assert len(diary_.sessions) == before[1] and len(diary_.bad) == 1
    finally:
        reopened.close()

    note = f"session with id {bad_id} has the start '0001-01-01 10:00:00"
    export = fibro("export", "--db", db_url, "--out", str(tmp_path / "x"))
    assert export.exit_code == 0 and note in export.stderr, export.output
    assert "sessions.csv: " + str(before[1]) + " rows" in export.stdout
    for command in (["effects"], ["moh"], ["report", "--out", str(tmp_path / "r.pdf")]):
        result = fibro(*command, "--db", db_url)
        assert result.exit_code == 0 and note in result.stderr, (command, result.output)
        assert f"fibro delete session {bad_id}" in result.stderr
    assert (tmp_path / "r.pdf").stat().st_size > 1000

    deleted = fibro("delete", "session", str(bad_id), "--db", db_url)
    assert deleted.exit_code == 0 and "0001-01-01 10:00:00" in deleted.stdout, deleted.output
    assert store.bad_entries().empty and counts(store, pid) == before
    again = fibro("delete", "session", str(bad_id), "--db", db_url)
    refused(again, f"no session with id {bad_id}")


def test_a_therapists_list_and_the_patients_page_data_open_beside_the_bad_entry(diary):
    """The therapist's whole page had said 'could not start': its reads now succeed."""
    from dashboard.ui.datastore import DataStore

    store, pid = diary
    accounts = Accounts(store)
    name = store.patients()["name"].iloc[0]
    accounts.add_user("tom", "therapist", PASSWORD)
    accounts.add_grant(name, "tom", "log")
    bad_id = insert_year_one_session(store, pid)
    therapist = DiarySession.hosted(store, accounts.sign_in("tom", PASSWORD))
    listed = therapist.patient_list(today=END)
    assert listed["name"].tolist() == [name]
    data = DataStore(therapist)
    assert data.diary.bad["id"].tolist() == [bad_id]
    assert len(data.matching_sessions()) > 0
    summary = data.summary()
    assert summary is not None
    from dashboard.ui.left_out import LeftOutEntries

    banner = LeftOutEntries(data=data, deletable=True)
    assert f"session with id {bad_id}" in banner.alert.object and banner.alert.visible
    # the command is Markdown code (the banner showed the backticks as text), the value escaped
    assert f" `fibro delete session {bad_id}`," in banner.alert.object
    assert "0001\\-01\\-01 10\\:00" in banner.alert.object
    assert not banner.controls.visible  # a therapist may log, not delete

    own = LeftOutEntries(data=DataStore(DiarySession(store)), deletable=True)  # the Log page's
    assert own.controls.visible and own.choice.value == f"sessions:{bad_id}"
    own.delete_button.clicks += 1
    assert store.bad_entries().empty and not own.alert.visible
    assert f"Deleted the session {bad_id}" in own.said.object
