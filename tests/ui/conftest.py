"""Fixtures for the browser tests: a served dashboard on a seeded demo diary, and Chromium."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("FIBRO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO_DAYS, DEMO_SEED = 400, 3
DEMO_END = dt.date(2026, 6, 30)  # a fixed last day, so every run shows the same diary
LOG_PROBLEM = re.compile(r"\bERROR\b|Traceback")
START_TIMEOUT = 120  # seconds; the first import of panel/holoviews is slow on two cores


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_demo_store(folder: Path, days: int, seed: int, end: dt.date | None = None) -> Path:
    """An empty own store with a seeded ``demo.sqlite`` beside it; returns the own store's path.

    The app opens the demo diary (and shows its banner) while the own store is
    empty, and keeps a demo store that already holds records.
    """
    from dashboard.demo import write_demo
    from dashboard.session import demo_db_path
    from dashboard.store import Store

    own = folder / "fibro.sqlite"
    Store(own).close()
    demo = Store(demo_db_path(own))
    write_demo(demo, days=days, seed=seed, end=end)
    demo.close()
    return own


PANEL_SERVE = [sys.executable, "-m", "panel", "serve", "dashboard/app.py", "--port", "{port}",
               "--address", "127.0.0.1", "--allow-websocket-origin", "127.0.0.1:{port}"]
README_SERVE = [sys.executable, "-m", "panel", "serve", "dashboard/app.py", "--port", "{port}"]
FIBRO_SERVE = [sys.executable, "-m", "dashboard.cli", "serve", "--db", "{db}", "--port", "{port}"]


class Server:
    """The dashboard served on 127.0.0.1 (``panel serve dashboard/app.py`` unless another
    command is given, with ``{port}`` and ``{db}`` filled in), its output in a log file."""

    def __init__(self, db: Path, log_path: Path, command: list[str] = PANEL_SERVE,
                 env: dict[str, str] | None = None, cwd: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/app"
        self.db = db
        self.command = [part.format(port=self.port, db=db) for part in command]
        self.env = env or {}
        self.cwd = cwd  # another checkout serves its own code (benchmarks/therapist_visit.py)
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        env = {**os.environ, "FIBRO_DB": str(self.db), "PYTHONUNBUFFERED": "1", **self.env}
        return subprocess.Popen(self.command, cwd=self.cwd, env=env, stdout=self._log,
                                stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def problems(self) -> list[str]:
        """Lines of the log that report an error or a traceback."""
        return [line for line in self.log().splitlines() if LOG_PROBLEM.search(line)]

    def wait_until_up(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"panel serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url, timeout=30) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"panel serve did not answer within {timeout} s:\n{self.log()}")

    def ensure_running(self) -> None:
        """Start the server again if a signal from outside the tests stopped it; a crash fails."""
        code = self.process.poll()
        if code is None:
            return
        if code >= 0 and "Received signal" not in self.log():
            raise RuntimeError(f"panel serve exited with {code}:\n{self.log()}")
        warnings.warn(f"panel serve was stopped by a signal from outside the tests (exit code "
                      f"{code}); starting it again")
        self.process = self._start()
        self.wait_until_up()

    def stop(self) -> None:
        """Stop the server (again: nothing more happens)."""
        if self._log.closed:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def dashboard_server(tmp_path_factory, artifacts):
    """The dashboard served on a 400-day demo diary (seed 3) for the whole test session."""
    db = write_demo_store(tmp_path_factory.mktemp("store"), DEMO_DAYS, DEMO_SEED, DEMO_END)
    server = Server(db, artifacts / "ui-server.log")
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()
    assert server.problems() == [], f"errors in the server log {server.log_path}"


@pytest.fixture
def serve_store(tmp_path):
    """``serve_store(db, command=PANEL_SERVE, env=None, wait=True, clean_log=True)``: the
    dashboard served on a store file of this test's own.

    For tests that write, or that start the dashboard another way.  Every server
    started is stopped after the test (a test may stop one earlier); unless
    ``clean_log`` is false, its log must hold no error or traceback.
    """
    servers: list[tuple[Server, bool]] = []

    def start(db: Path, command: list[str] = PANEL_SERVE, env: dict[str, str] | None = None,
              wait: bool = True, clean_log: bool = True) -> Server:
        server = Server(db, tmp_path / f"server-{len(servers)}.log", command, env)
        servers.append((server, clean_log))
        if wait:
            server.wait_until_up()
        return server

    yield start
    for server, _clean in servers:
        server.stop()
    for server, clean in servers:
        if clean:
            assert server.problems() == [], (f"errors in the server log {server.log_path}:\n"
                                             f"{server.log()}")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright's own download is not available here), kept offline."""
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if Path(CHROMIUM).exists():
        args["executable_path"] = CHROMIUM
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}
