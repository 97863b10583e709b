"""Helpers several test modules use (so that no test module imports another): the ``fibro``
command in this process, a stored row no check would let in, and a reader for the reminder's
iCalendar file."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.store import Store


def fibro(*args, env=None, check=True):
    result = CliRunner().invoke(main, [str(a) for a in args], env={"FIBRO_DB": None, **(env or {})})
    if check:
        assert result.exit_code == 0, result.output
    result.returncode = result.exit_code
    return result


def insert_year_one_session(store: Store, pid: int) -> int:
    """What the attack left behind, written past every check with plain SQL."""
    with store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO sessions (patient_id, start, duration_min, pressure, technique, "
            "therapist, notes, source) VALUES (:pid, :start, 60, 'deep', '', 'Bad-Row', '', '')"),
            {"pid": pid, "start": "0001-01-01 10:00:00"})
        session_id = conn.execute(sa.text("SELECT max(id) FROM sessions")).scalar()
        conn.execute(sa.text("INSERT INTO session_areas (session_id, area) VALUES (:i, 'neck')"),
                     {"i": session_id})
        # as every write does, so caches of the diary (per revision) read it again
        conn.execute(sa.text("UPDATE patients SET revision = revision + 1 WHERE id = :pid"),
                     {"pid": pid})
    return int(session_id)


def unfold(raw: bytes) -> list[str]:
    """Content lines: every line ends in CRLF, at most 75 octets; continuations are joined."""
    assert raw.endswith(b"\r\n")
    physical = raw[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    assert all(len(line) <= 75 for line in physical), [len(x) for x in physical]
    lines: list[bytes] = []
    for line in physical:
        if line.startswith(b" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return [line.decode("utf-8") for line in lines]


def components(lines: list[str]) -> dict:
    """``{"VCALENDAR": {...props, "VEVENT": {..., "VALARM": {...}}}}`` (one of each here)."""
    root: dict = {}
    stack = [root]
    for line in lines:
        name, _, value = line.partition(":")
        if name == "BEGIN":
            child: dict = {}
            stack[-1][value] = child
            stack.append(child)
        elif name == "END":
            assert stack[-1] is not root
            stack.pop()
        else:
            assert name not in stack[-1], f"{name} twice"
            stack[-1][name] = value
    assert stack == [root], "a BEGIN without its END"
    return root


def read_reminder(raw: bytes) -> dict:
    return components(unfold(raw))["VCALENDAR"]
