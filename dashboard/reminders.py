"""A daily reminder as an iCalendar file (RFC 5545), written by hand.

One repeating event (``RRULE:FREQ=DAILY``) at a local clock time ("floating" time:
20:00 wherever the phone is), with an alarm at the event's start and a link that
opens the dashboard's quick check-in (``<base>/app?checkin=1``). Calendar apps on
phones and computers import such a file; importing it again replaces the event
(the UID depends only on the time and the address), it does not add a second one.

Lines end in CRLF and are folded at 75 octets (continuation lines start with a
space); text values escape backslash, semicolon, comma and newlines.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

DEFAULT_BASE_URL = "http://127.0.0.1:5006"  # where ``fibro serve`` answers by default
SUMMARY = "Diary check-in"
DESCRIPTION = ("How was today? Log pain, sleep and fatigue in the massage & fibromyalgia "
               "diary: it takes a few taps.")
FOLD_AT = 75  # octets per line, CRLF not counted (RFC 5545 section 3.1)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_time(text: str) -> dt.time:
    """``HH:MM`` (24-hour clock) as a time; ValueError otherwise."""
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time like 20:00 (24-hour clock, HH:MM)")
    return dt.time(int(match[1]), int(match[2]))


def checkin_url(base_url: str = DEFAULT_BASE_URL) -> str:
    """The address that opens the quick check-in on the served dashboard."""
    return f"{base_url.rstrip('/')}/app?checkin=1"


def escape_text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 section 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """One content line folded into chunks of at most 75 octets, never inside a UTF-8
    character; continuation lines start with one space (which counts in their 75)."""
    parts, current, size, limit = [], [], 0, FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, FOLD_AT - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def reminder_ics(at: dt.time, base_url: str = DEFAULT_BASE_URL, start: dt.date | None = None,
                 now: dt.datetime | None = None) -> str:
    """The calendar text: a daily event at ``at`` (local time) from ``start`` (default today)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    start = start or dt.date.today()
    url = checkin_url(base_url)
    uid = uuid.uuid5(uuid.NAMESPACE_URL, f"{url}#daily-{at:%H%M}")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//fibro-dashboard//Daily reminder//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}@fibro-dashboard",
        f"DTSTAMP:{now.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}",
        f"DTSTART:{dt.datetime.combine(start, at):%Y%m%dT%H%M%S}",
        "DURATION:PT5M",
        "RRULE:FREQ=DAILY",
        f"SUMMARY:{escape_text(SUMMARY)}",
        f"DESCRIPTION:{escape_text(DESCRIPTION + ' ' + url)}",
        f"URL:{url}",
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{escape_text(SUMMARY)}",
        "TRIGGER:PT0M",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
