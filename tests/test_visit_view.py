"""The therapist's "Since last visit" view without a browser: a patient with no session in
the period (a new diary, or a quiet month) gets a plain line, not a failed page."""

from __future__ import annotations

import datetime as dt

from dashboard.accounts import Accounts
from dashboard.records import DailyCheckin, MassageSession
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore
from dashboard.ui.hosted import VisitView

PASSWORD = "a long enough password"


def therapist_view(store, records) -> str:
    accounts = Accounts(store)
    accounts.add_user("ann", "patient", PASSWORD)
    accounts.add_user("sam", "therapist", PASSWORD)
    accounts.add_grant("ann", "sam", "read")
    DiarySession.hosted(store, accounts.sign_in("ann", PASSWORD)).save(
        accounts.patient_id("ann"), records)
    data = DataStore(DiarySession.hosted(store, accounts.sign_in("sam", PASSWORD)))
    return VisitView(data=data, therapist="sam").body.object


def test_no_session_in_the_last_30_days_says_so(store):
    today = dt.date.today()
    days = [DailyCheckin(date=today - dt.timedelta(days=i), pain=5, sleep_hours=6)
            for i in range(10)]
    old = MassageSession(start=dt.datetime.combine(today - dt.timedelta(days=90), dt.time(10)),
                         pressure="deep", areas=("neck",), duration_min=60, pain_before=6,
                         pain_after=4)
    text = therapist_view(store, [*days, old])
    assert "Sessions in the last 30 days" in text
    assert "No massage sessions were logged in this time." in text


def test_a_diary_without_any_session(store):
    today = dt.date.today()
    text = therapist_view(store, [DailyCheckin(date=today, pain=4)])
    assert "No massage sessions were logged in this time." in text
