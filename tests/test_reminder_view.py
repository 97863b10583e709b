"""The app's reminders without a browser: the "not logged today" note follows the diary and
shows only in the person's own diary; the "Daily reminder" button's file is the CLI's."""

from __future__ import annotations

import datetime as dt

from dashboard.accounts import Accounts
from dashboard.records import DailyCheckin
from dashboard.session import DiarySession
from dashboard.store import Store
from dashboard.ui.app import App
from dashboard.ui.datastore import DataStore
from dashboard.ui.reminder import NotLoggedToday, ReminderButton
from tests.helpers import read_reminder


def own_store(tmp_path, days_ago: int | None) -> Store:
    store = Store(tmp_path / "fibro.sqlite")
    if days_ago is not None:
        pid = store.ensure_patient("me")
        store.save(pid, [DailyCheckin(date=dt.date.today() - dt.timedelta(days=days_ago), pain=4)])
    return store


def test_the_note_shows_until_today_is_logged(tmp_path):
    store = own_store(tmp_path, days_ago=1)
    data = DataStore(DiarySession(store))
    note = NotLoggedToday(data=data)
    assert note.__panel__().visible
    assert "Nothing logged today" in note.__panel__().object
    data.save(DailyCheckin(date=dt.date.today(), pain=5))
    assert not note.__panel__().visible


def test_no_note_on_the_demo_or_for_a_therapist(tmp_path):
    store = own_store(tmp_path, days_ago=2)
    assert not NotLoggedToday(data=DataStore(DiarySession(store, is_demo=True))).__panel__().visible
    accounts = Accounts(store)  # a therapist signed in, with a grant to the diary
    accounts.add_user("tom", "therapist", "a long test password")
    accounts.add_grant("me", "tom", "read")
    session = DiarySession.hosted(store, accounts.sign_in("tom", "a long test password"))
    assert not NotLoggedToday(data=DataStore(session)).__panel__().visible


def test_the_overview_carries_the_note_and_the_about_page_the_reminder(tmp_path):
    app = App(data=DataStore(DiarySession(own_store(tmp_path, days_ago=3))))
    def classes(column) -> list[str]:
        return [name for part in column.objects for name in getattr(part, "css_classes", [])]

    assert "not-logged-today" in classes(app.overview())
    assert "reminder" in classes(app.about())


def test_the_button_downloads_a_daily_reminder_at_the_chosen_time():
    button = ReminderButton(time="21:30")
    raw = button._calendar().getvalue()
    event = read_reminder(raw)["VEVENT"]
    assert event["DTSTART"].endswith("T213000") and event["RRULE"] == "FREQ=DAILY"
    assert event["URL"] == "http://127.0.0.1:5006/app?checkin=1"  # no page: fibro serve's address
    assert button._download.filename == "reminder.ics" and button._download.label == "Daily reminder"
