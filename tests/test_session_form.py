"""The session form offers a session that just ended: it started its length before now, so
the form a therapist opens at 23:27 is valid as it stands (it began at 22:27), and one
opened just after midnight starts at midnight rather than yesterday."""

from __future__ import annotations

import datetime as dt

from dashboard.records import MassageSession
from dashboard.ui.forms import SESSION_MINUTES, session_start


def offered(now: dt.datetime) -> MassageSession:
    return MassageSession(start=session_start(SESSION_MINUTES, now), duration_min=SESSION_MINUTES,
                          pressure="deep", areas=("neck",))


def test_a_session_offered_late_in_the_evening_ended_now_and_is_valid():
    now = dt.datetime(2026, 12, 6, 23, 27)
    session = offered(now)
    assert session.start == dt.datetime(2026, 12, 6, 22, 27)
    assert session.validate(today=now.date()) == {}


def test_a_session_offered_just_after_midnight_starts_today():
    now = dt.datetime(2026, 12, 7, 0, 20)
    session = offered(now)
    assert session.start == dt.datetime(2026, 12, 7, 0, 0)
    assert session.validate(today=now.date()) == {}


def test_every_minute_of_a_day_offers_a_session_that_can_be_saved():
    midnight = dt.datetime(2026, 12, 6)
    refused = [m for m in range(0, 24 * 60)
               if offered(midnight + dt.timedelta(minutes=m)).validate(today=midnight.date())]
    assert refused == []
