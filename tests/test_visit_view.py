"""The therapist's "Since last visit" view without a browser: a patient with no session in
the period (a new diary, or a quiet month) gets a plain line, not a failed page."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest

from dashboard.accounts import Accounts
from dashboard.records import DailyCheckin, MassageSession
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore
from dashboard.ui.visit import VisitView
from dashboard.visit import visit_report

PASSWORD = "a long enough password"


def therapist_view(store, records) -> str:
    accounts = Accounts(store)
    accounts.add_user("ann", "patient", PASSWORD)
    accounts.add_user("sam", "therapist", PASSWORD)
    accounts.add_grant("ann", "sam", "read")
    DiarySession.hosted(store, accounts.sign_in("ann", PASSWORD)).save(
        accounts.patient_id("ann"), records)
    data = DataStore(DiarySession.hosted(store, accounts.sign_in("sam", PASSWORD)))
    return VisitView(data=data, therapist="sam").head.object


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


# --- "since last visit" keeps its meaning; one computation per diary revision ------------

def _clinic(store, records):
    """ann's diary (``records``) shared with sam (log scope); sam's session and ann's id."""
    accounts = Accounts(store)
    accounts.add_user("ann", "patient", PASSWORD)
    accounts.add_user("sam", "therapist", PASSWORD)
    accounts.add_grant("ann", "sam", "log")
    ann = accounts.patient_id("ann")
    DiarySession.hosted(store, accounts.sign_in("ann", PASSWORD)).save(ann, records)
    return DiarySession.hosted(store, accounts.sign_in("sam", PASSWORD)), ann


def _session(day: dt.date, hour: int, therapist: str, pressure: str = "moderate") -> MassageSession:
    return MassageSession(start=dt.datetime.combine(day, dt.time(hour)), pressure=pressure,
                          areas=("neck",), duration_min=45, therapist=therapist,
                          pain_before=6, pain_after=4)


@pytest.mark.both_engines
def test_since_last_visit_compares_with_the_visit_before_today_after_logging(store):
    today = dt.date.today()
    earlier = today - dt.timedelta(days=12)
    days = [DailyCheckin(date=today - dt.timedelta(days=i), pain=5, sleep_hours=6)
            for i in range(20)]
    sam, ann = _clinic(store, [*days, _session(earlier, 10, "sam"),
                               _session(today - dt.timedelta(days=5), 9, "Kim")])
    data = DataStore(sam)
    view = VisitView(data=data, therapist="sam")
    assert f"Sessions since your last visit ({earlier:%d %B %Y})" in view.head.object
    assert view.head.object.count('<tr role="row">') == 1 + 2  # the heading row, two sessions
    data.save(_session(today, 8, "sam", "deep"))  # what the form does when sam logs today's
    assert f"Sessions since your last visit ({earlier:%d %B %Y})" in view.head.object
    assert view.head.object.count('<tr role="row">') == 1 + 3
    assert "Deep" in view.head.object


@pytest.mark.both_engines
def test_the_visit_report_is_computed_once_per_revision_and_for_every_session(store):
    today = dt.date.today()
    days = [DailyCheckin(date=today - dt.timedelta(days=i), pain=5) for i in range(10)]
    sam, ann = _clinic(store, [*days, _session(today - dt.timedelta(days=3), 10, "sam")])
    first = visit_report(sam, ann, "sam")
    again = DiarySession.hosted(store, Accounts(store).sign_in("sam", PASSWORD))
    assert visit_report(again, ann, "Sam ") is first  # another page of the same process
    sam.save(ann, [_session(today, 9, "sam")])
    fresh = visit_report(sam, ann, "sam")
    assert fresh is not first and len(fresh.visit.sessions) == 2


@pytest.mark.both_engines
def test_a_write_by_another_process_is_seen_at_the_next_reading(store, tmp_path):
    """The cache is keyed by the revision stored in the database: ``fibro log session`` in
    a separate process bumps it, so this process reads the diary again (SQLite file and
    PostgreSQL server alike)."""
    today = dt.date.today()
    days = [DailyCheckin(date=today - dt.timedelta(days=i), pain=5) for i in range(10)]
    sam, ann = _clinic(store, [*days, _session(today - dt.timedelta(days=3), 10, "sam")])
    before = visit_report(sam, ann, "sam")
    assert visit_report(sam, ann, "sam") is before
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "log", "session", "--db",
         str(store.path) if store.path else store.url,
         "--patient", "ann", "--start", f"{today:%Y-%m-%d}T08:00", "--duration", "30",
         "--pressure", "light", "--areas", "neck", "--therapist", "Kim"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    after = visit_report(sam, ann, "sam")
    assert after is not before
    assert list(after.visit.sessions["pressure"]) == ["moderate", "light"]


def test_the_rest_of_the_view_speaks_the_patients_words(store):
    """Labels from the Effects page's vocabulary, a real minus sign, months in words."""
    from dashboard.demo import write_demo

    accounts = Accounts(store)
    write_demo(store, patient="ann", days=200, seed=3)
    accounts.add_user("sam", "therapist", PASSWORD)
    accounts.add_grant("ann", "sam", "read")
    data = DataStore(DiarySession.hosted(store, accounts.sign_in("sam", PASSWORD)))
    view = VisitView(data=data, therapist="sam")  # outside a server the rest is built at once
    text = view.rest.object
    assert "Pain, after minus before the session" in text
    for internal in ("pain_change_immediate", "doses_48h", "pain_next_day", "_"):
        assert internal not in text.replace("visit-effects", "").replace("table-scroll", ""), internal
    assert "−" in text and not re.search(r"(^|[\s(>\[])-\d", text)  # no hyphen as a minus
    assert not re.search(r"\b\d{4}-\d{2}\b", text)  # no '2026-12'
    assert re.search(r"Latest month with doses \((January|February|March|April|May|June|July|"
                     r"August|September|October|November|December) \d{4}\)", text)
