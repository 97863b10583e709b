"""Shared fixtures: real SQLite files in temporary folders."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import demo
from dashboard.store import Store

# A fixed "yesterday" for demo diaries, so tests do not depend on the day they run.
DEMO_END = dt.date(2026, 6, 30)


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty store in a new SQLite file."""
    s = Store(tmp_path / "diary.sqlite")
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory):
    """A SQLite file holding a 400-day demo diary (written once per test run)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    s = Store(path)
    demo.write_demo(s, days=400, seed=11, end=DEMO_END)
    s.close()
    return path
