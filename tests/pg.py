"""PostgreSQL for the tests: one throwaway server per run, a fresh database per test.

The server (``deploy/stack.py``'s ``ThrowawayPostgres``) is started on first use on a
loopback port as an unprivileged user and stopped at the end of the run.  When
PostgreSQL is missing or does not start, the tests that need it fail, so CI never
passes without it; ``FIBRO_SKIP_POSTGRES=1`` skips them instead, for local runs.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))
from stack import NotAvailable, ThrowawayPostgres  # noqa: E402

ENGINES = ("sqlite", "postgresql")
_names = itertools.count(1)


def skipping_postgres() -> bool:
    return os.environ.get("FIBRO_SKIP_POSTGRES", "") not in ("", "0")


@pytest.fixture(scope="session")
def postgres_server():
    """The run's PostgreSQL server; fails (or, with FIBRO_SKIP_POSTGRES=1, skips) without one."""
    if skipping_postgres():
        pytest.skip("FIBRO_SKIP_POSTGRES is set")
    try:
        server = ThrowawayPostgres().start()
    except NotAvailable as error:
        pytest.fail(f"{error} (set FIBRO_SKIP_POSTGRES=1 to skip the PostgreSQL tests)",
                    pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty database on the run's server, dropped after the test."""
    name = f"test_{os.getpid()}_{next(_names)}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)
