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
from dashboard.session import DiarySession
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
    history = History(form=form_type(data=DataStore(DiarySession(store))))
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


# --- the write is stored, then the database drops before the diary is read again ---------

@contextlib.contextmanager
def refresh_fails(store: Store, write: str):
    """The store's ``write`` (save, replace, delete) commits; every statement after it
    until the block ends (the session's own follow-up read of the tables written, then the
    views' re-read) gets the driver's "database is locked" (as a lost connection would give
    no answer).  The store's own error hook turns it into ``StoreUnavailable``."""
    armed, met = [], []
    done = getattr(store, write)

    def then_drop(*args, **kwargs):
        result = done(*args, **kwargs)
        armed.append(True)
        return result

    def no_answer(*_args):
        if armed:
            met.append(True)
            error = sqlite3.OperationalError("database is locked")
            error.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise error

    setattr(store, write, then_drop)
    sa.event.listen(store.engine, "before_cursor_execute", no_answer)
    try:
        yield
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", no_answer)
        del store.__dict__[write]
    assert met, "the fault was never met: nothing was read after the write"


NOT_RELOADED = "The dashboard could not reload your diary just now"


def test_a_save_whose_refresh_gets_no_answer_says_saved(store):
    history = history_of(store, DailyForm)
    form = history.form
    form.fields["date"].value = dt.date(2026, 3, 4)
    with refresh_fails(store, "save"):
        form._on_save()
    text = shows(history, "warning")
    assert text.startswith("Saved: check-in of Wed 04 Mar 2026.") and NOT_RELOADED in text
    assert "Could not" not in text and "Nothing was saved" not in text
    assert stored_days(store) == [*DAYS, dt.date(2026, 3, 4)]  # stored, though not yet shown
    assert form.data.stale and "2026-03-04" not in history.frame["date"].tolist()

    form.data.reload()  # the store answers again: the views catch up
    assert not form.data.stale and "2026-03-04" in history.frame["date"].tolist()


def test_an_edit_whose_refresh_gets_no_answer_says_updated(store):
    history = history_of(store, DailyForm)
    select(history, "date", "2026-03-02")
    history._edit()
    history.form.fields["notes"].value = "edited"
    with refresh_fails(store, "replace"):
        history.form._on_save()
    text = shows(history, "warning")
    assert text.startswith("Updated: check-in of Mon 02 Mar 2026.") and NOT_RELOADED in text
    assert history.form.editing is None
    pid = int(store.patients()["id"].iloc[0])
    assert "edited" in store.daily(pid)["notes"].tolist()


def test_a_delete_whose_refresh_gets_no_answer_says_deleted_and_can_be_undone(store):
    history = history_of(store, DailyForm)
    select(history, "date", "2026-03-02")
    with refresh_fails(store, "delete"):
        history._delete()
    text = shows(history, "warning")
    assert text.startswith("Deleted the check-in of Mon 02 Mar 2026.") and NOT_RELOADED in text
    assert "Could not" not in text and "Nothing was deleted" not in text
    assert stored_days(store) == [DAYS[0], DAYS[2]]  # gone, though still listed until a reload
    assert history.last_deleted is not None  # Undo is offered: the delete happened

    with refresh_fails(store, "save"):
        history._undo()
    text = shows(history, "warning")
    assert text.startswith("Restored the check-in of Mon 02 Mar 2026.") and NOT_RELOADED in text
    assert history.last_deleted is None
    assert stored_days(store) == DAYS


def test_a_write_that_is_rolled_back_still_says_nothing_was_saved(store):
    """The other side: the store's lock is never granted, so nothing is written."""
    history = history_of(store, DailyForm)
    history.form.fields["date"].value = dt.date(2026, 3, 4)
    with locked(store):
        history.form._on_save()
    text = shows(history, "danger")
    assert text.startswith("Could not save") and NOT_RELOADED not in text
    assert stored_days(store) == DAYS and not history.form.data.stale


def test_keeping_a_questionnaire_while_the_store_is_locked_says_nothing_was_kept(store):
    """Keep on the Scores page meets a locked store: the person reads that nothing was saved,
    nothing is stored, and Keep works once the store answers."""
    from dashboard.ui.scores_page import Acr2016Form

    form = Acr2016Form(data=DataStore(DiarySession(store)))
    for item in form.items.values():
        item.value = next(o["value"] for o in item.options if o["value"] is not None)
    form.bodymap.selected = form.bodymap.param.selected.objects[:8]
    form.score()
    assert form.result is not None and not form.keep_button.disabled, form.message.object
    with locked(store):
        form.keep()
    assert "Could not save" in form.message.object and form.message.alert_type == "danger"
    assert form.kept == 0 and store.assessments(store.patients()["id"].iloc[0], "acr2016").empty
    form.keep()
    assert form.message.object.startswith("Kept the ACR 2016 result") and form.kept == 1
    assert len(store.assessments(store.patients()["id"].iloc[0], "acr2016")) == 1
