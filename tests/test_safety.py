"""The store under stress: many writers at once, writers killed mid-way, and hostile text."""

from __future__ import annotations

import datetime as dt
import os
import select
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dashboard.records import DailyCheckin, MassageSession
from dashboard.store import Store

REPO = Path(__file__).resolve().parents[1]
WRITERS = 20
ALL_DONE_WITHIN = 300  # seconds for 20 processes on a 2-core machine, with a wide margin
TABLES = {"meta", "patients", "daily_checkins", "area_pain", "sessions", "session_areas", "doses"}

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL and select on pipes")


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "FIBRO_DB"}


def start(*args: str) -> subprocess.Popen:
    """Start a Python process in the repository, its output captured as text."""
    return subprocess.Popen([sys.executable, *args], cwd=REPO, env=env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_all(processes: list[subprocess.Popen], within: float) -> list[tuple[int, str]]:
    """Wait for every process (killing the rest at the deadline); their exit codes and stderr."""
    deadline = time.monotonic() + within
    results = []
    try:
        for proc in processes:
            _out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            results.append((proc.returncode, err))
    finally:
        for proc in processes:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
    return results


def wait_for_line(proc: subprocess.Popen, expected: str, within: float = 120) -> None:
    """Read the child's stdout until it prints ``expected`` (fail on timeout or early exit).
    By descriptor: a buffered ``readline`` could take two lines at once and leave ``select``
    nothing to wake for."""
    deadline, seen = time.monotonic() + within, ""
    while expected not in [line.strip() for line in seen.splitlines()]:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"the child never printed {expected!r}"
        ready, _, _ = select.select([proc.stdout], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
        if not chunk:
            proc.wait(timeout=30)
            pytest.fail(f"the child exited ({proc.returncode}) before {expected!r}: "
                        f"{proc.stderr.read()}")
        seen += chunk


def kill_hard(proc: subprocess.Popen) -> None:
    """``kill -9`` the child (if it still runs) and reap it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def table_names(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type='table'")
        return {name for (name,) in rows}
    finally:
        con.close()


def store_is_sound(db: Path) -> bool:
    return integrity(db) == "ok" and TABLES <= table_names(db)


def count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


# --- many writers at once -------------------------------------------------------------------


def test_twenty_cli_processes_logging_sessions_at_once_all_land(tmp_path):
    db = tmp_path / "busy.sqlite"
    began = time.monotonic()
    processes = [
        start("-m", "dashboard.cli", "log", "session", "--db", str(db),
              "--start", f"2025-05-{i + 1:02d}T{8 + i % 10:02d}:{i:02d}", "--duration", str(30 + i),
              "--pressure", "light", "--areas", "neck", "--notes", f"writer {i}")
        for i in range(WRITERS)
    ]
    results = finish_all(processes, ALL_DONE_WITHIN)
    elapsed = time.monotonic() - began
    assert [code for code, _ in results] == [0] * WRITERS, [err for code, err in results if code]
    store = Store(db)
    sessions = store.sessions(1)
    store.close()
    assert sorted(sessions["notes"]) == sorted(f"writer {i}" for i in range(WRITERS))
    assert sorted(sessions["duration_min"]) == [30.0 + i for i in range(WRITERS)]
    assert store_is_sound(db)
    print(f"{WRITERS} session writers finished in {elapsed:.1f} s")


def test_twenty_cli_processes_logging_different_days_at_once_all_land(tmp_path):
    db = tmp_path / "busy.sqlite"
    Store(db).close()
    began = time.monotonic()
    processes = [
        start("-m", "dashboard.cli", "log", "daily", "--db", str(db),
              "--date", (dt.date(2025, 1, 1) + dt.timedelta(days=i)).isoformat(),
              "--pain", str(i % 11), "--pain-neck", str(10 - i % 11), "--notes", f"day {i}")
        for i in range(WRITERS)
    ]
    results = finish_all(processes, ALL_DONE_WITHIN)
    elapsed = time.monotonic() - began
    assert [code for code, _ in results] == [0] * WRITERS, [err for code, err in results if code]
    store = Store(db)
    daily = store.daily(1)
    store.close()
    assert len(daily) == WRITERS
    assert list(daily["notes"]) == [f"day {i}" for i in range(WRITERS)]
    assert list(daily["pain"] + daily["pain_neck"]) == [10.0] * WRITERS
    assert store_is_sound(db)
    print(f"{WRITERS} daily writers finished in {elapsed:.1f} s")


SAME_KEY_WRITER = textwrap.dedent("""
    import datetime as dt, pathlib, sys, time
    from dashboard.records import MassageSession
    from dashboard.store import Store

    db, go, index = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3])
    store = Store(db)
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    session = MassageSession(dt.datetime(2025, 5, 1, 18, 0), 60, "deep", ("neck",),
                             notes=f"writer {index}")
    store.save_by_name({"Me": [session]})
""")


def test_twenty_processes_saving_the_same_session_at_the_same_moment_leave_one_row(tmp_path):
    """Released together by a start file, so every save races on one natural key."""
    db, go = tmp_path / "race.sqlite", tmp_path / "go"
    Store(db).close()
    processes = [start("-c", SAME_KEY_WRITER, str(db), str(go), str(i)) for i in range(WRITERS)]
    try:
        for proc in processes:
            wait_for_line(proc, "ready")
    finally:
        go.touch()
        results = finish_all(processes, ALL_DONE_WITHIN)
    assert [code for code, _ in results] == [0] * WRITERS, [err for code, err in results if code]
    assert count(db, "patients") == 1
    assert count(db, "sessions") == 1 and count(db, "session_areas") == 1
    assert store_is_sound(db)


# --- writers killed with SIGKILL -------------------------------------------------------------


SAVE_THEN_SLEEP = textwrap.dedent("""
    import datetime as dt, sys, time
    from dashboard.records import DailyCheckin, MassageSession
    from dashboard.store import Store

    store = Store(sys.argv[1])
    store.save_by_name({"Me": [
        MassageSession(dt.datetime(2025, 6, 1, 17, 30), 50, "moderate", ("neck", "hips"),
                       notes="saved before the kill"),
        DailyCheckin(dt.date(2025, 6, 1), pain=6, area_pain={"hips": 7}),
    ]})
    print("saved", flush=True)
    time.sleep(600)
""")


def test_a_record_saved_before_a_kill_is_still_there(tmp_path):
    db = tmp_path / "killed.sqlite"
    child = start("-c", SAVE_THEN_SLEEP, str(db))
    try:
        wait_for_line(child, "saved")
    finally:
        kill_hard(child)
    assert child.returncode == -signal.SIGKILL
    assert integrity(db) == "ok"
    store = Store(db)
    sessions, daily = store.sessions(1), store.daily(1)
    store.close()
    assert list(sessions["notes"]) == ["saved before the kill"]
    assert list(sessions["areas"]) == ["neck;hips"]
    assert (list(daily["pain"]), list(daily["pain_hips"])) == ([6.0], [7.0])


KILLED_BEFORE_COMMIT = textwrap.dedent("""
    import datetime as dt, sys, time
    import sqlalchemy as sa
    from dashboard.records import DailyCheckin, MassageSession, MedicationDose
    from dashboard.store import Store

    store = Store(sys.argv[1])
    store.save_by_name({"Me": [DailyCheckin(dt.date(2025, 6, 1), pain=4, notes="committed")]})

    def hold_the_transaction_open(conn):
        print("writing", flush=True)
        time.sleep(600)

    sa.event.listen(store.engine, "commit", hold_the_transaction_open)
    store.save_by_name({
        "Me": [
            DailyCheckin(dt.date(2025, 6, 1), pain=9, notes="never committed",
                         area_pain={"neck": 9}),
            DailyCheckin(dt.date(2025, 6, 2), pain=8, area_pain={"jaw": 8}),
            MassageSession(dt.datetime(2025, 6, 2, 10, 0), 30, "light", ("jaw",)),
            MedicationDose(dt.datetime(2025, 6, 2, 9, 0), "Tramadol", "opioid", 50, "mg"),
        ],
        "Someone new": [DailyCheckin(dt.date(2025, 6, 2), pain=1)],
    })
    print("committed after all", flush=True)
""")


def test_a_write_killed_before_its_commit_leaves_no_trace_and_the_store_still_works(tmp_path):
    """The child is killed inside its write transaction, just before COMMIT."""
    db = tmp_path / "killed.sqlite"
    child = start("-c", KILLED_BEFORE_COMMIT, str(db))
    try:
        wait_for_line(child, "writing")
    finally:
        kill_hard(child)
    assert child.returncode == -signal.SIGKILL
    assert integrity(db) == "ok"
    store = Store(db)
    try:
        assert list(store.patients()["name"]) == ["Me"]
        daily = store.daily(1)
        assert list(daily["notes"]) == ["committed"] and list(daily["pain"]) == [4.0]
        assert "pain_neck" not in daily.columns
        assert store.sessions(1).empty and store.doses(1).empty
        assert count(db, "area_pain") == 0
        store.save_by_name({"Me": [DailyCheckin(dt.date(2025, 6, 3), pain=2, notes="after")]})
        assert list(store.daily(1)["notes"]) == ["committed", "after"]
    finally:
        store.close()
    logged = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "log", "session", "--db", str(db), "--start",
         "2025-06-03T12:00", "--duration", "40", "--pressure", "light", "--areas", "neck"],
        cwd=REPO, env=env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert logged.returncode == 0, logged.stderr
    assert count(db, "sessions") == 1 and integrity(db) == "ok"


# --- hostile and unusual text ----------------------------------------------------------------


HEAD = ("'); DROP TABLE sessions; --\n<script>alert(1)</script>\n"
        "Robert\"); DELETE FROM patients WHERE ('1'='1\n")
UNICODE = ("é (e\u0301) 痛み مرحبا שלום 𝄞 👩\u200d👩\u200d👧 🔥😖 \u202eright-to-left\u202c "
           "\ufeffzero\u200bwidth\ttab\r\nCRLF")
HOSTILE = (HEAD + UNICODE + " " + "x" * 10_000)[:10_000 - len(UNICODE)] + UNICODE


def test_hostile_text_of_ten_thousand_characters_is_stored_exactly(tmp_path):
    assert len(HOSTILE) == 10_000 and "\0" not in HOSTILE
    db = tmp_path / "text.sqlite"
    patient = "Robert'); DROP TABLE patients; --"
    for args in (["daily", "--date", "2025-06-01", "--pain", "5"],
                 ["session", "--start", "2025-06-01T10:00", "--duration", "60",
                  "--pressure", "deep", "--areas", "neck", "--technique", HEAD],
                 ["med", "--time", "2025-06-01T09:00", "--name", "Ibuprofen"]):
        text_option = "--reason" if args[0] == "med" else "--notes"
        logged = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "log", *args, "--db", str(db),
             "--patient", patient, text_option, HOSTILE],
            cwd=REPO, env=env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=120)
        assert logged.returncode == 0, logged.stderr
    store = Store(db)
    try:
        assert list(store.patients()["name"]) == [patient]
        daily, sessions, doses = store.daily(1), store.sessions(1), store.doses(1)
    finally:
        store.close()
    assert list(daily["notes"]) == [HOSTILE]
    assert list(sessions["notes"]) == [HOSTILE] and list(sessions["technique"]) == [HEAD]
    assert list(doses["reason"]) == [HOSTILE]
    assert store_is_sound(db)
    assert [count(db, t) for t in ("patients", "daily_checkins", "sessions", "doses")] == [1] * 4


def test_hostile_text_saved_through_the_store_reads_back_exactly(store):
    pid = store.ensure_patient(HEAD)
    store.save(pid, [DailyCheckin(dt.date(2025, 6, 1), notes=HOSTILE),
                     MassageSession(dt.datetime(2025, 6, 1, 10, 0), 60, "light", ("neck",),
                                    therapist=UNICODE, notes=HOSTILE)])
    assert store.daily(pid)["notes"].tolist() == [HOSTILE]
    sessions = store.sessions(pid)
    assert sessions["notes"].tolist() == [HOSTILE] and sessions["therapist"].tolist() == [UNICODE]
    assert store.patients()["name"].tolist() == [HEAD.strip()]
    assert store_is_sound(store.path)
