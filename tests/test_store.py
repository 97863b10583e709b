"""The store on a real SQLite file: round trips, transactions, migrations."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dashboard.records import DailyCheckin, InvalidRecord, MassageSession, MedicationDose
from dashboard.store import NOT_ANSWERED, SCHEMA_VERSION, SchemaTooNew, Store, StoreUnavailable

pytestmark = pytest.mark.both_engines

DAY = dt.date(2026, 3, 2)


def test_daily_checkin_round_trip_with_area_pain_and_blanks(store):
    pid = store.ensure_patient("Robin")
    record = DailyCheckin(DAY, pain=6, sleep_hours=5.5, sleep_quality=4, fatigue=7, stiffness=None,
                          anxiety=3, low_mood=2, fog=5, headache=0, notes="café; <b>bad</b> \"day\"",
                          area_pain={"neck": 7, "lower_back": 8.5})
    store.save(pid, [record])
    row = store.daily(pid).iloc[0]
    assert row["date"].date() == DAY
    assert (row["pain"], row["sleep_hours"], row["sleep_quality"], row["fatigue"]) == (6, 5.5, 4, 7)
    assert np.isnan(row["stiffness"])
    assert row["notes"] == "café; <b>bad</b> \"day\""
    assert (row["pain_neck"], row["pain_lower_back"]) == (7, 8.5)


def test_session_round_trip_keeps_areas_in_vocabulary_order(store):
    pid = store.ensure_patient("Robin")
    start = dt.datetime(2026, 3, 2, 17, 30)
    store.save(pid, [MassageSession(start, 60, "deep", ("shoulders", "neck"), "Deep tissue",
                                    "Sam", 7, 4, "sore after")])
    row = store.sessions(pid).iloc[0]
    assert row["start"] == start
    assert row["areas"] == "neck;shoulders"
    assert (row["pressure"], row["technique"], row["therapist"]) == ("deep", "Deep tissue", "Sam")
    assert (row["duration_min"], row["pain_before"], row["pain_after"]) == (60, 7, 4)
    assert row["notes"] == "sore after"


def test_dose_round_trip(store):
    pid = store.ensure_patient("Robin")
    time = dt.datetime(2026, 3, 2, 8, 15)
    store.save(pid, [MedicationDose(time, "Ibuprofen", "nsaid", 400, "mg", "back pain")])
    row = store.doses(pid).iloc[0]
    assert (row["time"], row["name"], row["drug_class"], row["dose"], row["unit"], row["reason"]) == (
        time, "Ibuprofen", "nsaid", 400, "mg", "back pain")


def test_saving_the_same_records_twice_adds_nothing_and_changes_update(store):
    pid = store.ensure_patient("Robin")
    records = [DailyCheckin(DAY, pain=5), MedicationDose(dt.datetime(2026, 3, 2, 8), "Paracetamol",
                                                         "simple_analgesic", 1000, "mg")]
    first = store.save(pid, records)
    assert first.created == {"daily": 1, "doses": 1}
    again = store.save(pid, records)
    assert again.created == {} and again.updated == {}
    assert again.unchanged == {"daily": 1, "doses": 1}
    changed = store.save(pid, [DailyCheckin(DAY, pain=7)])
    assert changed.updated == {"daily": 1}
    assert len(store.daily(pid)) == 1 and store.daily(pid)["pain"].iloc[0] == 7


def test_a_bad_record_writes_nothing_at_all(store):
    pid = store.ensure_patient("Robin")
    good = DailyCheckin(DAY, pain=5)
    bad = MassageSession(dt.datetime(2026, 3, 2, 17), 60, "firm", ("neck",))
    with pytest.raises(InvalidRecord, match="record 2.*pressure"):
        store.save(pid, [good, bad])
    assert store.daily(pid).empty and store.sessions(pid).empty


def test_failure_inside_the_transaction_rolls_back(store, monkeypatch):
    """A database error half-way leaves nothing written (the transaction, not validation)."""
    pid = store.ensure_patient("Robin")
    from dashboard.store import rows as store_module

    original_insert = store_module._insert

    def failing(conn, *args):
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(store_module, "_update", failing)
        patch.setattr(store_module, "_insert", lambda conn, kind, *a: (
            failing(conn) if kind.name == "doses" else original_insert(conn, kind, *a)))
        with pytest.raises(Exception, match="disk I/O"):
            store.save(pid, [DailyCheckin(DAY, pain=5),
                             MedicationDose(dt.datetime(2026, 3, 2, 8), "X", "other")])
    assert store.daily(pid).empty
    assert store.revision(pid) == 0


def test_records_belong_to_their_patient(store):
    result = store.save_by_name({"Ann": [DailyCheckin(DAY, pain=2)],
                                 "Ben": [DailyCheckin(DAY, pain=8)]})
    assert result.created == {"daily": 2}
    ids = dict(zip(store.patients()["name"], store.patients()["id"]))
    assert store.daily(ids["Ann"])["pain"].tolist() == [2]
    assert store.daily(ids["Ben"])["pain"].tolist() == [8]


def test_revision_grows_only_when_something_was_written(store):
    pid = store.ensure_patient("Robin")
    assert store.revision(pid) == 0
    store.save(pid, [DailyCheckin(DAY, pain=5)])
    assert store.revision(pid) == 1
    store.save(pid, [DailyCheckin(DAY, pain=5)])
    assert store.revision(pid) == 1


def test_numpy_patient_ids_are_accepted(store):
    pid = store.ensure_patient("Robin")
    store.save(np.int64(pid), [DailyCheckin(DAY, pain=5)])
    assert len(store.daily(np.int64(pid))) == 1


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    with Store(tmp_path / "wal.sqlite").engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_new_store_is_at_the_current_schema_version(store):
    assert store.schema_version() == SCHEMA_VERSION


def test_a_version_1_store_is_backed_up_and_migrated_without_losing_data(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parent / "data" / "schema_v1.sql").read_text())
    conn.close()

    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    backups = list(tmp_path.glob("old.before-v*.sqlite"))
    assert len(backups) == 1
    assert sqlite3.connect(backups[0]).execute("SELECT value FROM meta").fetchone() == ("1",)

    daily = store.daily(1)
    assert daily["pain"].tolist() == [6] and daily["pain_neck"].tolist() == [7]
    assert daily["source"].tolist() == [""]
    session = store.sessions(1).iloc[0]
    assert session["areas"] == "neck;shoulders" and session["pain_after"] == 4
    assert store.doses(1)["name"].tolist() == ["Paracetamol"]
    # and the migrated store takes new records with a source
    store.save(1, [DailyCheckin(dt.date(2025, 1, 3), pain=4)], source="csv")
    assert store.daily(1)["source"].tolist() == ["", "csv"]


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="99"):
        Store(path)


def test_edit_replaces_a_record_in_place_and_refuses_to_collide(store):
    from dashboard.store import DuplicateEntry

    pid = store.ensure_patient("Robin")
    first = MassageSession(dt.datetime(2026, 3, 2, 17, 30), 60, "deep", ("neck",), pain_before=7)
    second = MassageSession(dt.datetime(2026, 3, 9, 17, 30), 45, "light", ("legs",))
    store.save(pid, [first, second])
    ids = store.sessions(pid)["id"].tolist()
    edited = MassageSession(dt.datetime(2026, 3, 2, 18, 0), 50, "moderate", ("neck", "hips"),
                            pain_before=7, pain_after=3)
    store.replace("sessions", ids[0], edited)
    assert store.sessions(pid)["pressure"].tolist() == ["moderate", "light"]
    assert store.record("sessions", store.sessions(pid)["id"].iloc[0]) == edited
    clash = MassageSession(dt.datetime(2026, 3, 9, 17, 30), 50, "deep", ("neck",))
    with pytest.raises(DuplicateEntry, match="already a session at 2026-03-09 17:30"):
        store.replace("sessions", store.sessions(pid)["id"].iloc[0], clash)
    assert store.sessions(pid)["pressure"].tolist() == ["moderate", "light"]


def test_delete_returns_the_record_so_it_can_be_undone(store):
    pid = store.ensure_patient("Robin")
    day = DailyCheckin(DAY, pain=6, sleep_hours=5.5, notes="x", area_pain={"neck": 7.0})
    store.save(pid, [day])
    checkin_id = store.daily_id(pid, DAY)
    assert store.record("daily", checkin_id) == day
    gone = store.delete("daily", checkin_id)
    assert store.daily(pid).empty and store.daily_id(pid, DAY) is None
    store.save(pid, [gone])
    assert store.daily(pid)["pain_neck"].tolist() == [7]


def test_bulk_and_one_by_one_saving_agree(store):
    """A batch with new keys, repeated keys and stored keys ends as if saved one by one."""
    pid = store.ensure_patient("Robin")
    store.save(pid, [DailyCheckin(DAY, pain=1)])
    later = DAY + dt.timedelta(days=1)
    result = store.save(pid, [DailyCheckin(DAY, pain=2, area_pain={"neck": 3}),
                              DailyCheckin(later, pain=4), DailyCheckin(later, pain=5),
                              MassageSession(dt.datetime(2026, 3, 2, 9), 30, "light", ("neck", "legs"))])
    assert result.created == {"daily": 1, "sessions": 1}
    assert result.updated == {"daily": 2}
    daily = store.daily(pid)
    assert daily["pain"].tolist() == [2, 5] and daily["pain_neck"].tolist()[0] == 3
    assert store.sessions(pid)["areas"].tolist() == ["neck;legs"]


def test_assessments_are_kept_one_per_day_and_instrument(store):
    pid = store.ensure_patient("Robin")
    store.save_assessment(pid, "fiqr", DAY, {"items": [5] * 21}, {"total": 50.0, "severity": "moderate"})
    store.save_assessment(pid, "fiqr", DAY, {"items": [4] * 21}, {"total": 40.0, "severity": "mild"})
    store.save_assessment(pid, "fiqr", DAY + dt.timedelta(days=7), {"items": [3] * 21},
                          {"total": 30.0, "severity": "mild"})
    table = store.assessments(pid, "fiqr")
    assert table["total"].tolist() == [40.0, 30.0]
    assert table["answers"].iloc[0] == {"items": [4] * 21}
    assert store.assessments(pid, "acr2016").empty
    with pytest.raises(ValueError, match="unknown instrument"):
        store.save_assessment(pid, "phq9", DAY, {}, {})


def test_a_version_2_store_gains_the_assessments_table(tmp_path):
    path = tmp_path / "v2.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parent / "data" / "schema_v1.sql").read_text())
    for table in ("daily_checkins", "sessions", "doses"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN source VARCHAR(40) NOT NULL DEFAULT ''")
    conn.execute("UPDATE meta SET value = '2'")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    store.save_assessment(1, "acr2016", DAY, {"regions": ["neck"]}, {"wpi": 1})
    assert store.assessments(1, "acr2016")["wpi"].tolist() == [1]


def version_3_store(path: Path) -> Path:
    """A store as version 3 wrote it: records with a source, assessments, no naps."""
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parent / "data" / "schema_v1.sql").read_text())
    for table in ("daily_checkins", "sessions", "doses"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN source VARCHAR(40) NOT NULL DEFAULT ''")
    conn.execute("""CREATE TABLE assessments (
        id INTEGER NOT NULL PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients (id)
        ON DELETE CASCADE, taken_on DATE NOT NULL, instrument VARCHAR(20) NOT NULL,
        answers JSON NOT NULL, result JSON NOT NULL,
        CONSTRAINT uq_assessment_day UNIQUE (patient_id, instrument, taken_on))""")
    conn.execute("INSERT INTO assessments VALUES (1, 1, '2025-01-02', 'acr2016', "
                 "'{\"regions\": [\"neck\"]}', '{\"wpi\": 1}')")
    conn.execute("UPDATE meta SET value = '3'")
    conn.commit()
    conn.close()
    return path


def test_a_version_3_store_is_backed_up_and_gains_nap_minutes_blank(tmp_path):
    path = version_3_store(tmp_path / "v3.sqlite")
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    (backup,) = tmp_path.glob("v3.before-v*.sqlite")
    assert sqlite3.connect(backup).execute("SELECT value FROM meta").fetchone() == ("3",)
    daily = store.daily(1)
    assert daily["pain"].tolist() == [6] and daily["pain_neck"].tolist() == [7]
    assert daily["nap_minutes"].isna().all() and daily["nap_minutes"].dtype == "float64"
    assert store.assessments(1, "acr2016")["wpi"].tolist() == [1]
    assert store.record("daily", 1).nap_minutes is None
    store.save(1, [DailyCheckin(dt.date(2025, 1, 3), sleep_hours=4.5, nap_minutes=95)], source="csv")
    assert store.daily(1)["nap_minutes"].tolist()[1] == 95


def test_nap_minutes_round_trip_and_validation(store):
    pid = store.ensure_patient("Robin")
    day = DailyCheckin(DAY, sleep_hours=5.7, nap_minutes=40)
    store.save(pid, [day])
    assert store.daily(pid)["nap_minutes"].tolist() == [40]
    assert store.record("daily", store.daily_id(pid, DAY)) == day
    assert store.save(pid, [DailyCheckin(DAY, sleep_hours=5.7, nap_minutes=40.0)]).unchanged == {"daily": 1}
    for bad, message in ((12.5, "whole number"), (-5, "outside"), (2000, "outside"), ("x", "whole")):
        with pytest.raises(InvalidRecord, match=message):
            store.save(pid, [DailyCheckin(DAY, nap_minutes=bad)])


def test_a_postgresql_server_that_does_not_answer_is_store_unavailable():
    """Opening (a read) a store on a port nobody listens on: the store's own error, naming
    no driver, with the driver's error kept as its cause."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreUnavailable) as caught:
        Store(f"postgresql+psycopg://fibro@127.0.0.1:{port}/diary")
    assert str(caught.value) == NOT_ANSWERED
    assert "Connection refused" in str(caught.value.__cause__)


def test_a_sqlite_file_that_is_not_a_database_keeps_its_own_error(tmp_path):
    """Only a database that does not answer is StoreUnavailable: a wrong file is a wrong file."""
    path = tmp_path / "notes.sqlite"
    path.write_text("just some text, long enough to look like a header" * 100)
    with pytest.raises(Exception) as caught:
        Store(path)
    assert not isinstance(caught.value, StoreUnavailable)
    assert "not a database" in str(caught.value)


def test_a_postgresql_server_that_never_answers_is_unavailable_not_a_hang(monkeypatch):
    """A server that accepts the TCP connection but never answers (hung, or its packets
    dropped) is StoreUnavailable after the connect timeout, instead of blocking forever.
    libpq waits at least 2 s whatever the timeout, so the test takes about that long."""
    import socket
    import time

    from dashboard.store import engine as store_engine

    monkeypatch.setattr(store_engine, "PG_CONNECT_TIMEOUT_S", 2)
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(4)  # the kernel completes the handshake; nobody ever reads or answers
    try:
        port = hung.getsockname()[1]
        began = time.monotonic()
        with pytest.raises(StoreUnavailable):
            Store(f"postgresql+psycopg://fibro:secret@127.0.0.1:{port}/fibro?sslmode=disable")
        assert time.monotonic() - began < 20
    finally:
        hung.close()


def test_only_postgresql_gets_a_connect_timeout_and_a_url_may_set_its_own():
    from dashboard.store.engine import PG_CONNECT_TIMEOUT_S, _server_connect_args

    assert _server_connect_args("postgresql+psycopg://u@h/db") == {
        "connect_timeout": PG_CONNECT_TIMEOUT_S}
    assert _server_connect_args("postgresql://u@h/db") == {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    assert _server_connect_args("postgresql+psycopg://u@h/db?connect_timeout=30") == {}
    assert _server_connect_args("mysql+pymysql://u@h/db") == {}
