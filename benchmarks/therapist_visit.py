"""A therapist's visit beside the patient's own Overview visit, on the same diary.

``python benchmarks/therapist_visit.py`` writes one patient's demo diary (``--days`` 1095)
into a temporary SQLite store with a patient account and a therapist (``log`` grant, their
last session two weeks ago), then serves it twice: ``fibro serve --hosted`` (the
therapist's side) and ``panel serve dashboard/app.py`` (the patient's own dashboard, the
same file).  Headless Chromium then alternates ``--rounds`` visits of each, after one
warm-up visit of each that is not counted:

* therapist: the signed-in therapist opens ``/app`` (the sign-in cookie is made once, so
  the visit is the page and not Argon2); ready when the document is idle, the "Since last
  visit" view shows all its parts and nothing has changed for 0.3 s;
* patient: ``/app`` until the Overview's three plots have drawn data and the document is idle.

Per visit it reads the serving process's CPU time (user + system, ``/proc``) before the
visit and after the page has been left and the server has had ``--settle`` seconds, and
the time from navigation to ready.  It prints the medians and the ratios therapist /
patient, and, separately, the server CPU of one sign-in (the form post, Argon2 included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from clinic_load import cpu_seconds  # noqa: E402
from run import OFFSITE, PAGE_JS, QUIET_MS, TIMEOUT_MS, chromium  # noqa: E402

from tests.ui.conftest import Server  # noqa: E402

from dashboard.accounts import Accounts  # noqa: E402
from dashboard.demo import write_demo  # noqa: E402
from dashboard.records import MassageSession  # noqa: E402
from dashboard.store import Store  # noqa: E402

PASSWORD = "visit benchmark password"
PATIENT, THERAPIST = "pat", "lee"

# The therapist's first screen is ready when the document is idle, the visit view holds
# its last part and no model has changed for ``quiet`` ms.
VISIT_READY_JS = """(quiet) => {
  const doc = window.Bokeh && Bokeh.documents.length ? Bokeh.documents[0] : null;
  if (doc === null || !doc.is_idle) return false;
  window.fibroNoteChanges();
  const text = [...doc._all_models.values()].filter(m => (m.css_classes || []).includes('visit-rest'))
    .map(m => String(m.text || '')).join(' ');
  if (!text.includes('Latest scores')) return false;
  window.fibroVisitSeen ??= performance.now();
  const last = Math.max(window.fibroLastChange, window.fibroVisitSeen);
  if (performance.now() - last < quiet) return false;
  window.fibroVisitReadyAt ??= last;
  return true;
}"""


def write_store(folder: Path, days: int) -> Path:
    path = folder / "clinic.sqlite"
    store = Store(path)
    write_demo(store, patient=PATIENT, days=days)
    pid = store.ensure_patient(PATIENT)
    today = dt.datetime.combine(dt.date.today(), dt.time(10))
    store.save(pid, [MassageSession(start=today - dt.timedelta(days=d), duration_min=45,
                                    pressure="moderate", areas=("neck", "shoulders"),
                                    therapist=THERAPIST, pain_before=6, pain_after=4)
                     for d in (28, 14)])
    accounts = Accounts(store)
    accounts.add_user(PATIENT, "patient", PASSWORD)
    accounts.add_user(THERAPIST, "therapist", PASSWORD)
    accounts.add_grant(PATIENT, THERAPIST, "log")
    store.close()
    return path


def served(command: list[str], db: Path, log: Path, checkout: Path = ROOT) -> Server:
    """A server of ``checkout``'s code (its folder first on the path) on a free local port."""
    return Server(db, log, command, env={"PYTHONPATH": str(checkout)}, cwd=checkout)


def cpu(server: Server) -> float:
    return cpu_seconds(server.process.pid)


def signed_in_state(browser, hosted: Server) -> tuple[dict, float]:
    """The therapist's cookies after one sign-in, and the server CPU of that form post (the
    redirect to the page is not followed)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(hosted.url.replace("/app", "/login"))
    page.fill("#name", THERAPIST)
    page.fill("#password", PASSWORD)
    context.route("**/app", lambda route: route.abort())
    before = cpu(hosted)
    with page.expect_request("**/app"):
        page.click("button[type=submit]")
    used = cpu(hosted) - before
    state = context.storage_state()
    context.close()
    return state, used


def visit(browser, server: Server, ready_js: str, ready_at: str, settle: float,
          state: dict | None = None) -> tuple[float, float]:
    """(server CPU seconds, seconds from navigation to ready) of one fresh visit."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  **({"storage_state": state} if state else {}))
    context.route(OFFSITE, lambda route: route.abort())
    context.add_init_script(PAGE_JS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    before = cpu(server)
    page.goto(server.url, wait_until="commit")
    page.wait_for_function(ready_js, arg=QUIET_MS, polling=50)
    ready = page.evaluate(ready_at) / 1000
    page.goto("about:blank")
    context.close()
    time.sleep(settle)
    return cpu(server) - before, ready


PERSONAL_READY = "(quiet) => window.fibroReady()"
# The view before its lower part was built after the page's arrival: one pane, 'visit-view'.
BEFORE_READY_JS = VISIT_READY_JS.replace("'visit-rest'", "'visit-view'")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--settle", type=float, default=1.5,
                        help="seconds after leaving a page before its CPU is read")
    parser.add_argument("--before", type=Path, default=None, metavar="CHECKOUT",
                        help="also serve the therapist's side from this checkout (e.g. an older "
                             "version unpacked with git archive) and alternate its visits too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        db = write_store(Path(folder), args.days)
        serve_hosted = [sys.executable, "-m", "dashboard.cli", "serve", "--hosted", "--db", "{db}",
                        "--port", "{port}"]
        hosted = served(serve_hosted, db, Path(folder) / "hosted.log")
        servers = [hosted]
        if args.before is not None:
            servers.append(served(serve_hosted, db, Path(folder) / "before.log",
                                  checkout=args.before.resolve()))
        personal = served([sys.executable, "-m", "panel", "serve", "dashboard/app.py", "--port",
                           "{port}", "--address", "127.0.0.1", "--allow-websocket-origin",
                           "127.0.0.1:{port}"], db, Path(folder) / "personal.log")
        servers.append(personal)
        try:
            for server in servers:
                server.wait_until_up()
            with chromium() as browser:
                state, signin_cpu = signed_in_state(browser, hosted)
                visits = {"therapist": lambda: visit(browser, hosted, VISIT_READY_JS,
                                                     "window.fibroVisitReadyAt", args.settle, state),
                          "patient": lambda: visit(browser, personal, PERSONAL_READY,
                                                   "window.fibroReadyAt", args.settle)}
                if args.before is not None:
                    before_state, _ = signed_in_state(browser, servers[1])
                    visits["therapist, before"] = lambda: visit(
                        browser, servers[1], BEFORE_READY_JS, "window.fibroVisitReadyAt",
                        args.settle, before_state)
                for run in visits.values():
                    run()  # warm-up: first imports and caches of each process
                rows: dict[str, list[tuple[float, float]]] = {who: [] for who in visits}
                for _ in range(args.rounds):
                    for who, run in visits.items():
                        rows[who].append(run())
        finally:
            for server in servers:
                server.stop()
                if server.problems():
                    print(f"{server.log_path}: {server.problems()[:3]}", file=sys.stderr)
    load = os.getloadavg()[0]
    med = {who: (statistics.median(c for c, _ in v), statistics.median(r for _, r in v))
           for who, v in rows.items()}
    print(f"\n{args.rounds} visits of each, alternated, {args.days}-day diary, load {load:.1f}")
    print("| visit | server CPU s (median, min-max) | ready s (median, min-max) |")
    print("|---|---|---|")
    for who, values in rows.items():
        cpu, ready = [c for c, _ in values], [r for _, r in values]
        print(f"| {who} | {med[who][0]:.2f} ({min(cpu):.2f}-{max(cpu):.2f}) "
              f"| {med[who][1]:.2f} ({min(ready):.2f}-{max(ready):.2f}) |")
    for who in rows:
        if who != "patient":
            print(f"| ratio {who} / patient | {med[who][0] / med['patient'][0]:.2f}x "
                  f"| {med[who][1] / med['patient'][1]:.2f}x |")
    print(f"\nOne sign-in (the form post alone, Argon2 included): {signin_cpu:.2f} s server CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
