"""Load test of the clinic stack with many people at once, as Bokeh client sessions.

``python benchmarks/clinic_sessions.py`` starts a throwaway PostgreSQL on 127.0.0.1, writes
the demo clinic (``--patients`` 200 x ``--days`` 1095, five therapists), then for each
``--processes`` count and each ``--sessions`` count starts that many ``fibro serve --hosted``
behind nginx (``deploy/stack.py``) and lets that many therapists work at once for
``--seconds``, each on one Bokeh client session through nginx (``bokeh.client``; no
browser, so the two cores go to the server): open the dashboard (the server builds the
page and sends it), choose one of their own patients, open Effects, go back to the Overview,
then over and over change the pressure filter (twice) and log the session they gave
(the visit view's form, its Save button clicked).  Per row it prints the median and 95th percentile of page opens, patient changes, filter updates and saves
(from the change sent until the server's last update arrived, quiet for ``QUIET_S``),
errors, saves confirmed on screen that are not in the database (must be 0), and the app
processes' CPU seconds and memory per session; then when the last person's page was open
(patient chosen, Effects and Overview opened) and the filter updates and saves begun after
that, "with all open".

The people are spread over ``--clients`` client processes (default 4), each person on a
thread of one: a real therapist's browser runs on their own device, and 20 Bokeh clients
behind one interpreter lock queue each other's messages, so the times measured the client.
Each row also shows the client processes' CPU share and how many of the machine's cores
were busy (``/proc/stat``): on two cores the clients still take CPU the server would have.

A person is a signed-in therapist: the benchmark signs in through ``/login`` like a
browser, then opens the page's websocket with that cookie and a session token signed
with the processes' shared secret (what the page's own script would send).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import multiprocessing
import os
import queue
import re
import resource
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "deploy"), str(ROOT / "benchmarks")]

from clinic_load import cpu_seconds, rss_mb  # noqa: E402
from stack import ClinicStack, ThrowawayPostgres  # noqa: E402

from dashboard.demo import therapist_names, write_clinic  # noqa: E402
from dashboard.store import Store  # noqa: E402

PASSWORD = "load test password"
QUIET_S = 0.5  # an action is done when the server has sent nothing for this long
ACTION_TIMEOUT_S = 120
NO_UPDATE_S = 10  # a filter change answered by nothing this long changed nothing on screen
COOKIE = "fibro_signin"
ACTIONS = ("page open", "patient change", "filter update", "Effects first opening", "save")
_local = threading.local()  # the Cookie header of the session this thread drives


def _with_cookie(url, *args, **kwargs):
    """bokeh.client opens its websocket with a bare request; a signed-in page sends its cookie."""
    from tornado.httpclient import HTTPRequest

    headers = dict(kwargs.pop("headers", None) or {})
    if getattr(_local, "cookie", None):
        headers["Cookie"] = _local.cookie
    return HTTPRequest(url, *args, headers=headers, **kwargs)


def sign_in(address: str, name: str) -> str:
    """Sign in through /login like a browser; the signed cookie value."""
    class Stay(urllib.request.HTTPRedirectHandler):  # the page itself is opened by Person.open
        def redirect_request(self, *args, **kwargs):
            return None

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay())
    form = opener.open(f"{address}/login").read().decode()
    xsrf = form.split("name=\"_xsrf\" value=\"", 1)[1].split("\"", 1)[0]
    try:
        opener.open(f"{address}/login", urllib.parse.urlencode(
            {"_xsrf": xsrf, "name": name, "password": PASSWORD}).encode())
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            raise
    return next(c.value for c in jar if c.name == COOKIE).strip('"')


def load_models() -> None:
    """Every Bokeh model type a page may send: Panel's (it imports some lazily) and the
    page's own components."""
    import importlib
    import pkgutil

    import panel.models

    import dashboard.ui.hosted  # noqa: F401  (its components' models)

    for module in pkgutil.iter_modules(panel.models.__path__):
        try:
            importlib.import_module(f"panel.models.{module.name}")
        except Exception:  # noqa: BLE001 - a model needing an optional package is not used here
            pass


class Person:
    """One therapist on one Bokeh client session, timing what they do."""

    def __init__(self, address: str, secret: str, cookie: str, patient: str, times: dict,
                 errors: list, confirmed: set):
        self.address, self.secret, self.cookie, self.patient = address, secret, cookie, patient
        self.times, self.errors, self.confirmed = times, errors, confirmed
        self.last_change, self.heard, self.arrivals = time.monotonic(), 0, []
        self.unanswered = 0  # filter changes with nothing to show (not timed)

    def open(self):
        load_models()
        from bokeh.client import ClientSession
        from bokeh.util.token import generate_jwt_token, generate_session_id

        from dashboard.accounts import token_hash
        from dashboard.ui.signin import PAYLOAD_KEY, signin_token

        _local.cookie = f"{COOKIE}={self.cookie}"
        session_id = generate_session_id(secret_key=self.secret.encode(), signed=True)
        # What the page's token carries since the sign-in left it: the sign-in's hash only.
        signin = token_hash(signin_token(self.secret, self.cookie))
        token = generate_jwt_token(session_id, secret_key=self.secret.encode(), signed=True,
                                   extra_payload={PAYLOAD_KEY: signin,
                                                  "headers": {"Host": self.address[7:]}})
        ws = self.address.replace("http://", "ws://") + "/app/ws"
        session = ClientSession(session_id=session_id, websocket_url=ws)
        type(session).token = property(lambda s: s._fibro_token)  # the signed token above
        session._fibro_token = token
        started = time.monotonic()
        session.pull()
        pulled = time.monotonic()
        if session.document is None or not session.connected:
            raise RuntimeError(f"the page did not open: {session.error_reason} {session.error_detail}")
        self.session, self.doc = session, session.document
        connection, pop = session._connection, session._connection._pop_message
        self.ticking = False

        async def popped():  # every message from the server passes here
            message = await pop()
            if message is not None and message.msgtype == "PATCH-DOC":
                self.last_change = time.monotonic()
                self.heard += 1
                self.arrivals.append(self.last_change)
            elif message is not None and message.msgtype == "SERVER-INFO-REPLY":
                self.ticking = False
            return message

        connection._pop_message = popped
        apply = session._handle_patch

        def applied(message) -> None:
            """An update the client cannot decode (a model it never received) is counted;
            raised, it would stop the client's loop and leave this person hanging."""
            try:
                apply(message)
            except Exception as error:  # noqa: BLE001
                self.undecoded += 1
                self.last_error = f"{type(error).__name__}: {error}"

        session._handle_patch = applied
        self.undecoded = 0
        from bokeh.events import DocumentReady

        self.doc.callbacks.send_event(DocumentReady())  # what the browser says once it has drawn
        self.wait(pulled, need_update=False)  # the page's on-load work
        self.times["page open"].append(max(self.last_change, pulled) - started)

    def wait(self, started: float, need_update: bool = True, timeout: float = ACTION_TIMEOUT_S) -> None:
        """Run the client's loop until the server's first update after ``started`` (when
        ``need_update``) and then QUIET_S without one.  A server-info request keeps one
        reply in flight, so the loop wakes up to look at the clock."""
        connection = self.session._connection
        self.last_change, self.heard, self.arrivals = started, 0, []
        deadline = started + timeout
        late = []

        def done() -> bool:  # runs in the client's loop: raising here would hang the thread
            now = time.monotonic()
            if (self.heard or not need_update) and now - self.last_change >= QUIET_S:
                return True
            if now > deadline:
                late.append(now)
                return True
            if not self.ticking:
                time.sleep(0.05)
                self.ticking = True
                connection._loop.add_callback(connection.send_message,
                                              connection._protocol.create("SERVER-INFO-REQ"))
            return False

        connection._loop_until(done)
        if late:
            raise TimeoutError(f"no answer from the server for {timeout:.0f} s")
        if not self.session.connected:
            raise RuntimeError("the connection closed")

    def models(self, css: str) -> list:
        return [m for m in self.doc.models if css in (getattr(m, "css_classes", None) or [])]

    def settle(self, what: str, started: float, timeout: float = ACTION_TIMEOUT_S) -> None:
        """Wait for the server's first update after the change, then until it has been quiet
        for QUIET_S; the time is from the change to the server's last update."""
        try:
            self.wait(started, timeout=timeout)
        except TimeoutError as error:
            raise TimeoutError(f"{what}: {error}") from None
        self.times[what].append(self.last_change - started)
        self.times[what + " patches"].append([round(t - started, 3) for t in self.arrivals])
        self.times[what + " at"].append(started)  # when it began: before or after all were open

    def change(self, what: str, model, **values) -> None:
        started = time.monotonic()
        model.update(**values)
        self.settle(what, started)

    def choose_patient(self) -> None:
        from bokeh.models import Select

        select = next(m for m in self.doc.models if isinstance(m, Select) and m.title == "Patient")
        value = next(v for v, label in select.options if label == self.patient)
        if select.value != value:  # the list opens on its first patient
            self.change("patient change", select, value=value)

    def tabs(self):
        from bokeh.models import Tabs

        return next(m for m in self.doc.models if isinstance(m, Tabs)
                    and "Effects" in [p.title for p in m.tabs])

    def open_page(self, title: str, timed: bool = True) -> None:
        tabs = self.tabs()
        index = [p.title for p in tabs.tabs].index(title)
        if timed:
            self.change(f"{title} first opening", tabs, active=index)
        else:  # a page built already: the server has little or nothing to send back
            tabs.active = index
            self.wait(time.monotonic(), need_update=False)

    def toggle_pressure(self) -> None:
        """Turn off the pressure of most session markers on screen, or all back on: a change
        the page must show (a pressure without sessions in view changes nothing, and the
        server rightly sends nothing back)."""
        group = self.models("pressure-filter")[0]
        active = list(group.active)
        if len(active) < len(group.labels):
            chosen = list(range(len(group.labels)))
        else:
            from bokeh.models import ColumnDataSource

            shown = collections.Counter(
                label for source in self.doc.select({"type": ColumnDataSource})
                for label in source.data.get("pressure_label", []))
            target = group.labels.index(shown.most_common(1)[0][0]) if shown else len(active) - 1
            chosen = [i for i in active if i != target]
        started = time.monotonic()
        group.update(active=chosen)
        try:  # nothing on screen changes (no such marker in view after all): nothing comes back
            self.settle("filter update", started, timeout=NO_UPDATE_S)
        except TimeoutError:
            self.unanswered += 1

    def save(self) -> None:
        from bokeh.events import ButtonClick
        from bokeh.models import MultiChoice

        form = self.models("form-sessions")[0]
        areas = next(m for m in self.doc.select({"type": MultiChoice}) if m in form.references())
        button = next(m for m in self.models("save-button") if m in form.references())
        message = next(m for m in self.models("form-message") if m in form.references())
        areas.value = [areas.options[0] if isinstance(areas.options[0], str) else areas.options[0][0]]
        self.wait(time.monotonic(), need_update=False)
        started = time.monotonic()
        self.doc.callbacks.send_event(ButtonClick(button))
        self.settle("save", started)
        text = str(message.text)
        found = re.search(r"Saved: .* session of (\w{3} \d\d \w{3} \d{4} \d\d:\d\d)", text)
        if not found:
            raise RuntimeError(f"save not confirmed: {text[:100]}")
        self.confirmed.add((self.patient, dt.datetime.strptime(found[1], "%a %d %b %Y %H:%M")))

    def close(self) -> None:
        self.session.close()


def run_person(address, secret, cookie, patient, deadline, times, errors, confirmed,
               ready: list) -> None:
    asyncio.set_event_loop(asyncio.new_event_loop())  # bokeh.client's IOLoop, one per thread
    person = Person(address, secret, cookie, patient, times, errors, confirmed)
    try:
        person.open()
        person.choose_patient()
        person.open_page("Effects")
        person.open_page("Overview", timed=False)
        ready.append(time.monotonic())  # this person's page is open: patient, Effects, Overview
        step = 0
        while time.monotonic() < deadline:
            (person.toggle_pressure, person.toggle_pressure, person.save)[step % 3]()
            step += 1
    except Exception as error:  # noqa: BLE001 - counted and shown; the others go on
        errors.append(f"{type(error).__name__}: {str(error)[:160]}")
    finally:
        if getattr(person, "unanswered", 0):
            errors.append(f"filter changes with no update in {NO_UPDATE_S} s (nothing to show, "
                          f"or later than that; not timed): {person.unanswered}")
        if getattr(person, "undecoded", 0):
            errors.append(f"client-side: {person.undecoded} update(s) the client could not "
                          f"decode ({person.last_error[:100]})")
        try:
            person.close()
        except Exception:  # noqa: BLE001
            pass


def saves_missing(db_url: str, confirmed: set) -> int:
    """Confirmed saves (patient, minute started) with no such session in the database."""
    store = Store(db_url)
    try:
        ids = dict(zip(store.patients()["name"], store.patients()["id"]))
        missing = 0
        for patient in {p for p, _ in confirmed}:
            starts = set(store.sessions(int(ids[patient]))["start"].dt.floor("min"))
            missing += sum(1 for p, minute in confirmed if p == patient and minute not in starts)
        return missing
    finally:
        store.close()


def own_patients(therapists: list[str], count: int) -> list[tuple[str, str]]:
    """(therapist, one of the patients they log for), a different patient for each person;
    the demo's Patient i is logged for by therapist i % len(therapists)."""
    n = len(therapists)
    return [(therapists[i % n], f"Patient {i % n + n * (i // n + (i % n == 0)):03d}")
            for i in range(count)]


def empty_times() -> dict:
    """Per action: its durations, when each began, and its update messages' arrival times."""
    return {k: [] for what in ACTIONS for k in (what, what + " at", what + " patches")}


def run_group(address, secret, people, arrivals, deadline, results) -> None:
    """One client process: its share of the people, each on a thread arriving at its time
    (``time.monotonic`` is the machine's clock, the same in every process); puts what they
    measured and the process's own CPU seconds on ``results``."""
    import bokeh.client.connection as connection

    connection.HTTPRequest = _with_cookie
    load_models()
    times = empty_times()
    errors: list[str] = []
    confirmed: set = set()
    ready: list[float] = []

    def arrive(cookie, patient, at):
        time.sleep(max(0.0, at - time.monotonic()))
        run_person(address, secret, cookie, patient, deadline, times, errors, confirmed, ready)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    threads = [threading.Thread(target=arrive, args=(cookie, patient, at), daemon=True)
               for (cookie, patient), at in zip(people, arrivals)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, deadline + 2 * ACTION_TIMEOUT_S - time.monotonic()))
    if any(t.is_alive() for t in threads):
        errors.append("some sessions did not finish")
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    results.put((times, errors, confirmed, ready, cpu.ru_utime + cpu.ru_stime
                 - cpu_before.ru_utime - cpu_before.ru_stime))


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def measure(db_url: str, processes: int, sessions: int, seconds: float, therapists: list[str],
            clients: int = 4) -> dict:
    """One row: ``sessions`` people on ``processes`` app processes, driven from ``clients``
    client processes (one would hold every person's Bokeh client behind one interpreter
    lock, and the measured times would be the client's queue, not the server's)."""
    with ClinicStack(processes, db_url=db_url) as stack:
        pids = [app.pid for app in stack.apps]
        rss_before = [rss_mb(pid) for pid in pids]
        cpu_before = [cpu_seconds(pid) for pid in pids]
        cookies = {name: sign_in(stack.address, name) for name in therapists}
        people = [(cookies[who], patient) for who, patient in own_patients(therapists, sessions)]
        spawn = multiprocessing.get_context("spawn")
        results = spawn.Queue()
        # the client processes start (imports, models) before anyone's clock does
        started = time.monotonic() + 8 + 0.5 * clients
        arrivals = [started + 0.2 * i for i in range(sessions)]  # people arrive over a few seconds
        deadline = started + seconds
        groups = [spawn.Process(target=run_group, args=(
            stack.address, stack.cookie_secret, people[k::clients], arrivals[k::clients],
            deadline, results), daemon=True) for k in range(min(clients, sessions))]
        for group in groups:
            group.start()
        busy_before = None
        peak_rss = list(rss_before)
        gathered = []
        while len(gathered) < len(groups):
            if busy_before is None and time.monotonic() >= started:
                busy_before = machine_busy()
            peak_rss = [max(m, rss_mb(pid)) for m, pid in zip(peak_rss, pids)]
            try:
                gathered.append(results.get(timeout=1))
            except queue.Empty:
                if not any(g.is_alive() for g in groups):
                    break
        elapsed = time.monotonic() - started
        busy_after = machine_busy()
        cpu = sum(cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before))
        alive = [app.poll() is None for app in stack.apps]
        for group in groups:
            group.join(5)
    times = empty_times()
    errors, confirmed, ready, client_cpu = [], set(), [], 0.0
    for g_times, g_errors, g_confirmed, g_ready, g_cpu in gathered:
        for key, values in g_times.items():
            times[key].extend(values)
        errors += g_errors
        confirmed |= g_confirmed
        ready += g_ready
        client_cpu += g_cpu
    if len(gathered) < len(groups):
        errors.append(f"{len(groups) - len(gathered)} client process(es) ended without results")
    busy = (busy_after[0] - busy_before[0]) / (busy_after[1] - busy_before[1]) * os.cpu_count() \
        if busy_before else float("nan")
    all_open = max(ready) if len(ready) == sessions else None
    return {"processes": processes, "sessions": sessions, "times": times, "errors": errors,
            "all open": all_open, "all open after": None if all_open is None else all_open - started,
            "confirmed": len(confirmed), "missing": saves_missing(db_url, confirmed),
            "cpu_per_session": cpu / sessions, "cpu_share": cpu / elapsed,
            "client_share": client_cpu / elapsed, "machine_busy": busy, "clients": len(groups),
            "mb_per_session": (sum(peak_rss) - sum(rss_before)) / sessions,
            "rss": peak_rss, "elapsed": elapsed, "alive": all(alive), "started": started}


def quantiles(values: list[float]) -> str:
    if not values:
        return "–"
    p95 = statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]
    return f"{statistics.median(values):.2f} / {p95:.2f} ({len(values)})"


def print_header(seconds: float) -> None:
    print(f"\nSeconds, median / p95 (n); {seconds:.0f} s a row; Bokeh client sessions "
          "through nginx; a change is done when the server has been quiet for "
          f"{QUIET_S} s (that half second is not counted); saves confirmed = distinct "
          "(patient, minute) sessions the page said were saved")
    print("| sessions | processes | load before | page open | patient change | filter update "
          "| Effects first | save | errors | saves confirmed | not landed "
          "| app CPU s per session | CPU share | MB per session "
          "| all open after s | filter update, all open | save, all open "
          "| client processes | client CPU share | machine busy, cores |")
    print("|" + "---|" * 20, flush=True)


def after_all_open(r: dict, what: str) -> list[float]:
    """The times of the actions begun once every person's page was open (the issue's "with
    20 open"); the others were queued behind later arrivals' page opens."""
    if r["all open"] is None:
        return []
    return [d for d, at in zip(r["times"][what], r["times"][what + " at"]) if at >= r["all open"]]


def print_row(r: dict) -> None:
    t = r["times"]
    print(f"| {r['sessions']} | {r['processes']} | {r['load']} | {quantiles(t['page open'])} "
          f"| {quantiles(t['patient change'])} | {quantiles(t['filter update'])} "
          f"| {quantiles(t['Effects first opening'])} "
          f"| {quantiles(t['save'])} | {len(r['errors'])} | {r['confirmed']} | {r['missing']} "
          f"| {r['cpu_per_session']:.1f} | {r['cpu_share']:.2f} | {r['mb_per_session']:.0f} "
          f"| {'–' if r['all open'] is None else format(r['all open after'], '.1f')} "
          f"| {quantiles(after_all_open(r, 'filter update'))} "
          f"| {quantiles(after_all_open(r, 'save'))} "
          f"| {r['clients']} | {r['client_share']:.2f} | {r['machine_busy']:.2f} |", flush=True)
    for error in sorted(set(r["errors"]))[:5]:
        print(f"  ({r['sessions']} sessions, {r['processes']} processes) {error}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--sessions", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--seconds", type=float, default=120, help="per row")
    parser.add_argument("--rows", nargs="+", help="sessions x processes [x client processes], e.g. 20x1 "
                        "20x2 50x4 20x2x1 (instead of every --sessions with every --processes)")
    parser.add_argument("--clients", type=int, default=4, help="client processes the people "
                        "are spread over (1: all on one interpreter, as before 2026-12-06)")
    parser.add_argument("--raw", help="a file to add every row's timings to (JSON lines)")
    parser.add_argument("--db", help="a PostgreSQL URL holding the demo clinic already (written "
                        "with the same --patients, --days and PASSWORD): no throwaway server, "
                        "no minute of writing")
    args = parser.parse_args(argv)

    therapists = therapist_names(5)
    rows = [(*(int(n) for n in row.split("x")), args.clients)[:3] for row in args.rows] \
        if args.rows else [(sessions, processes, args.clients) for sessions in args.sessions
                           for processes in args.processes]
    with contextlib.ExitStack() as stack:
        db_url = args.db
        if db_url is None:
            db_url = stack.enter_context(ThrowawayPostgres()).create_database("clinic")
            store = Store(db_url)
            started = time.perf_counter()
            write_clinic(store, patients=args.patients, days=args.days, therapists=5,
                         password=PASSWORD)
            store.close()
            print(f"demo clinic: {args.patients} patients x {args.days} days, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        print_header(args.seconds)
        for sessions, processes, clients in rows:
            with open("/proc/loadavg") as f:
                load = f.read().split()[0]
            row = measure(db_url, processes, sessions, args.seconds, therapists, clients)
            row["load"] = load
            print_row(row)
            if args.raw:  # every timing with when it began, seconds from the first arrival
                import json

                start = row["started"]
                Path(args.raw).open("a").write(json.dumps({
                    "row": f"{sessions}x{processes}x{clients}",
                    "all_open": row["all open after"],
                    "times": {what: list(zip([round(a - start, 3) for a in row["times"][what + " at"]],
                                             [round(d, 3) for d in row["times"][what]],
                                             row["times"][what + " patches"]))
                              for what in ACTIONS}}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
