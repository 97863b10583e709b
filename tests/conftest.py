"""Shared fixtures: real SQLite files in temporary folders and, for the tests marked
``both_engines``, the same tests on a real PostgreSQL database (``tests/pg.py``)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from dashboard import demo
from dashboard.store import Store
from pg import ENGINES, postgres_server, postgres_url  # noqa: F401  (fixtures)

# Passwords hashed at Argon2's lowest cost (dashboard/accounts.py) in this process and the
# servers and commands the tests start, which inherit it; FIBRO_PASSWORD_HASH=full (any other
# value) runs the suite at the real cost. test_cli_hosted keeps one test at the real cost.
os.environ.setdefault("FIBRO_PASSWORD_HASH", "test")

# A fixed "yesterday" for demo diaries, so tests do not depend on the day they run.
DEMO_END = dt.date(2026, 6, 30)


# The longest modules, longest first (``--durations`` in benchmarks/README.md: 90-300 s each
# on two cores, where most modules take under 30 s).
LONGEST_FIRST = ("test_accessibility_ui", "test_log_ui", "test_therapist_ui", "test_escaping_ui",
                 "test_newcomer_ui", "test_hosted_ui", "test_import_ui")


def pytest_collection_modifyitems(items):
    """The longest modules first, then the other browser tests, then the rest; each module's
    tests kept together and in order. With several workers (``scripts/test.sh``: whole modules
    per worker, handed out in this order with ``--no-loadscope-reorder``) the long modules
    start at once and the many short ones fill in at the end, rather than a long module
    starting last while the other workers have nothing left."""
    def rank(item) -> tuple[int, int]:
        name = item.path.stem
        if name in LONGEST_FIRST:
            return 0, LONGEST_FIRST.index(name)
        return (1 if "/tests/ui/" in str(item.path).replace(os.sep, "/") else 2), 0

    items.sort(key=rank)


def pytest_generate_tests(metafunc):
    """Tests marked ``both_engines`` that use ``engine`` (via ``db_url``/``store``) run on each."""
    if "engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_engines"):
        metafunc.parametrize("engine", ENGINES)


@pytest.fixture
def engine() -> str:
    """SQLite unless the test is marked ``both_engines``."""
    return "sqlite"


@pytest.fixture
def db_url(engine, tmp_path, request) -> str:
    """Where a test's store lives: a new SQLite file, or a new PostgreSQL database."""
    if engine == "postgresql":
        return request.getfixturevalue("postgres_url")
    return str(tmp_path / "diary.sqlite")


@pytest.fixture
def store(db_url) -> Store:
    """An empty store (a SQLite file; on PostgreSQL too in tests marked ``both_engines``)."""
    s = Store(db_url)
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
