"""The daily reminder: an iCalendar file (RFC 5545) from ``fibro reminders`` and from the app,
read back with a small parser of its own (no calendar library is installed)."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from dashboard.cli import main
from dashboard.reminders import escape_text, fold, reminder_ics
from tests.helpers import read_reminder, unfold


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(char)
    return "".join(out)


def test_the_cli_writes_a_daily_event_at_local_time_with_an_alarm_and_the_checkin_link(tmp_path):
    out = tmp_path / "reminder.ics"
    result = CliRunner().invoke(main, ["reminders", "--time", "20:30", "--out", str(out),
                                       "--base-url", "https://diary.example.org/"])
    assert result.exit_code == 0, result.output
    assert "20:30" in result.output
    calendar = read_reminder(out.read_bytes())
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    event = calendar["VEVENT"]
    start = dt.datetime.strptime(event["DTSTART"], "%Y%m%dT%H%M%S")  # floating local time: no Z
    assert (start.hour, start.minute) == (20, 30)
    assert start.date() == dt.date.today()
    assert event["RRULE"] == "FREQ=DAILY"
    assert event["UID"].endswith("@fibro-dashboard")
    dt.datetime.strptime(event["DTSTAMP"], "%Y%m%dT%H%M%SZ")
    assert unescape(event["SUMMARY"]) == "Diary check-in"
    assert event["URL"] == "https://diary.example.org/app?checkin=1"
    assert "https://diary.example.org/app?checkin=1" in unescape(event["DESCRIPTION"])
    alarm = event["VALARM"]
    assert alarm["ACTION"] == "DISPLAY" and alarm["TRIGGER"] == "PT0M" and alarm["DESCRIPTION"]


def test_the_default_address_is_fibro_serves_and_the_same_time_keeps_the_same_uid(tmp_path):
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    for out in (first, second):
        assert CliRunner().invoke(main, ["reminders", "--out", str(out)]).exit_code == 0
    a, b = read_reminder(first.read_bytes()), read_reminder(second.read_bytes())
    assert a["VEVENT"]["URL"] == "http://127.0.0.1:5006/app?checkin=1"
    assert a["VEVENT"]["DTSTART"].endswith("T200000")  # 20:00 by default
    assert a["VEVENT"]["UID"] == b["VEVENT"]["UID"]  # importing again replaces, not duplicates
    other = tmp_path / "c.ics"
    CliRunner().invoke(main, ["reminders", "--time", "8:05", "--out", str(other)])
    assert read_reminder(other.read_bytes())["VEVENT"]["UID"] != a["VEVENT"]["UID"]


def test_a_wrong_time_or_address_is_a_usage_error_and_writes_nothing(tmp_path):
    out = tmp_path / "r.ics"
    for args in (["--time", "25:00"], ["--time", "evening"], ["--base-url", "diary.example.org"]):
        result = CliRunner().invoke(main, ["reminders", "--out", str(out), *args])
        assert result.exit_code == 2, result.output
        assert not out.exists()


def test_text_is_escaped_and_long_lines_fold_without_splitting_a_character():
    assert escape_text('a,b;c\\d\ne') == "a\\,b\\;c\\\\d\\ne"
    assert unescape(escape_text('a,b;c\\d\ne')) == 'a,b;c\\d\ne'
    line = "DESCRIPTION:" + "é" * 100  # two octets each
    folded = (fold(line) + "\r\n").encode("utf-8")
    assert unfold(folded) == [line]  # every physical line <= 75 octets, valid UTF-8 when joined
    for part in folded[:-2].split(b"\r\n"):
        part.decode("utf-8")  # no character cut in two


def test_a_long_address_still_makes_a_valid_file():
    base = "https://clinic.example.org/" + "diary/" * 20
    text = reminder_ics(dt.time(7, 0), base, start=dt.date(2026, 1, 31),
                        now=dt.datetime(2026, 1, 30, 12, 0, tzinfo=dt.timezone.utc))
    event = read_reminder(text.encode())["VEVENT"]
    assert event["URL"] == base.rstrip("/") + "/app?checkin=1"
    assert event["DTSTART"] == "20260131T070000" and event["DTSTAMP"] == "20260130T120000Z"
