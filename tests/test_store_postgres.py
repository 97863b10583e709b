"""What only PostgreSQL can show: stores of every older schema version, as SQLAlchemy made
them on PostgreSQL, migrated (also by several processes at once, under the advisory
lock); and the query plans of the main reads on a clinic-sized store use the indexes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard.records import DailyCheckin
from dashboard.store import ACCOUNT_TABLES, SCHEMA_VERSION, TRIAL_TABLES, Store, metadata
from test_store_safety import open_at_once_and_save

SCHEMA_V1 = Path(__file__).parent / "data" / "schema_v1.sql"
V6_INDEXES = ("ix_grants_patient", "ix_links_patient", "ix_signins_user", "ix_signins_link",
              "ix_users_patient", "ix_sessions_patient_start", "ix_doses_patient_time")


def old_postgres_store(url: str, version: int) -> str:
    """A PostgreSQL store as version ``version`` (1 to 6) of the dashboard left it.

    Version 1 is ``tests/data/schema_v1.sql`` in PostgreSQL's words (SERIAL ids, TIMESTAMP);
    each later version adds what its migration adds, as the SQLite tests build them.
    """
    v1 = (SCHEMA_V1.read_text()
          .replace("INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", "SERIAL PRIMARY KEY")
          .replace("DATETIME", "TIMESTAMP WITHOUT TIME ZONE"))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(v1)
        for table in ("patients", "daily_checkins", "sessions", "doses"):  # ids were given
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))")
        if version >= 2:
            for table in ("daily_checkins", "sessions", "doses"):
                conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN source VARCHAR(40) "
                                     "NOT NULL DEFAULT ''")
        if version >= 3:
            conn.exec_driver_sql("""CREATE TABLE assessments (
                id SERIAL PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients (id)
                ON DELETE CASCADE, taken_on DATE NOT NULL, instrument VARCHAR(20) NOT NULL,
                answers JSON NOT NULL, result JSON NOT NULL,
                CONSTRAINT uq_assessment_day UNIQUE (patient_id, instrument, taken_on))""")
            conn.exec_driver_sql("INSERT INTO assessments (patient_id, taken_on, instrument, "
                                 "answers, result) VALUES (1, '2025-01-02', 'acr2016', "
                                 "'{\"regions\": [\"neck\"]}', '{\"wpi\": 1}')")
        if version >= 4:
            conn.exec_driver_sql("ALTER TABLE daily_checkins ADD COLUMN nap_minutes INTEGER")
        if version >= 5:
            for table in ACCOUNT_TABLES:
                table.create(conn)
            for name in V6_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        if version >= 6:  # v6 made every index of the tables it knew
            for table in ACCOUNT_TABLES + (metadata.tables["sessions"], metadata.tables["doses"]):
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
        if version >= 7:  # v7 added the trial tables with their index
            for table in TRIAL_TABLES:
                table.create(conn)
        conn.exec_driver_sql(f"UPDATE meta SET value = '{version}'")
    engine.dispose()
    return url


def index_names(store: Store) -> set[str]:
    inspector = sa.inspect(store.engine)
    return {i["name"] for t in inspector.get_table_names() for i in inspector.get_indexes(t)}


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_older_postgresql_store_is_migrated_without_losing_data(postgres_url, version,
                                                                      tmp_path):
    store = Store(old_postgres_store(postgres_url, version))
    try:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.backup() is None  # PostgreSQL is backed up with pg_dump (README)
        daily = store.daily(1)
        assert daily["pain"].tolist() == [6] and daily["pain_neck"].tolist() == [7]
        assert daily["notes"].tolist() == ["stiff morning"] and daily["nap_minutes"].isna().all()
        session = store.sessions(1).iloc[0]
        assert session["areas"] == "neck;shoulders" and session["pain_after"] == 4
        assert store.doses(1)["name"].tolist() == ["Paracetamol"]
        if version >= 3:
            assert store.assessments(1, "acr2016")["wpi"].tolist() == [1]
        store.save(1, [DailyCheckin(dt.date(2025, 1, 3), pain=4, nap_minutes=20)], source="csv")
        assert store.daily(1)["source"].tolist() == ["", "csv"]
        fresh = Store(tmp_path / "new.sqlite")
        assert set(V6_INDEXES) <= index_names(store)
        assert index_names(fresh) - {None} <= index_names(store)
        fresh.close()
    finally:
        store.close()


def test_processes_opening_an_old_postgresql_store_at_once_migrate_it_once(postgres_url, tmp_path):
    """A second migration would fail (its ALTER TABLE finds the column there), so every
    process succeeding shows the advisory lock let exactly one migrate."""
    open_at_once_and_save(old_postgres_store(postgres_url, 1), tmp_path)


# --- query plans at clinic size -------------------------------------------------------

PATIENTS, DAYS = 200, 400

FILL = f"""
INSERT INTO patients (name, revision, created_at)
  SELECT 'patient ' || p, 0, now() FROM generate_series(1, {PATIENTS}) p;
INSERT INTO daily_checkins (patient_id, date, pain, sleep_hours, notes, source)
  SELECT p, DATE '2024-01-01' + d, mod(p + d, 11), 6.5, '', ''
  FROM generate_series(1, {PATIENTS}) p, generate_series(0, {DAYS - 1}) d;
INSERT INTO area_pain (checkin_id, area, pain)
  SELECT id, area, 5 FROM daily_checkins, (VALUES ('neck'), ('hips'), ('legs')) a(area);
INSERT INTO sessions (patient_id, start, duration_min, pressure, technique, therapist, notes, source)
  SELECT p, TIMESTAMP '2024-01-01 17:00' + d * INTERVAL '1 day', 60, 'light', '', '', '', ''
  FROM generate_series(1, {PATIENTS}) p, generate_series(0, {DAYS - 1}, 4) d;
INSERT INTO session_areas (session_id, area)
  SELECT id, area FROM sessions, (VALUES ('neck'), ('shoulders'), ('upper_back')) a(area);
INSERT INTO doses (patient_id, time, name, drug_class, unit, reason, source)
  SELECT p, TIMESTAMP '2024-01-01 08:00' + d * INTERVAL '1 day', 'Paracetamol',
         'simple_analgesic', 'mg', '', ''
  FROM generate_series(1, {PATIENTS}) p, generate_series(0, {DAYS - 1}) d;
INSERT INTO users (name, role, password_hash, patient_id, created_at)
  SELECT 'user' || u, CASE WHEN u <= {PATIENTS} THEN 'patient' ELSE 'therapist' END, 'x',
         CASE WHEN u <= {PATIENTS} THEN u END, now()
  FROM generate_series(1, {PATIENTS + 10}) u;
INSERT INTO grants (patient_id, therapist_id, scope, created_at)
  SELECT p, {PATIENTS} + 1 + mod(p, 10), 'read', now() FROM generate_series(1, {PATIENTS}) p;
INSERT INTO links (patient_id, token_hash, created_at, expires_at)
  SELECT 1 + mod(i, {PATIENTS}), md5(i::text), now(), now() + INTERVAL '1 day'
  FROM generate_series(1, 20000) i;
INSERT INTO signins (token_hash, user_id, created_at)
  SELECT md5('s' || i), 1 + mod(i, {PATIENTS}), now() FROM generate_series(1, 50000) i;
INSERT INTO access_log (at, actor, user_id, patient_id, action)
  SELECT TIMESTAMP '2024-01-01' + i * INTERVAL '1 minute', 'user' || (1 + mod(i, {PATIENTS})),
         1 + mod(i, {PATIENTS}), 1 + mod(i, {PATIENTS}), 'opened diary'
  FROM generate_series(1, 100000) i;
"""


def test_the_main_reads_use_indexes_on_a_clinic_sized_store(postgres_url):
    store = Store(postgres_url)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(FILL)
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
            rows = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                    for t in metadata.sorted_tables}
        large = {name for name, count in rows.items() if count >= 10_000}
        assert {"daily_checkins", "area_pain", "sessions", "session_areas", "doses", "links",
                "signins", "access_log"} <= large

        statements = []

        def remember(_conn, _cursor, statement, parameters, _context, _many):
            if statement.lstrip().upper().startswith("SELECT") and "pg_" not in statement:
                statements.append((statement, parameters))

        sa.event.listen(store.engine, "before_cursor_execute", remember)
        day = dt.date(2024, 6, 1)
        reads = {
            "daily": lambda: store.daily(77), "sessions": lambda: store.sessions(77),
            "doses": lambda: store.doses(77), "daily_id": lambda: store.daily_id(77, day),
            "revision": lambda: store.revision(77),
            "grants of a therapist": lambda: store.grants(therapist_id=PATIENTS + 3),
            "grants of a patient": lambda: store.grants(patient_id=77),
            "link by token": lambda: store.links(token_hash="0" * 32),
            "links of a patient": lambda: store.links(patient_id=77),
            "sign-in by token": lambda: store.signin("0" * 32),
            "access log of a patient": lambda: store.access_log(patient_id=77),
            "failed sign-ins": lambda: store.count_access("user7", "sign-in failed",
                                                          dt.datetime(2024, 2, 1)),
            "record": lambda: store.record("daily", 1234),
        }
        plans = {}
        for name, read in reads.items():
            statements.clear()
            read()
            with store.engine.connect() as conn:
                plans[name] = ["\n".join(row[0] for row in conn.exec_driver_sql(
                    "EXPLAIN " + statement, parameters)) for statement, parameters in statements]
        sa.event.remove(store.engine, "before_cursor_execute", remember)
    finally:
        store.close()
    scans = {name: [line.strip() for plan in found for line in plan.splitlines()
                    if "Seq Scan on" in line and line.split("Seq Scan on ")[1].split()[0] in large]
             for name, found in plans.items()}
    assert all(plans.values())
    assert {name: lines for name, lines in scans.items() if lines} == {}, plans
