"""Fixtures for the browser tests: the dashboard served on a store, and Chromium.

Browser tests serve the app in this process (``serve_app``: the product's own server,
built by ``personal_server``/``hosted_server`` as ``fibro serve`` builds it, run on a
thread of its own as Panel's own tests serve); a real ``panel serve``/``fibro serve``
process (``serve_store``, ``Server``) only where the process is the point: its command
line, its environment, two processes on one store, a kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
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
# where a server log's next entry starts: a dated line (ours, Tornado's) or Bokeh's "LEVEL:name:"
LOG_ENTRY = re.compile(r"\n(?=\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}|[A-Z]+:[\w.]+:)")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
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
                 env: dict[str, str] | None = None, cwd: Path = ROOT, stdin: str | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/app"
        self.db = db
        self.command = [part.format(port=self.port, db=db) for part in command]
        self.env = env or {}
        self.cwd = cwd  # another checkout serves its own code (benchmarks/therapist_visit.py)
        self.log_path = log_path
        self.stdin = stdin  # typed into the command's standard input (then closed)
        self._log = open(log_path, "w")
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        env = {**os.environ, "FIBRO_DB": str(self.db), "PYTHONUNBUFFERED": "1", **self.env}
        process = subprocess.Popen(self.command, cwd=self.cwd, env=env, stdout=self._log,
                                   stderr=subprocess.STDOUT, text=True,
                                   stdin=subprocess.PIPE if self.stdin is not None else None)
        if self.stdin is not None:
            process.stdin.write(self.stdin)
            process.stdin.close()
        return process

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def problems(self) -> list[str]:
        """Entries of the log (a line with the traceback lines after it) that report an error
        or a traceback: a caller that tolerates one kind sees the whole entry, not its lines."""
        return [entry for entry in LOG_ENTRY.split(self.log()) if LOG_PROBLEM.search(entry)]

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


class ServerLogs(logging.Handler):
    """The log records of this process, each given to the in-process server it belongs to:
    a record made on a server's thread to that server, one of a worker thread (sign-ins,
    computations) to every server running at that moment; the test's own (made on the main
    thread) to none."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter(LOG_FORMAT))
        self.running: set[AppServer] = set()
        self.running_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "_fibro_seen", False):  # handled already (a logger and its parent)
            return
        record._fibro_seen = True
        if record.threadName == "MainThread":
            return
        with self.running_lock:
            owners = ([s for s in self.running if s.thread_name == record.threadName]
                      or list(self.running))
        if owners:
            text = self.format(record)
            for server in owners:
                server.entries.append(text)


_server_logs: ServerLogs | None = None


def server_logs() -> ServerLogs:
    """The one ``ServerLogs`` handler, on the root logger and on Panel's and Bokeh's (which
    do not pass their records on); INFO records are kept, as ``fibro serve`` logs them."""
    global _server_logs
    if _server_logs is None:  # this module may be imported twice (as pytest's conftest and
        # as tests.ui.conftest): one handler for the process, found on the root logger
        found = [h for h in logging.getLogger().handlers if type(h).__name__ == "ServerLogs"]
        if found:
            _server_logs = found[0]
            return _server_logs
        _server_logs = ServerLogs()
        for name in ("", "panel", "bokeh"):
            logger = logging.getLogger(name)
            logger.addHandler(_server_logs)
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)
    return _server_logs


class AppServer:
    """The dashboard served by this process on 127.0.0.1, on a thread of its own.

    ``mode`` is ``"personal"`` (what ``fibro serve`` and ``panel serve dashboard/app.py``
    serve) or ``"hosted"`` (``fibro serve --hosted``): the same server the product builds
    (``personal_server``/``hosted_server``), with its handlers, origins and limits; or
    ``"component"``: ``page()`` (a function building one view on ``db``, as Panel's
    ``serve_component``) served alone, for the views tested apart from the app.  ``env``
    is set in this process while the server runs.  Its log holds the records of this
    process made for it (``ServerLogs``); ``problems()`` lists those reporting an error.
    """

    def __init__(self, db, mode: str = "personal", env: dict[str, str] | None = None,
                 tolerate: re.Pattern | None = None, page=None):
        if mode not in ("personal", "hosted", "component") or (mode == "component") != bool(page):
            raise ValueError(f"unknown mode {mode!r} (a page only with 'component')")
        self.db, self.mode, self.tolerate, self.page = db, mode, tolerate, page
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/app"
        self.thread_name = f"fibro-server-{self.port}"
        self.entries: list[str] = []
        self.server = None
        self._error: BaseException | None = None
        self._built = threading.Event()
        self._saved_env: dict[str, str | None] = {}
        self._server_id = uuid.uuid4().hex
        self.thread = None

    def _build(self, loop):
        options = dict(loop=loop, server_id=self._server_id, verbose=False)
        if self.mode == "hosted":
            from dashboard.ui.hosted import hosted_server, mask_tokens_in_logs

            mask_tokens_in_logs()  # as ``serve_hosted``: this process's handlers, ours too
            return hosted_server(self.db, self.port, "127.0.0.1", [f"127.0.0.1:{self.port}"],
                                 **options)
        if self.mode == "component":
            import panel as pn

            return pn.serve({"app": self.page}, port=self.port, address="127.0.0.1",
                            websocket_origin=[f"127.0.0.1:{self.port}"], show=False,
                            start=False, **options)
        from dashboard.ui.app import personal_server

        return personal_server(self.db, self.port, "127.0.0.1", **options)

    def _run(self, loop):
        try:
            self.server = self._build(loop)
            self.server.start()
        except BaseException as error:  # noqa: BLE001  (reported by start())
            self._error = error
            return None
        finally:
            self._built.set()
        loop.start()  # until stop()
        return self.server  # Panel's thread stops it

    def start(self) -> "AppServer":
        from panel.io.threads import StoppableThread
        from tornado.ioloop import IOLoop

        for name, value in self.env.items():
            self._saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        logs = server_logs()
        with logs.running_lock:
            logs.running.add(self)
        loop = IOLoop(make_current=False)
        self.thread = StoppableThread(target=self._run, io_loop=loop, owns_loop=True, args=(loop,),
                                      name=self.thread_name, daemon=True)
        self.thread.start()
        if not self._built.wait(START_TIMEOUT) or self._error is not None:
            self.stop()
            raise RuntimeError(f"the in-process server did not start: {self._error!r}")
        self.check_loopback_only()
        self.wait_until_up()
        return self

    def check_loopback_only(self) -> None:
        """Health data is served on 127.0.0.1 only: every listening socket is a loopback one."""
        from dashboard.ui.serving import is_loopback

        addresses = [sock.getsockname()[0] for sock in self.server._http._sockets.values()]
        assert addresses and all(is_loopback(a) for a in addresses), addresses

    def wait_until_up(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=30) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"the in-process server did not answer within {timeout} s:\n"
                           f"{self.log()}")

    def ensure_running(self) -> None:
        assert self.thread is not None and self.thread.is_alive(), "the in-process server stopped"

    def hold(self, seconds: float) -> None:
        """Keep the server from answering for ``seconds`` from now, as a busy machine may:
        its event loop sleeps (the rest of this process runs on)."""
        self.server.io_loop.add_callback(time.sleep, seconds)

    def log(self) -> str:
        return "".join(entry + "\n" for entry in self.entries)

    def problems(self) -> list[str]:
        """Log entries (a record with its traceback) that report an error, less tolerated ones."""
        return [entry for entry in self.entries if LOG_PROBLEM.search(entry)
                and not (self.tolerate and self.tolerate.search(entry + "\n"))]

    def tolerated(self) -> list[str]:
        return [entry for entry in self.entries if LOG_PROBLEM.search(entry)
                and self.tolerate and self.tolerate.search(entry + "\n")]

    async def _end_sessions(self) -> None:
        """Destroy the server's sessions (on its own loop), as Bokeh does with unused ones."""
        contexts = list(self.server._tornado._applications.values())

        async def connections_closed(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and any(
                    session.connection_count for context in contexts
                    for session in context.sessions):
                await asyncio.sleep(0.1)

        await connections_closed(5)  # pages just left: their websockets close first
        # a page left open: its websocket is closed from here, and its close handled,
        # before the session goes (closed after, it told a destroyed session: AttributeError)
        for context in contexts:
            for session in list(context.sessions):
                for connection in list(session._subscribed_connections):
                    connection._socket.close()
        await connections_closed(5)
        for context in contexts:
            for session in list(context.sessions):
                for connection in list(session._subscribed_connections):  # a page left open
                    session.unsubscribe(connection)
                await context._discard_session(session, lambda _session: True)

    def stop(self) -> None:
        """Stop the server (again: nothing more happens); its log is kept."""
        import panel as pn

        if self.thread is not None and self.thread.is_alive():
            try:  # as a process's end would: Panel forgets these sessions (busy indicators...)
                asyncio.run_coroutine_threadsafe(self._end_sessions(),
                                                 self.thread.asyncio_loop).result(timeout=60)
            finally:
                self.thread.stop()
                self.thread.join(timeout=30)
        pn.state._servers.pop(self._server_id, None)
        logs = server_logs()
        with logs.running_lock:
            logs.running.discard(self)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}


FAST_ACCESS_CHECKS = {"FIBRO_ACCESS_CHECK_SECONDS": "2"}  # hosted pages re-check every 2 s, not 30


def served_in_process(db, mode: str = "personal", env: dict[str, str] | None = None,
                      tolerate: re.Pattern | None = None, page=None):
    """A generator for fixtures: the app served in this process while the fixture lasts;
    its log must hold no error at the end."""
    server = AppServer(db, mode, env, tolerate, page).start()
    try:
        yield server
    finally:
        server.stop()
    assert server.problems() == [], "errors in the server's log:\n" + server.log()


@pytest.fixture
def serve_app():
    """``serve_app(db, mode="personal", env=None, tolerate=None, clean_log=True)``: the
    dashboard served in this process on a store of this test's own (for tests that write).
    Every server is stopped after the test; unless ``clean_log`` is false, its log must hold
    no error (besides ``tolerate``)."""
    servers: list[tuple[AppServer, bool]] = []

    def start(db, mode: str = "personal", env: dict[str, str] | None = None,
              tolerate: re.Pattern | None = None, clean_log: bool = True) -> AppServer:
        server = AppServer(db, mode, env, tolerate)
        servers.append((server, clean_log))
        return server.start()

    yield start
    for server, _clean in reversed(servers):
        server.stop()
    for server, clean in servers:
        if clean:
            assert server.problems() == [], "errors in the server's log:\n" + server.log()
        if server.tolerated():
            warnings.warn(f"{len(server.tolerated())} known tracebacks in the server's log: "
                          f"{server.tolerated()[0][:200]}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def dashboard_server(tmp_path_factory):
    """The dashboard served (in this process) on a 400-day demo diary (seed 3) for the
    whole test session; the tests using it only read."""
    db = write_demo_store(tmp_path_factory.mktemp("store"), DEMO_DAYS, DEMO_SEED, DEMO_END)
    yield from served_in_process(db)


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


@pytest.fixture
def own_db(tmp_path) -> Path:
    """A store holding a person's own few days (``pages.own_records``)."""
    from tests.ui.pages import write_own_store

    return write_own_store(tmp_path / "own" / "fibro.sqlite")


@pytest.fixture
def empty_db(tmp_path) -> Path:
    """An empty own store with a 90-day demo diary beside it (the app shows the demo)."""
    from tests.ui.pages import write_empty_store

    return write_empty_store(tmp_path / "fresh" / "fibro.sqlite")


@pytest.fixture
def open_page(browser, serve_app):
    """``open_page(db, device, query="")``: a new browser context (``pages.PHONE`` or
    ``pages.DESKTOP``) on the store served in this process, open on its quick check-in;
    each page is checked for console errors and requests off the machine at the end."""
    from tests.ui.pages import RELOAD_RACE, TIMEOUT_MS, LogUI
    from playwright.sync_api import expect

    opened: list[tuple] = []
    servers = {}

    def start(db: Path, device: dict, query: str = ""):
        server = servers.get(db) or servers.setdefault(db, serve_app(db, tolerate=RELOAD_RACE))
        context = browser.new_context(**device)
        ui = LogUI(context.new_page(), server.url + query)
        opened.append((context, ui))
        ui.page.goto(ui.url)
        expect(ui.page.locator(".quick-checkin-card")).to_be_visible(timeout=TIMEOUT_MS)
        return ui

    yield start
    for context, ui in opened:
        ui.close()
        context.close()
    for _context, ui in opened:
        assert ui.unexpected() == {"console errors": [], "failed requests": [],
                                   "requests to other hosts": []}


CLINIC_PASSWORD = "a long clinic password"


@contextlib.contextmanager
def running_demo_clinic(end: dt.date):
    """The clinic's stack as ``deploy/run-clinic.sh`` starts it (real processes: two app
    processes behind nginx on a throwaway PostgreSQL) holding a small demo clinic (four
    patients, 60 days ending on ``end``, password ``CLINIC_PASSWORD``); stopped afterwards."""
    from dashboard.demo import write_clinic
    from dashboard.store import Store
    from tests.pg import skipping_postgres

    sys.path.insert(0, str(ROOT / "deploy"))
    from stack import ClinicStack, NotAvailable

    if skipping_postgres():
        pytest.skip("FIBRO_SKIP_POSTGRES is set")
    stack = ClinicStack(processes=2)
    try:
        stack.start()
    except NotAvailable as error:
        pytest.fail(f"{error} (set FIBRO_SKIP_POSTGRES=1 to skip)", pytrace=False)
    try:
        store = Store(stack.db_url)
        write_clinic(store, patients=4, days=60, therapists=2, password=CLINIC_PASSWORD, end=end)
        store.close()
        yield stack
    finally:
        stack.stop()
