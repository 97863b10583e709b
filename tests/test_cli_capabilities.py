"""``fibro`` asks the session what the acting person may do (``DiarySession.capabilities``)
before it writes, logs, imports, plans a trial or builds a report: refused in one line
naming what was not done, with nothing written and no planner run or question asked first.

The command line acts as the store's owner; ``main(obj=...)`` hands it another session
(here a therapist's, a link holder's, or the personal demo), as a script on a hosted store
would.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dashboard.accounts import Accounts
from dashboard.cli import main
from dashboard.records import DailyCheckin, MassageSession
from dashboard.session import DiarySession
from dashboard.store import Store

pytestmark = pytest.mark.both_engines
PASSWORD = "correct horse battery"
DAY = dt.date(2026, 11, 2)
BEARABLE = Path(__file__).parent / "fixtures" / "imports" / "bearable_export.csv"
READ_ONLY = "Error: You can look at this diary but not change it."


@pytest.fixture
def clinic(db_url):
    """Ann's diary (a check-in and a session); Tom may read it, Lee may also log sessions."""
    store = Store(db_url)
    accounts = Accounts(store)
    accounts.add_user("ann", "patient", PASSWORD)
    store.save(accounts.patient_id("ann"), [
        DailyCheckin(date=DAY, pain=5.0),
        MassageSession(start=dt.datetime(2026, 11, 2, 10), duration_min=60, pressure="light",
                       areas=("neck",))])
    for name, scope in (("tom", "read"), ("lee", "log")):
        accounts.add_user(name, "therapist", PASSWORD)
        accounts.add_grant("ann", name, scope)
    return db_url, store, accounts


def as_person(clinic, name: str, *args) -> Result:
    db_url, _store, accounts = clinic
    token = accounts.sign_in(name, PASSWORD)
    return CliRunner().invoke(main, [*map(str, args), "--db", db_url], env={"FIBRO_DB": None},
                              obj=lambda store: DiarySession.hosted(store, token))


def refused_with(result: Result, line: str) -> None:
    """Ended through click with exactly ``line``: nothing printed before it (no warning,
    no question, no planner's sentences), no traceback."""
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.stdout == "" and result.stderr == line + "\n", result.output


def diary_counts(store: Store, pid: int) -> tuple[int, int, int]:
    return len(store.daily(pid)), len(store.sessions(pid)), len(store.trials(pid))


SESSION = ("--start", "2026-11-03T09:00", "--duration", "45", "--pressure", "deep",
           "--areas", "neck")


@pytest.mark.parametrize("args, not_done", [
    # a check-in exists that day: asked first, "add --yes to replace it" would mislead
    (("log", "daily", "--patient", "ann", "--date", DAY, "--pain", 3), "saved"),
    (("log", "session", "--patient", "ann", *SESSION), "saved"),
    (("import", "bearable", BEARABLE, "--patient", "ann"), "imported"),
    # before the planner simulates the design and asks about its power
    (("trial", "plan", "--patient", "ann", "--compare", "light,deep"), "saved"),
], ids=["check-in", "session", "import", "trial"])
def test_a_reader_cannot_write_and_is_told_before_anything_runs(clinic, args, not_done):
    _db, store, accounts = clinic
    ann = accounts.patient_id("ann")
    before = diary_counts(store, ann)
    refused_with(as_person(clinic, "tom", *args), f"{READ_ONLY} Nothing was {not_done}.")
    assert diary_counts(store, ann) == before


def test_a_therapist_with_log_scope_logs_sessions_but_not_check_ins(clinic):
    _db, store, accounts = clinic
    ann = accounts.patient_id("ann")
    logged = as_person(clinic, "lee", "log", "session", "--patient", "ann", *SESSION)
    assert logged.exit_code == 0, logged.output
    assert "Saved the deep session of 2026-11-03 09:00 for ann." in logged.stdout
    assert len(store.sessions(ann)) == 2
    refused_with(as_person(clinic, "lee", "log", "daily", "--patient", "ann", "--date",
                           "2026-11-03", "--pain", 3), READ_ONLY + " Nothing was saved.")
    assert len(store.daily(ann)) == 1


def test_a_reader_builds_the_report_and_reads_the_effects(clinic, tmp_path):
    out = tmp_path / "ann.pdf"
    made = as_person(clinic, "tom", "report", "--patient", "ann", "--out", out)
    assert made.exit_code == 0, made.output
    assert out.read_bytes().startswith(b"%PDF") and "ann, 2026-" in made.stdout
    effects = as_person(clinic, "tom", "effects", "--patient", "ann")
    assert effects.exit_code == 0 and "Main questions" in effects.stdout


def test_nobody_else_s_diary_is_even_named(clinic):
    _db, _store, accounts = clinic
    accounts.add_user("bea", "patient", PASSWORD)
    result = as_person(clinic, "bea", "report", "--patient", "ann")
    assert result.exit_code == 2 and "no patient called 'ann'" in result.stderr
    assert "ann" not in result.stderr.split("known:")[1]


def test_the_demo_takes_an_import_but_plans_no_trial(tmp_path):
    own = tmp_path / "own.sqlite"
    demo = DiarySession.personal(own)  # the own store is empty: the demo diary is shown

    def fibro(*args):
        return CliRunner().invoke(main, [*map(str, args), "--db", own], obj=lambda _store: demo,
                                  env={"FIBRO_DB": None})

    refused_with(fibro("trial", "plan", "--compare", "light,deep"),
                 "Error: The demo diary cannot run a trial: log or import your own diary "
                 "first. Nothing was saved.")
    assert demo.is_demo and len(demo.store.trials(int(demo.patients()["id"].iloc[0]))) == 0
    imported = fibro("import", "bearable", BEARABLE)
    assert imported.exit_code == 0, imported.output
    assert not demo.is_demo and not Store(own).is_empty()  # the import left the demo
