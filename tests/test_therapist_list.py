"""A therapist's patient list (issue 13): only granted patients, each with the right last
visit and pain trend, on SQLite and PostgreSQL; the trend rule itself on hand-made rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.accounts import Accounts
from dashboard.analysis.patient_list import pain_trend, trend_text
from dashboard.records import DailyCheckin, MassageSession
from dashboard.session import DiarySession

PASSWORD = "correct horse battery"
TODAY = dt.date(2026, 11, 20)


def day(n: int) -> dt.date:
    """``n`` days before TODAY."""
    return TODAY - dt.timedelta(days=n)


def pains(values: dict[int, float | None]) -> list[DailyCheckin]:
    return [DailyCheckin(date=day(n), pain=v) for n, v in values.items()]


def massage(start: dt.datetime, therapist: str) -> MassageSession:
    return MassageSession(start=start, duration_min=50, pressure="moderate", areas=("neck",),
                          therapist=therapist)


@pytest.fixture
def clinic(store):
    """ann (tom: log), bea and eve (tom: read), cy (tom's grant revoked), dee (tia's only)."""
    accounts = Accounts(store)
    for name in ("tom", "tia"):
        accounts.add_user(name, "therapist", PASSWORD)
    for name in ("ann", "bea", "cy", "dee", "eve"):
        accounts.add_user(name, "patient", PASSWORD)
    # ann: pain 6 in the 14 days before the last 14, then 4; one old bad day outside both
    store.save(accounts.patient_id("ann"), pains({40: 10.0}) + pains({n: 6.0 for n in range(14, 28)})
               + pains({n: 4.0 for n in range(14)})
               + [massage(dt.datetime(2026, 11, 1, 10), "tom"),
                  massage(dt.datetime(2026, 11, 15, 9, 30), "tia")])
    # bea: three days lately, five before: too few for a trend; no session yet
    store.save(accounts.patient_id("bea"), pains({1: 3.0, 2: 3.0, 3: 3.0, 15: 5.0, 16: 5.0,
                                                  17: 5.0, 18: 5.0, 19: 5.0}))
    # eve: 5.25 vs 5.0, and a blank rating that counts for nothing
    store.save(accounts.patient_id("eve"), pains({0: 5.0, 1: 5.0, 2: 5.0, 3: 6.0, 4: None})
               + pains({n: 5.0 for n in range(20, 24)})
               + [massage(dt.datetime(2026, 11, 20, 8), "")])
    for name in ("cy", "dee"):  # diaries that must never show up in tom's list
        store.save(accounts.patient_id(name), pains({n: 9.0 for n in range(28)})
                   + [massage(dt.datetime(2026, 11, 19, 12), "tia")])
    accounts.add_grant("ann", "tom", "log")
    accounts.add_grant("bea", "tom", "read")
    accounts.add_grant("eve", "tom", "read")
    revoked = accounts.add_grant("cy", "tom", "read")
    accounts.revoke("grant", revoked)
    accounts.add_grant("dee", "tia", "log")
    return store, accounts


def session_of(store, accounts, name: str) -> DiarySession:
    return DiarySession.hosted(store, accounts.sign_in(name, PASSWORD))


@pytest.mark.both_engines
def test_the_list_holds_only_granted_patients_with_last_visit_and_trend(clinic):
    store, accounts = clinic
    listed = session_of(store, accounts, "tom").patient_list(today=TODAY).set_index("name")
    assert list(listed.index) == ["ann", "bea", "eve"]  # not cy (revoked), not dee (tia's)

    ann = listed.loc["ann"]
    assert ann["last_visit"] == pd.Timestamp(2026, 11, 15, 9, 30)
    assert ann["last_therapist"] == "tia" and ann["days_since_visit"] == 5
    assert (ann["earlier_mean"], ann["earlier_days"]) == (6.0, 14)
    assert (ann["recent_mean"], ann["recent_days"]) == (4.0, 14)  # day 40's 10 is outside
    assert ann["change"] == -2.0 and ann["trend"] == "better"
    assert ann["trend_text"].startswith("↓ better: pain 6.0 → 4.0")
    assert ann["visit_text"] == "15 Nov 2026 (5 days ago, tia)"

    bea = listed.loc["bea"]
    assert pd.isna(bea["last_visit"]) and bea["visit_text"] == "No massage session logged yet."
    assert bea["trend"] is None and pd.isna(bea["change"])
    assert (bea["recent_days"], bea["earlier_days"]) == (3, 5)
    assert bea["trend_text"].startswith("Too few check-ins for a trend: 3 days logged")

    eve = listed.loc["eve"]
    assert (eve["recent_mean"], eve["recent_days"]) == (5.25, 4)  # the blank day left out
    assert eve["trend"] == "about the same" and eve["trend_text"].startswith("→ about the same")
    assert eve["visit_text"] == "20 Nov 2026 (today)"


@pytest.mark.both_engines
def test_another_therapist_and_a_patient_see_only_their_own(clinic):
    store, accounts = clinic
    assert list(session_of(store, accounts, "tia").patient_list(today=TODAY)["name"]) == ["dee"]
    own = session_of(store, accounts, "bea").patient_list(today=TODAY)
    assert list(own["name"]) == ["bea"]
    accounts.add_user("root", "admin", PASSWORD)
    assert session_of(store, accounts, "root").patient_list(today=TODAY).empty


@pytest.mark.both_engines
def test_a_revoked_grant_leaves_the_list_at_once(clinic):
    store, accounts = clinic
    tom = session_of(store, accounts, "tom")
    grant = accounts.grants("ann").iloc[0]["id"]
    accounts.revoke("grant", int(grant))
    assert list(tom.patient_list(today=TODAY)["name"]) == ["bea", "eve"]


def test_the_trend_rule_on_its_edges():
    rows = [(1, n, 5.0) for n in range(14, 18)] + [(1, n, 5.5) for n in range(4)]  # +0.5: worse
    rows += [(2, n, 5.0) for n in range(14, 18)] + [(2, n, 5.4) for n in range(4)]  # +0.4: same
    rows += [(3, n, 5.0) for n in range(14, 17)] + [(3, n, 1.0) for n in range(4)]  # 3 days
    frame = pd.DataFrame([(p, pd.Timestamp(day(n)), v) for p, n, v in rows],
                         columns=["patient_id", "date", "value"])
    trend = pain_trend(frame, TODAY)
    assert trend.loc[1, "trend"] == "worse" and trend.loc[1, "change"] == pytest.approx(0.5)
    assert trend.loc[2, "trend"] == "about the same"
    assert trend.loc[3, "trend"] is None and trend.loc[3, "earlier_days"] == 3
    assert trend_text("worse", 5.5, 5.0, 4, 4) == (
        "↑ worse: pain 5.0 → 5.5 (the 14 days before: 4 logged; the last 14 days: 4 logged)")


def test_a_session_logged_now_is_today_in_the_server_s_zone_not_utc(store, monkeypatch):
    """Sessions are stored in local time, so "today" is the local date: in a zone whose
    date differs from UTC's now (UTC+14 or UTC-11, whichever differs at this hour), a session
    logged this minute was "today", not "in the future" (a therapist in India saw that after
    IST midnight) nor "1 day ago"."""
    import time

    utc_hour = dt.datetime.now(dt.timezone.utc).hour
    zone = "Pacific/Kiritimati" if utc_hour >= 10 else "Pacific/Pago_Pago"
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        now = dt.datetime.now().replace(second=0, microsecond=0)
        assert now.date() != dt.datetime.now(dt.timezone.utc).date()
        accounts = Accounts(store)
        accounts.add_user("tom", "therapist", PASSWORD)
        accounts.add_user("ann", "patient", PASSWORD)
        accounts.add_grant("ann", "tom", "log")
        start = max(now - dt.timedelta(minutes=50), dt.datetime.combine(now.date(), dt.time(0)))
        store.save(accounts.patient_id("ann"), [massage(start, "tom")])
        ann = session_of(store, accounts, "tom").patient_list().set_index("name").loc["ann"]
        assert ann["days_since_visit"] == 0 and "today" in ann["visit_text"], ann.to_dict()
    finally:
        monkeypatch.undo()
        time.tzset()
