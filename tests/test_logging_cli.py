"""``fibro log``, ``import`` and ``export`` on a real store file: in this process through
click's runner (as tests/test_cli.py), and a few times as a real process, where the
process is the point (the installed ``fibro`` command, exit codes, stdout against stderr,
no traceback, a stdin that is no terminal)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from dashboard import demo, domain
from dashboard.cli import main
from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.store import Store

REPO = Path(__file__).resolve().parents[1]
KINDS = ("daily", "sessions", "doses")
DAY = dt.date(2025, 3, 4)
TRICKY = [
    "  spaces around  ",
    'She said "stop"; it hurt',
    "'); DROP TABLE daily_checkins; --",
    "<script>alert('x')</script> & <b>bold</b>",
    "Flare 😖🔥, café, naïve, 痛み, مرحبا",
    "first line\nsecond line\n",
]
ALL_TRICKY = "\n".join(TRICKY)  # starts with spaces, ends with a line break


def fibro(*args: str, check: bool = True) -> Result:
    """Run ``fibro`` in this process: stdin is no terminal and $FIBRO_DB is unset."""
    result = CliRunner().invoke(main, [str(a) for a in args], env={"FIBRO_DB": None})
    if check:
        assert result.exit_code == 0, result.output
    return result


def refused(result: Result) -> str:
    """The stderr of a command that was refused as a person sees it: a non-zero exit through
    click (``SystemExit``, not an exception escaping as a traceback), nothing on stdout."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.stderr


def run(*args: str, command: tuple[str, ...] = (sys.executable, "-m", "dashboard.cli"),
        ) -> subprocess.CompletedProcess:
    """``fibro`` as a real process, stdin not a terminal (/dev/null), $FIBRO_DB unset."""
    env = {k: v for k, v in os.environ.items() if k != "FIBRO_DB"}
    return subprocess.run([*command, *args], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def patient_id(db: Path, name: str = "Me") -> int:
    store = Store(db)
    try:
        known = store.patients()
    finally:
        store.close()
    return int(known.loc[known["name"] == name, "id"].iloc[0])


def frame(db: Path, kind: str, name: str = "Me") -> pd.DataFrame:
    store = Store(db)
    try:
        return getattr(store, kind)(patient_id(db, name))
    finally:
        store.close()


def only_row(table: pd.DataFrame) -> dict:
    """The single row of a frame as a dict, NaN shown as None."""
    assert len(table) == 1, table
    return {k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in table.iloc[0].items()}


def snapshot(db: Path) -> tuple[list, dict[tuple[str, str], pd.DataFrame]]:
    """The raw patients table and every patient's three frames."""
    with sqlite3.connect(db) as con:
        people = con.execute("SELECT * FROM patients ORDER BY id").fetchall()
    store = Store(db)
    try:
        frames = {(name, kind): getattr(store, kind)(pid)
                  for pid, name in zip(store.patients()["id"], store.patients()["name"])
                  for kind in KINDS}
    finally:
        store.close()
    return people, frames


def assert_same_store(before, after) -> None:
    assert before[0] == after[0]
    assert before[1].keys() == after[1].keys()
    for key, table in before[1].items():
        pd.testing.assert_frame_equal(table, after[1][key], check_exact=True, obj=str(key))


def seeded(tmp_path: Path) -> Path:
    """A store holding one day, one session and one dose of the patient "Me"."""
    db = tmp_path / "diary.sqlite"
    store = Store(db)
    store.save_by_name({"Me": [
        DailyCheckin(DAY, pain=5, sleep_hours=6.5, area_pain={"neck": 6}, notes="old day"),
        MassageSession(dt.datetime(2025, 3, 4, 17, 30), 60, "light", ("neck",), pain_before=6),
        MedicationDose(dt.datetime(2025, 3, 4, 8, 0), "Paracetamol", "simple_analgesic", 1000,
                       "mg"),
    ]})
    store.close()
    return db


# --- fibro log: what was typed is what is stored ---------------------------------------


def test_log_daily_stores_every_rating_area_pain_and_note(tmp_path):
    db = tmp_path / "d.sqlite"
    ratings = {name: float(i) + 0.5 for i, name in enumerate(domain.DAILY_RATINGS)}
    args = [arg for name, value in ratings.items()
            for arg in ("--" + name.replace("_", "-"), str(value))]
    fibro("log", "daily", "--db", str(db), "--date", "2025-03-04", *args, "--sleep-hours", "7.25",
          "--nap-minutes", "40", "--pain-neck", "7", "--pain-upper-back", "4.5", "--pain-feet", "0",
          "--notes", "slept 7 h; 😴")
    row = only_row(frame(db, "daily"))
    assert row["date"] == pd.Timestamp(DAY)
    assert {name: row[name] for name in ratings} == ratings
    assert row["sleep_hours"] == 7.25 and row["nap_minutes"] == 40
    assert row["notes"] == "slept 7 h; 😴"
    areas = {k: v for k, v in row.items() if k.startswith(domain.AREA_PAIN_PREFIX)}
    assert areas == {"pain_neck": 7, "pain_upper_back": 4.5, "pain_feet": 0}


def test_log_daily_leaves_omitted_ratings_blank(tmp_path):
    db = tmp_path / "d.sqlite"
    fibro("log", "daily", "--db", str(db), "--date", "2025-03-04", "--pain", "6")
    row = only_row(frame(db, "daily"))
    assert row["pain"] == 6
    omitted = [name for name in [*domain.DAILY_RATINGS, "sleep_hours"] if name != "pain"]
    assert all(row[name] is None for name in omitted)
    assert row["notes"] == ""
    assert not [k for k in row if k.startswith(domain.AREA_PAIN_PREFIX)]


def test_log_daily_accepts_the_ends_of_the_scale_and_fractions(tmp_path):
    db = tmp_path / "d.sqlite"
    fibro("log", "daily", "--db", str(db), "--date", "2025-03-04", "--pain", "0", "--fatigue", "10",
          "--sleep-quality", "9.5", "--pain-hips", "10", "--sleep-hours", "0")
    row = only_row(frame(db, "daily"))
    assert (row["pain"], row["fatigue"], row["sleep_quality"], row["pain_hips"],
            row["sleep_hours"]) == (0, 10, 9.5, 10, 0)


def test_log_session_stores_every_field(tmp_path):
    db = tmp_path / "d.sqlite"
    fibro("log", "session", "--db", str(db), "--start", "2025-03-04T17:30", "--duration", "45.5",
          "--pressure", "Deep", "--areas", "shoulders, neck;upper_back", "--technique",
          'Trigger point; "slow"', "--therapist", "Sam O'Neil", "--pain-before", "7.5",
          "--pain-after", "4", "--notes", TRICKY[3] + "\n" + TRICKY[2])
    row = only_row(frame(db, "sessions"))
    assert row["start"] == pd.Timestamp(2025, 3, 4, 17, 30)
    assert (row["duration_min"], row["pressure"]) == (45.5, "deep")
    assert row["areas"] == "neck;shoulders;upper_back"
    assert (row["technique"], row["therapist"]) == ('Trigger point; "slow"', "Sam O'Neil")
    assert (row["pain_before"], row["pain_after"]) == (7.5, 4)
    assert row["notes"] == TRICKY[3] + "\n" + TRICKY[2]


def test_log_session_leaves_omitted_pain_blank(tmp_path):
    db = tmp_path / "d.sqlite"
    fibro("log", "session", "--db", str(db), "--start", "2025-03-04 09:00", "--duration", "30",
          "--pressure", "light", "--areas", "feet")
    row = only_row(frame(db, "sessions"))
    assert (row["pain_before"], row["pain_after"]) == (None, None)
    assert (row["technique"], row["therapist"], row["notes"]) == ("", "", "")


def test_log_med_stores_every_field(tmp_path):
    db = tmp_path / "d.sqlite"
    fibro("log", "med", "--db", str(db), "--time", "2025-03-04T08:15", "--name", "Pregabalin",
          "--drug-class", "anticonvulsant", "--dose", "75", "--unit", "mg", "--reason", TRICKY[4])
    row = only_row(frame(db, "doses"))
    assert row["time"] == pd.Timestamp(2025, 3, 4, 8, 15)
    assert (row["name"], row["drug_class"], row["dose"], row["unit"]) == (
        "Pregabalin", "anticonvulsant", 75, "mg")
    assert row["reason"] == TRICKY[4]


def test_log_med_takes_the_class_from_a_known_name_and_leaves_the_dose_blank(tmp_path):
    db = tmp_path / "d.sqlite"
    fibro("log", "med", "--db", str(db), "--time", "2025-03-04T08:15", "--name", "Ibuprofen")
    fibro("log", "med", "--db", str(db), "--time", "2025-03-04T08:15", "--name", "Arnica gel")
    doses = frame(db, "doses").set_index("name")
    assert doses.loc["Ibuprofen", "drug_class"] == "nsaid"
    assert doses.loc["Arnica gel", "drug_class"] == "other"
    assert doses["dose"].isna().all() and (doses["unit"] == "").all()


def test_log_keeps_text_exactly_as_typed(tmp_path):
    db = tmp_path / "d.sqlite"
    fibro("log", "daily", "--db", str(db), "--date", "2025-03-04", "--notes", ALL_TRICKY)
    fibro("log", "session", "--db", str(db), "--start", "2025-03-04T10:00", "--duration", "60",
          "--pressure", "moderate", "--areas", "neck", "--notes", ALL_TRICKY)
    fibro("log", "med", "--db", str(db), "--time", "2025-03-04T10:00", "--name", "Tramadol",
          "--reason", ALL_TRICKY)
    assert only_row(frame(db, "daily"))["notes"] == ALL_TRICKY
    assert only_row(frame(db, "sessions"))["notes"] == ALL_TRICKY
    assert only_row(frame(db, "doses"))["reason"] == ALL_TRICKY


# --- fibro log: bad input is refused, named, and writes nothing ---------------------

IN_TWO_DAYS = (dt.date.today() + dt.timedelta(days=2)).isoformat()
SESSION = ["log", "session", "--start", "2025-03-05T10:00", "--duration", "60",
           "--pressure", "light", "--areas", "neck"]
MED = ["log", "med", "--time", "2025-03-05T10:00", "--name", "Ibuprofen"]
DAILY = ["log", "daily", "--date", "2025-03-05"]


def _with(base: list[str], **changes: str | None) -> list[str]:
    """``base`` with options replaced (None drops an option)."""
    args, i = [], 0
    while i < len(base):
        key = base[i][2:].replace("-", "_")
        if base[i].startswith("--") and key in changes:
            if changes[key] is not None:
                args += [base[i], changes.pop(key)]
            else:
                changes.pop(key)
            i += 2
        else:
            args.append(base[i])
            i += 1
    for key, value in changes.items():
        args += ["--" + key.replace("_", "-"), value]
    return args


BAD_INPUT = {
    "pain above 10": (_with(DAILY, pain="11"), "--pain"),
    "pain below 0": (_with(DAILY, pain="-1"), "--pain"),
    "sleep quality 10.5": (_with(DAILY, sleep_quality="10.5"), "--sleep-quality"),
    "area pain above 10": (_with(DAILY, pain_neck="12"), "--pain-neck"),
    "unknown area pain": (_with(DAILY, pain_elbow="3"), "--pain-elbow"),
    "pain not a number": (_with(DAILY, pain="seven"), "--pain"),
    "sleep over 24 h": (_with(DAILY, sleep_hours="25"), "--sleep-hours"),
    "negative nap": (_with(DAILY, nap_minutes="-5"), "--nap-minutes"),
    "day in the future": (_with(DAILY, date=IN_TWO_DAYS), "--date"),
    "day as DD/MM/YYYY": (_with(DAILY, date="05/03/2025"), "--date"),
    "unknown pressure": (_with(SESSION, pressure="hard"), "--pressure"),
    "unknown area": (_with(SESSION, areas="neck,elbow"), "--areas"),
    "no area": (_with(SESSION, areas=" , "), "--areas"),
    "session ends the next day": (_with(SESSION, start="2025-03-05T23:30"), "--duration"),
    "zero minutes": (_with(SESSION, duration="0"), "--duration"),
    "session in the future": (_with(SESSION, start=IN_TWO_DAYS + "T10:00"), "--start"),
    "start without a time": (_with(SESSION, start="2025-03-05"), "--start"),
    "pain after above 10": (_with(SESSION, pain_after="10.1"), "--pain-after"),
    "missing pressure": (_with(SESSION, pressure=None), "--pressure"),
    "negative dose": (_with(MED, dose="-5"), "--dose"),
    "unknown drug class": (_with(MED, drug_class="magic"), "--drug-class"),
    "blank medicine name": (_with(MED, name="   "), "--name"),
    "missing medicine name": (_with(MED, name=None), "--name"),
    "dose in the future": (_with(MED, time=IN_TWO_DAYS + "T08:00"), "--time"),
    "time with seconds and a zone": (_with(MED, time="2025-03-05T10:00:00Z"), "--time"),
}


@pytest.mark.parametrize("args, option", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_naming_the_option_and_writes_nothing(tmp_path, args, option):
    db = seeded(tmp_path)
    before = snapshot(db)
    stderr = refused(fibro(*args, "--db", str(db), check=False))
    assert f"'{option}'" in stderr
    assert_same_store(before, snapshot(db))


def test_several_bad_values_are_all_named_at_once(tmp_path):
    db = seeded(tmp_path)
    before = snapshot(db)
    stderr = refused(fibro(*_with(DAILY, pain="11", fatigue="12", pain_hips="-2"), "--db", str(db),
                           check=False))
    assert all(f"'{o}'" in stderr for o in ("--pain", "--fatigue", "--pain-hips"))
    assert "nothing was saved" in stderr
    assert_same_store(before, snapshot(db))


# --- an existing day ----------------------------------------------------------------------


def test_an_existing_day_is_not_replaced_without_yes_when_there_is_no_terminal(tmp_path):
    db = seeded(tmp_path)
    before = snapshot(db)
    stderr = refused(fibro("log", "daily", "--db", str(db), "--date", DAY.isoformat(), "--pain", "2",
                           check=False))
    assert "--yes" in stderr and DAY.isoformat() in stderr
    assert_same_store(before, snapshot(db))


def test_yes_replaces_the_whole_day_with_the_new_values(tmp_path):
    db = seeded(tmp_path)
    fibro("log", "daily", "--db", str(db), "--date", DAY.isoformat(), "--pain", "2",
          "--pain-hips", "3", "--notes", "new day", "--yes")
    row = only_row(frame(db, "daily"))
    assert (row["pain"], row["notes"], row["pain_hips"]) == (2, "new day", 3)
    assert row["sleep_hours"] is None and row.get("pain_neck") is None
    assert len(frame(db, "sessions")) == 1 and len(frame(db, "doses")) == 1


def test_a_patient_name_with_spaces_does_not_bypass_the_existing_day_check(tmp_path):
    db = seeded(tmp_path)
    before = snapshot(db)
    refused(fibro("log", "daily", "--db", str(db), "--patient", " Me ", "--date", DAY.isoformat(),
                  "--pain", "2", check=False))
    assert_same_store(before, snapshot(db))


# --- export then import ---------------------------------------------------------------------


def _diary_records() -> list:
    """Hand-written records whose text and numbers are hard to keep through a CSV."""
    return [
        DailyCheckin(dt.date(2026, 7, 1), pain=3.25, sleep_hours=7.283333333333333, fatigue=6.1,
                     notes=ALL_TRICKY, area_pain={"jaw": 2.5, "feet": 0}),
        DailyCheckin(dt.date(2026, 7, 2), notes=TRICKY[1]),
        MassageSession(dt.datetime(2026, 7, 1, 18, 5), 52.5, "unknown", ("head", "hands", "feet"),
                       TRICKY[0], TRICKY[3], 8, None, TRICKY[2]),
        MedicationDose(dt.datetime(2026, 7, 1, 21, 0), "Melatonin; 'slow release'", "sleep_aid",
                       0.5, "mg", TRICKY[5]),
    ]


def _comparable(db: Path) -> dict[tuple[str, str], pd.DataFrame]:
    """Every patient's frames without the columns a store assigns (ids, source)."""
    _people, frames = snapshot(db)
    assigned = ["id", "patient_id", "source"]
    return {key: table.drop(columns=assigned) for key, table in frames.items()}


def assert_same_records(a: Path, b: Path) -> None:
    left, right = _comparable(a), _comparable(b)
    assert sorted(left) == sorted(right)
    for key, table in left.items():
        pd.testing.assert_frame_equal(table, right[key], check_exact=True, obj=str(key))


def test_export_writes_numbers_that_read_back_as_the_same_value(tmp_path):
    db = tmp_path / "d.sqlite"
    fibro("log", "daily", "--db", str(db), "--date", "2025-03-04", "--sleep-hours", "7.2833333333")
    fibro("log", "med", "--db", str(db), "--time", "2025-03-04T08:00", "--name", "Vitamin D",
          "--dose", "1234567", "--unit", "IU")
    fibro("export", "--db", str(db), "--out", str(tmp_path / "out"))
    with open(tmp_path / "out" / "daily.csv", encoding="utf-8") as f:
        assert float(next(csv.DictReader(f))["sleep_hours"]) == 7.2833333333
    with open(tmp_path / "out" / "medications.csv", encoding="utf-8") as f:
        assert float(next(csv.DictReader(f))["dose"]) == 1234567


def test_export_then_import_gives_back_every_record_of_every_patient(tmp_path):
    db = tmp_path / "diary.sqlite"
    store = Store(db)
    demo.write_demo(store, patient="Ann", days=40, seed=3, end=dt.date(2026, 6, 30))
    demo.write_demo(store, patient="Ben", days=25, seed=4, end=dt.date(2026, 6, 30))
    store.save_by_name({"Ann": _diary_records(), "Cleo": _diary_records()[:1]})
    store.close()
    fibro("export", "--db", str(db), "--out", str(tmp_path / "out"))
    copy = tmp_path / "copy.sqlite"
    fibro("import", "csv", str(tmp_path / "out"), "--db", str(copy))
    assert_same_records(db, copy)


def test_export_then_import_of_one_patient_gives_back_the_records(tmp_path):
    db = tmp_path / "diary.sqlite"
    store = Store(db)
    store.save_by_name({"Ann": _diary_records()})
    store.close()
    fibro("export", "--db", str(db), "--out", str(tmp_path / "out"))
    copy = tmp_path / "copy.sqlite"
    fibro("import", "csv", str(tmp_path / "out"), "--db", str(copy), "--patient", "Ann")
    assert_same_records(db, copy)


# --- importing a template folder --------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def template_folder(folder: Path, daily_pain_of_row_3: str = "6",
                    second_session_start: str = "2025-02-03T18:00") -> Path:
    """A template folder of four days (the second with a two-line note), two sessions, one dose."""
    folder.mkdir()
    blank = [""] * 7
    write_csv(folder / "daily.csv", [*domain.DAILY_COLUMNS, "pain_neck"], [
        ["2025-02-01", "5", "7", *blank, "", "6"],
        ["2025-02-02", "4", "", *blank, "slept badly\nwoke at 3", ""],
        ["2025-02-03", daily_pain_of_row_3, "6.5", *blank, "", ""],
        ["2025-02-04", "", "", *blank, "no ratings today", ""],
    ])
    write_csv(folder / "sessions.csv", list(domain.SESSION_COLUMNS), [
        ["2025-02-01T17:30", "60", "moderate", "neck;shoulders", "Shiatsu", "Sam", "6", "4", ""],
        [second_session_start, "45", "light", "lower_back", "", "", "", "", "calm"],
    ])
    write_csv(folder / "medications.csv", list(domain.MEDICATION_COLUMNS), [
        ["2025-02-01T08:00", "Paracetamol", "", "1000", "mg", "headache"],
    ])
    return folder


def import_json(db: Path, folder: Path, *more: str) -> dict:
    return json.loads(fibro("import", "csv", str(folder), "--db", str(db), "--json", *more).stdout)


@pytest.mark.parametrize("folder_args, where", [
    ({"daily_pain_of_row_3": "12"}, ("daily.csv line 5", "column pain", "12 is outside 0-10")),
    ({"second_session_start": "2025-02-30T18:00"}, ("sessions.csv line 3", "column start")),
    ({"second_session_start": "03/02/2025 18:00"}, ("sessions.csv line 3", "column start")),
], ids=["daily pain 12 after a two-line note", "sessions impossible date", "sessions wrong format"])
def test_an_import_with_one_bad_row_writes_nothing_and_names_file_line_and_column(
        tmp_path, folder_args, where):
    db = seeded(tmp_path)
    before = snapshot(db)
    folder = template_folder(tmp_path / "t", **folder_args)
    stderr = refused(fibro("import", "csv", str(folder), "--db", str(db), check=False))
    assert all(part in stderr for part in where), stderr
    assert "Nothing was imported" in stderr
    assert_same_store(before, snapshot(db))


def test_importing_the_same_folder_twice_creates_nothing_the_second_time(tmp_path):
    db = tmp_path / "diary.sqlite"
    folder = template_folder(tmp_path / "t")
    first = import_json(db, folder)
    assert first["created"] == {"daily": 4, "sessions": 2, "doses": 1}
    after_first = snapshot(db)
    second = import_json(db, folder)
    assert second["created"] == second["updated"] == {"daily": 0, "sessions": 0, "doses": 0}
    assert second["unchanged"] == first["created"]
    assert_same_store(after_first, snapshot(db))
    again = fibro("import", "csv", str(folder), "--db", str(db)).stdout
    assert "Created: 0 daily check-ins, 0 sessions, 0 doses" in again
    assert "Already there: 4 daily check-ins, 2 sessions, 1 dose" in again


def test_a_dry_run_counts_but_writes_nothing_and_makes_no_backup(tmp_path):
    db = seeded(tmp_path)
    before = snapshot(db)
    folder = template_folder(tmp_path / "t")
    summary = import_json(db, folder, "--dry-run")
    assert summary["dry_run"] is True
    assert summary["created"] == {"daily": 4, "sessions": 2, "doses": 1}
    assert_same_store(before, snapshot(db))
    assert list(tmp_path.glob("diary.*.sqlite")) == []
    assert summary["created"] == import_json(db, folder)["created"]


def test_an_import_into_a_store_with_records_backs_it_up_first(tmp_path):
    db = seeded(tmp_path)
    before = snapshot(db)
    summary = import_json(db, template_folder(tmp_path / "t"))
    backups = list(tmp_path.glob("diary.before-import-*.sqlite"))
    assert [str(b) for b in backups] == [summary["backup"]]
    assert_same_store(before, snapshot(backups[0]))


def test_an_import_into_an_empty_store_needs_no_backup(tmp_path):
    db = tmp_path / "diary.sqlite"
    summary = import_json(db, template_folder(tmp_path / "t"))
    assert summary["backup"] is None
    assert list(tmp_path.glob("diary.*.sqlite")) == []


# --- as a real process: the installed command, exit codes, stdout and stderr ------------------


def test_the_installed_fibro_command_saves_and_says_so_on_stdout_only(tmp_path):
    command = shutil.which("fibro")
    assert command, "the fibro command is not installed (python -m pip install -e .)"
    db = tmp_path / "d.sqlite"
    done = run("log", "daily", "--db", str(db), "--date", "2025-03-04", "--pain", "4",
               command=(command,))
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "Saved the check-in of 2025-03-04 for Me.\n", "")
    assert only_row(frame(db, "daily"))["pain"] == 4


@pytest.mark.parametrize("args, exit_code, words", [
    (_with(DAILY, pain="11"), 2, ("'--pain'",)),  # click's usage error
    (_with(DAILY, date=DAY.isoformat(), pain="2"), 1, ("--yes", DAY.isoformat())),  # no tty
], ids=["bad value", "existing day without a terminal"])
def test_a_refusal_exits_non_zero_with_one_error_on_stderr_and_no_traceback(
        tmp_path, args, exit_code, words):
    db = seeded(tmp_path)
    before = snapshot(db)
    done = run(*args, "--db", str(db))
    assert (done.returncode, done.stdout) == (exit_code, "")
    assert "Traceback" not in done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: ") and all(word in error for word in words), done.stderr
    assert_same_store(before, snapshot(db))
