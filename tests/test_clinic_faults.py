"""PostgreSQL restarted during a save (issue 13): the save fails as a whole with a calm
"could not save, try again", nothing of it is stored, and the next save works.

The save is caught mid-transaction: another connection holds the store's write lock, so
the save has begun and waits inside its transaction when the server restarts under it.
This module runs its own throwaway server, so restarting it disturbs no other test.
"""

from __future__ import annotations

import datetime as dt
import shlex
import threading
import time

import psycopg
import pytest

from dashboard.accounts import Accounts
from dashboard.records import DailyCheckin, MassageSession
from dashboard.session import DiarySession
from dashboard.store import NOT_ANSWERED, NOT_SAVED, Store, StoreUnavailable
from dashboard.store.engine import _WRITE_LOCK_KEY
from tests.pg import skipping_postgres

PASSWORD = "correct horse battery"
DAY = dt.date(2026, 11, 20)


@pytest.fixture
def server():
    if skipping_postgres():
        pytest.skip("FIBRO_SKIP_POSTGRES is set")
    from stack import NotAvailable, ThrowawayPostgres  # tests/pg.py put deploy/ on the path

    try:
        postgres = ThrowawayPostgres().start()
    except NotAvailable as error:
        pytest.fail(f"{error} (set FIBRO_SKIP_POSTGRES=1 to skip)", pytrace=False)
    yield postgres
    postgres.stop()


def pg_ctl(postgres, *args: str) -> None:
    """The server's pg_ctl; a start writes to the server's log (not to our pipe, which a
    server left holding it would keep open)."""
    done = postgres._run(postgres.pg_ctl, "-D", str(postgres.data), "-l",
                         str(postgres.folder / "server.log"), "-w", "-t", "60", *args, timeout=90)
    assert done.returncode == 0, done.stderr


def start_again(postgres) -> None:
    """Start a stopped server with the options it ran with (port, socket folder)."""
    words = shlex.split((postgres.data / "postmaster.opts").read_text())[1:]
    options = [w for i, w in enumerate(words) if w != "-D" and (i == 0 or words[i - 1] != "-D")]
    pg_ctl(postgres, "-o", shlex.join(options), "start")


def restart(postgres) -> None:
    pg_ctl(postgres, "-m", "fast", "restart")


def counts(postgres) -> tuple[int, int]:
    with psycopg.connect(host="127.0.0.1", port=postgres.port, user=postgres.user,
                         dbname="clinic") as conn:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("daily_checkins", "sessions"))


def waiting_for_lock(postgres) -> bool:
    with psycopg.connect(host="127.0.0.1", port=postgres.port, user=postgres.user,
                         dbname="clinic") as conn:
        return bool(conn.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                 "wait_event_type = 'Lock' AND wait_event = 'advisory'").fetchone()[0])


@pytest.fixture
def patient(server):
    store = Store(server.create_database("clinic"))
    accounts = Accounts(store)
    accounts.add_user("ann", "patient", PASSWORD)
    session = DiarySession.hosted(store, accounts.sign_in("ann", PASSWORD))
    pid = accounts.patient_id("ann")
    session.save(pid, [DailyCheckin(date=DAY - dt.timedelta(days=1), pain=5.0)])  # confirmed
    yield session, pid
    store.close()


def test_a_save_caught_by_a_restart_is_refused_whole_and_the_next_one_works(server, patient):
    session, pid = patient
    records = [DailyCheckin(date=DAY, pain=4.0),
               MassageSession(start=dt.datetime(2026, 11, 20, 9), duration_min=45,
                              pressure="light", areas=("neck",))]
    outcome: list = []

    def save() -> None:
        try:
            outcome.append(session.save(pid, records))
        except Exception as error:  # noqa: BLE001 - the test looks at what it was
            outcome.append(error)

    holder = psycopg.connect(host="127.0.0.1", port=server.port, user=server.user, dbname="clinic")
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK_KEY,))  # in a transaction
    saving = threading.Thread(target=save)
    saving.start()
    deadline = time.monotonic() + 30
    while not waiting_for_lock(server):  # the save has begun and waits inside its transaction
        assert time.monotonic() < deadline and saving.is_alive(), outcome
        time.sleep(0.05)
    restart(server)
    saving.join(60)
    holder.close()

    assert len(outcome) == 1 and isinstance(outcome[0], StoreUnavailable), outcome
    assert str(outcome[0]) == NOT_SAVED and "try again" in NOT_SAVED
    assert counts(server) == (1, 0)  # only the confirmed check-in; nothing half-written

    assert session.save(pid, records) == pid  # the same save again, on a fresh connection
    assert counts(server) == (2, 1)
    assert len(session.diary(pid).sessions) == 1


def test_the_form_says_could_not_save_and_keeps_what_was_typed(server, patient):
    from dashboard.ui.datastore import DataStore
    from dashboard.ui.forms import SessionForm

    session, pid = patient
    form = SessionForm(data=DataStore(session))
    typed = MassageSession(start=dt.datetime(2026, 11, 20, 9), duration_min=45, pressure="deep",
                           areas=("shoulders",), notes="felt good")
    form.load(typed)
    pg_ctl(server, "-m", "fast", "stop")
    try:
        form._on_save()
    finally:
        start_again(server)
    assert form.message.visible and form.message.alert_type == "danger"
    assert "Could not save" in form.message.object and "try again" in form.message.object
    assert form.build() == typed  # nothing typed is lost; the person presses Save again
    form._on_save()
    assert form.message.alert_type == "success" and counts(server) == (1, 1)


def test_a_delete_while_the_server_is_down_says_so_and_deletes_nothing(server, patient):
    """The delete begins with a read (whose entry is it: the session's permission check),
    which meets a stopped server: the history says it could not delete, nothing is deleted,
    the entry stays selected, and the same delete works once the server is back."""
    import re

    from dashboard.ui.datastore import DataStore
    from dashboard.ui.forms import DailyForm, History

    session, pid = patient
    history = History(form=DailyForm(data=DataStore(session)))
    history.__panel__()  # its buttons
    history.table.selected = int(history.frame["id"].iloc[0])
    pg_ctl(server, "-m", "fast", "stop")
    try:
        with pytest.raises(StoreUnavailable, match=re.escape(NOT_ANSWERED)):
            session.store.daily(pid)  # any read says so
        history._delete()
    finally:
        start_again(server)
    message = history.form.message
    assert message.visible and message.alert_type == "danger", message.object
    text = re.sub(r"\\(.)", r"\1", message.object)  # as read: without Markdown's escapes
    assert text.startswith("Could not delete: the database did not answer. Nothing was deleted")
    assert counts(server) == (1, 0)
    assert history.last_deleted is None and history.table.selected is not None

    history._delete()  # the server answers again
    assert history.form.message.alert_type == "warning" and counts(server) == (0, 0)
    assert history.last_deleted is not None
