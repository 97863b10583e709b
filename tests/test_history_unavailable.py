"""The Log page's history (``forms.History``) when the database is locked, without a
browser: a delete or an undo that cannot reach the store says so under the form and loses
nothing; the undo stays possible and works once the store answers again.

The lock is real: another connection holds SQLite's write lock (``BEGIN IMMEDIATE``) on the
same file, and the store's connections wait 0.2 s for it instead of a minute.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.records import DailyCheckin, MassageSession
from dashboard.store import Store
from dashboard.ui.datastore import DataStore
from dashboard.ui.forms import DailyForm, History, SessionForm

DAYS = [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)]
START = dt.datetime(2026, 3, 2, 10, 0)


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "fibro.sqlite")
    store.save_by_name({"Ann": [*(DailyCheckin(day, pain=p) for day, p in zip(DAYS, (3, 5, 7))),
                                MassageSession(start=START, duration_min=50, pressure="light",
                                               areas=("neck",), therapist="Bea")]})

    @sa.event.listens_for(store.engine, "connect")
    def wait_briefly(dbapi_conn, _record):  # runs after the store's own (60 s) setting
        dbapi_conn.execute("PRAGMA busy_timeout=200")

    store.engine.dispose()  # connections opened from now on wait 0.2 s
    yield store
    store.close()


@contextlib.contextmanager
def locked(store: Store):
    """Another process's write transaction holds the store's write lock meanwhile."""
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def history_of(store: Store, form_type) -> History:
    history = History(form=form_type(data=DataStore(store)))
    history.__panel__()  # its buttons
    return history


def select(history: History, column: str, value) -> None:
    """Pick the row showing ``value`` in ``column``, as a click on it does."""
    rows = history.frame
    history.table.selected = int(rows.loc[rows[column] == value, "id"].iloc[0])


def stored_days(store: Store) -> list[dt.date]:
    pid = int(store.patients()["id"].iloc[0])
    return sorted(pd.to_datetime(store.daily(pid)["date"]).dt.date)


def shows(history: History, kind: str) -> str:
    """The message under the form, which must be shown as ``kind``."""
    message = history.form.message
    assert message.visible and message.alert_type == kind, (message.alert_type, message.object)
    return re.sub(r"\\(.)", r"\1", message.object)  # as read: without Markdown's escapes


def test_a_delete_while_the_store_is_locked_says_so_and_deletes_nothing(store):
    history = history_of(store, DailyForm)
    select(history, "date", "2026-03-02")
    with locked(store):
        history._delete()
    text = shows(history, "danger")
    assert text.startswith("Could not delete") and "Nothing was deleted" in text
    assert stored_days(store) == DAYS  # nothing lost
    assert history.last_deleted is None  # nothing to undo: nothing was deleted
    assert "2026-03-02" in history.frame["date"].tolist()
    assert history.table.selected is not None  # still selected: Delete can be pressed again

    history._delete()  # the store answers again
    assert "Deleted the check-in of Mon 02 Mar 2026" in shows(history, "warning")
    assert stored_days(store) == [DAYS[0], DAYS[2]]


def test_an_undo_while_the_store_is_locked_says_so_and_can_be_done_again(store):
    history = history_of(store, DailyForm)
    select(history, "date", "2026-03-02")
    history._delete()
    deleted = history.last_deleted
    assert deleted is not None and stored_days(store) == [DAYS[0], DAYS[2]]

    with locked(store):
        history._undo()
    text = shows(history, "danger")
    assert "Could not restore the check-in of Mon 02 Mar 2026" in text
    assert "Undo delete again" in text
    assert history.last_deleted == deleted  # kept: the Undo button stays
    assert stored_days(store) == [DAYS[0], DAYS[2]]

    with locked(store):  # a second failed try changes nothing either
        history._undo()
    assert history.last_deleted == deleted and shows(history, "danger")

    history._undo()  # the store answers again
    assert "Restored the check-in of Mon 02 Mar 2026" in shows(history, "success")
    assert history.last_deleted is None
    assert stored_days(store) == DAYS
    pid = int(store.patients()["id"].iloc[0])
    daily = store.daily(pid)
    assert daily.loc[pd.to_datetime(daily["date"]) == "2026-03-02", "pain"].tolist() == [5]


def test_a_failed_delete_keeps_the_earlier_delete_undoable(store):
    """Deleting one session, then failing to delete another: the first can still be undone."""
    history = history_of(store, SessionForm)
    pid = int(store.patients()["id"].iloc[0])
    store.save(pid, [MassageSession(start=START + dt.timedelta(days=1), duration_min=30,
                                    pressure="deep", areas=("neck",))])
    history.form.data.reload()
    select(history, "start", "2026-03-02 10:00")
    history._delete()
    first = history.last_deleted
    assert first.therapist == "Bea"
    select(history, "start", "2026-03-03 10:00")
    with locked(store):
        history._delete()
    assert "Could not delete" in shows(history, "danger")
    assert history.last_deleted == first
    history._undo()
    assert "Restored" in shows(history, "success")
    assert len(store.sessions(pid)) == 2
