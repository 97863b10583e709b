"""Expected failures of ``fibro`` end in one line naming the option, never a traceback.

Paths that are folders, missing, unreadable or under a file; a ``--db`` that is a
folder or not a SQLite file; and import messages that quote what a file holds
(escape sequences, NUL, a 10,000-character cell) without passing it to the terminal.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.importers.common import SHOWN_LENGTH, shown_value

IMPORT_KINDS = ("bearable", "fitbit-sleep", "sleep-as-android", "flaredown")
DAILY_HEADER = "date,pain,sleep_hours,sleep_quality,fatigue,stiffness,anxiety,low_mood,fog,headache,notes\n"
SESSION_HEADER = "start,duration_min,pressure,areas,technique,therapist,pain_before,pain_after,notes\n"
BEARABLE_HEADER = "date,weekday,time of day,category,rating/amount,detail,notes\n"
FLAREDOWN_HEADER = ("user_id,age,sex,country,checkin_date,trackable_id,trackable_type,"
                    "trackable_name,trackable_value\n")
ESC, NUL, LONG = "\x1b[31m", "\x00", "9" * 10_000
as_root = hasattr(os, "geteuid") and os.geteuid() == 0


def fibro(*args, env=None):
    """Run ``fibro`` in this process; stdin is not a terminal and $FIBRO_DB is unset."""
    return CliRunner().invoke(main, [str(a) for a in args], env={"FIBRO_DB": None, **(env or {})})


def refused(result, *words) -> str:
    """The error line of a refused command: non-zero exit, no traceback, naming ``words``."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: ")
    for word in words:
        assert word in error, error
    return error


def one_line(result, *words) -> str:
    """As ``refused``, and the whole of stderr is that one line."""
    error = refused(result, *words)
    assert result.stderr.strip() == error
    return error


def printable(text: str) -> bool:
    return all(c.isprintable() or c == "\n" for c in text)


@pytest.fixture
def diary(tmp_path):
    """A store with one day of the patient "Me"."""
    db = tmp_path / "diary.sqlite"
    assert fibro("log", "daily", "--db", db, "--date", "2025-03-04", "--pain", "4").exit_code == 0
    return db


@pytest.fixture
def not_a_store(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("shopping list: milk, eggs\n" * 10)
    return path


# --- paths that are folders, missing or unreadable ---------------------------------------

@pytest.mark.parametrize("kind", IMPORT_KINDS)
def test_importing_a_folder_names_path_and_says_it_is_a_folder(tmp_path, diary, kind):
    folder = tmp_path / "exports"
    folder.mkdir()
    error = one_line(fibro("import", kind, folder, "--db", diary), "'PATH'", "is a folder")
    assert str(folder) in error


def test_a_template_folder_holding_a_folder_named_like_a_file_is_refused_cleanly(tmp_path, diary):
    (tmp_path / "out" / "daily.csv").mkdir(parents=True)
    refused(fibro("import", "csv", tmp_path / "out", "--db", diary), "daily.csv")


@pytest.mark.parametrize("kind", (*IMPORT_KINDS, "csv"))
def test_importing_a_missing_file_names_path(tmp_path, diary, kind):
    refused(fibro("import", kind, tmp_path / "nowhere.csv", "--db", diary), "'PATH'",
            "does not exist")


@pytest.mark.skipif(as_root, reason="root reads every file")
def test_importing_an_unreadable_file_names_path(tmp_path, diary):
    path = tmp_path / "locked.csv"
    path.write_text(BEARABLE_HEADER)
    path.chmod(0)
    try:
        refused(fibro("import", "bearable", path, "--db", diary), "'PATH'", "not readable")
    finally:
        path.chmod(0o600)


def test_export_out_that_is_a_file_or_under_a_file_is_refused(tmp_path, diary):
    a_file = tmp_path / "report.txt"
    a_file.write_text("x")
    refused(fibro("export", "--db", diary, "--out", a_file), "'--out'", "is a file")
    one_line(fibro("export", "--db", diary, "--out", a_file / "sub"), "'--out'",
             str(a_file / "sub"), "is not a folder")


@pytest.mark.skipif(as_root, reason="root writes everywhere")
def test_export_into_a_read_only_folder_names_out(tmp_path, diary):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        one_line(fibro("export", "--db", diary, "--out", folder), "'--out'", "permission denied")
    finally:
        folder.chmod(0o700)


# --- --db that cannot be a store -------------------------------------------------------------

STORE_COMMANDS = [
    ["effects"], ["effects", "--json"], ["moh"], ["export", "--out", "{tmp}/out"],
    ["demo", "--days", "3"], ["log", "daily", "--pain", "3"],
    ["log", "session", "--start", "2025-03-04T10:00", "--duration", "60", "--pressure", "deep",
     "--areas", "neck"],
    ["log", "med", "--name", "Paracetamol"], ["serve"],
]
COMMAND_IDS = [" ".join(c[:2]) for c in STORE_COMMANDS]


def _command(args, tmp_path):
    return [a.replace("{tmp}", str(tmp_path)) for a in args]


@pytest.mark.parametrize("args", STORE_COMMANDS, ids=COMMAND_IDS)
def test_db_that_is_a_folder_is_refused_naming_db(tmp_path, args):
    folder = tmp_path / "stores"
    folder.mkdir()
    error = one_line(fibro(*_command(args, tmp_path), "--db", folder), "'--db'", "is a folder")
    assert str(folder) in error
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("args", STORE_COMMANDS, ids=COMMAND_IDS)
def test_db_that_is_not_a_sqlite_file_is_refused_and_left_alone(tmp_path, not_a_store, args):
    before = not_a_store.read_bytes()
    one_line(fibro(*_command(args, tmp_path), "--db", not_a_store), "'--db'",
             "not a SQLite database")
    assert not_a_store.read_bytes() == before


def test_importing_into_a_db_that_is_not_a_store(tmp_path, not_a_store):
    path = tmp_path / "daily.csv"
    path.write_text(DAILY_HEADER + "2024-03-01,5,,,,,,,,,\n")
    one_line(fibro("import", "csv", path, "--db", not_a_store), "'--db'", "not a SQLite database")


def test_db_under_a_file_is_refused_naming_db(tmp_path):
    a_file = tmp_path / "plain"
    a_file.write_text("x")
    one_line(fibro("demo", "--days", "3", "--db", a_file / "x.sqlite"), "'--db'", str(a_file))


def test_fibro_db_from_the_environment_is_named_too(tmp_path):
    error = one_line(fibro("effects", env={"FIBRO_DB": str(tmp_path)}), "'--db'", "$FIBRO_DB",
                     "is a folder")
    assert str(tmp_path) in error


@pytest.mark.skipif(as_root, reason="root reads every file")
def test_db_that_cannot_be_read_is_refused_naming_db(diary):
    diary.chmod(0)
    try:
        one_line(fibro("effects", "--db", diary), "'--db'")
    finally:
        diary.chmod(0o600)


def test_a_database_server_that_does_not_answer_is_one_error_line(tmp_path):
    """A PostgreSQL URL on a port nobody listens on: no traceback; the error names the store
    (its password hidden) and says the database did not answer."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://fibro:secret@127.0.0.1:{port}/diary"
    error = refused(fibro("effects", "--db", url), "did not answer", "Connection refused")
    assert f"fibro:***@127.0.0.1:{port}/diary" in error and "secret" not in error


# --- what a file holds, quoted safely -------------------------------------------------------

def test_shown_value_escapes_and_cuts():
    assert shown_value(" \x1b[31mred ") == r"'\x1b[31mred'"
    assert shown_value("a\x00b") == r"'a\x00b'"
    long = shown_value("x" * 10_000)
    assert long.endswith("...'") and len(long) == SHOWN_LENGTH + 2
    nuls = shown_value("\x00" * 100)
    assert len(nuls) <= SHOWN_LENGTH + 2 and nuls.endswith(r"\x00...'")
    assert shown_value("7,5") == "'7,5'"


def _import_error(tmp_path, diary, name, text, kind="csv", *extra):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    error = one_line(fibro("import", kind, path, "--db", diary, *extra), name)
    assert printable(error), repr(error)
    assert len(error) < 400, error  # a value at most twice (column, message), cut to 60
    assert "9" * (SHOWN_LENGTH + 1) not in error and "a" * (SHOWN_LENGTH + 1) not in error
    return error


@pytest.mark.parametrize("cell, shown", [
    (f"{ESC}5\x1b[0m", r"'\x1b[31m5\x1b[0m'"),
    (f"5{NUL}", r"'5\x00'"),
    (LONG + "x", "'" + "9" * (SHOWN_LENGTH - 3) + "...'"),
], ids=["escape-sequence", "nul", "10000-characters"])
def test_a_bad_number_is_quoted_escaped_and_short(tmp_path, diary, cell, shown):
    error = _import_error(tmp_path, diary, "daily.csv", DAILY_HEADER + f"2024-03-01,{cell},,,,,,,,,\n")
    assert "line 2, column pain:" in error and shown in error


def test_an_unknown_area_and_pressure_are_quoted_escaped_and_short(tmp_path, diary):
    areas = _import_error(tmp_path, diary, "sessions.csv", SESSION_HEADER
                          + f"2024-03-01T10:00,60,deep,neck{ESC}{NUL}{'a' * 10_000},,,,,\n")
    assert "line 2, column areas:" in areas and r"'neck\x1b[31m\x00aaa" in areas
    pressure = _import_error(tmp_path, diary, "s2.csv", SESSION_HEADER
                             + f"2024-03-01T10:00,60,deep{ESC}{'a' * 10_000},neck,,,,,\n")
    assert "line 2, column pressure:" in pressure and r"'deep\x1b[31maaa" in pressure


def test_a_hostile_header_is_escaped_in_column_and_found_names(tmp_path, diary):
    extra = _import_error(tmp_path, diary, "daily.csv",
                          DAILY_HEADER.strip() + f",pain_{ESC}{NUL}{'a' * 10_000}\n2024-03-01,5,,,,,,,,,,\n")
    assert "line 1, column pain_\\x1b[31m\\x00" in extra
    wrong = _import_error(tmp_path, diary, "b.csv", f"{ESC}date,{NUL}x,{LONG}\n1,2,3\n", "bearable")
    assert "line 1:" in wrong and r"found \x1b[31mdate, \x00x," in wrong


def test_people_of_a_flaredown_file_are_quoted_escaped(tmp_path, diary):
    rows = "".join(f"{who},30,f,DE,2024-03-01,1,Symptom,Fatigue,2\n"
                   for who in (f"u{ESC}1", f"u2{NUL}", LONG))
    error = _import_error(tmp_path, diary, "fd.csv", FLAREDOWN_HEADER + rows, "flaredown",
                          "--person", f"nobody{ESC}")
    assert r"'nobody\x1b[31m'" in error and r"'u\x1b[31m1'" in error and r"'u2\x00'" in error


def test_skip_reasons_quote_cells_escaped_and_short(tmp_path, diary):
    path = tmp_path / "bearable.csv"
    path.write_text(BEARABLE_HEADER
                    + f"22nd Sep 2020,Tue,am,{ESC}Odd{NUL}{'c' * 10_000},3,x,\n"
                    + f"22nd Sep 2020,Tue,am,Symptom,2,{ESC}{'n' * 10_000},\n", encoding="utf-8")
    result = fibro("import", "bearable", path, "--db", diary, "--dry-run")
    assert result.exit_code == 0, result.output
    assert printable(result.output), repr(result.output)
    skipped = [line for line in result.output.splitlines() if "skipped 1" in line]
    assert len(skipped) == 2 and all(len(line) < 160 for line in skipped)
    assert r"Bearable category \x1b[31mOdd\x00ccc" in skipped[0]
