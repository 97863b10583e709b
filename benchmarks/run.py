"""Time the dashboard on ten years of one patient's demo diary and print a table.

``python benchmarks/run.py`` serves the app on a temporary store, times first
render and filter changes in headless Chromium, times the Python side in this
process, and adds the rows of ``bench_import.run()`` when that module is there.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.demo import write_demo  # noqa: E402
from dashboard.session import DiarySession, demo_db_path  # noqa: E402
from dashboard.store import Store  # noqa: E402
from dashboard.ui.datastore import DataStore  # noqa: E402

DAYS = 3650
SEED = 3
CHROMIUM = os.environ.get("FIBRO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 120_000
QUIET_MS = 300
OFFSITE = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/])")

# Installed before the page's scripts.  Plots are found through their live views: after
# a rebuild the replaced figures linger for a while in the document's all_models.
# fibroReady() notes (once) when the document is idle and three titled plots have drawn
# data; fibroWatch() notes every data-source change and the animation frame after it,
# and the time of the latest click.
PAGE_JS = """
window.fibroPlotViews = () => [...Bokeh.index.all_views()].filter(
  v => v.model.x_range && v.model.title && v.model.title.text && v.model.type === 'Figure'
       && v.model.title.text !== '' && !String(v.model.name || '').endsWith('-figure'));
window.fibroLastChange = 0;
window.fibroNoteChanges = () => {
  const doc = Bokeh.documents[0];
  if (!doc.fibroNoted) { doc.fibroNoted = true; doc.on_change(() => { window.fibroLastChange = performance.now(); }); }
};
window.fibroReadyAt = null;
window.fibroReady = () => {
  const doc = window.Bokeh && Bokeh.documents.length ? Bokeh.documents[0] : null;
  if (doc === null || !doc.is_idle) return false;
  const views = window.fibroPlotViews();
  const ok = views.length === 3 && views.every(v => v.has_finished()
      && v.model.renderers.some(r => r.data_source && r.data_source.get_length() > 0));
  if (ok && window.fibroReadyAt === null) window.fibroReadyAt = performance.now();
  return ok;
};
window.fibroWatch = () => {
  const doc = Bokeh.documents[0];
  window.fibroSources = {count: 0, last: 0, painted: 0};
  doc.on_change(event => {
    if (!event.model || event.model.type !== 'ColumnDataSource') return;
    const s = window.fibroSources;
    s.count += 1;
    s.last = performance.now();
    requestAnimationFrame(() => { s.painted = performance.now(); });
  });
  document.addEventListener('pointerdown', () => { window.fibroClickAt = performance.now(); }, true);
  document.addEventListener('keydown', () => { window.fibroClickAt = performance.now(); }, true);
};
window.fibroShading = () => {
  const rows = {};
  for (const plot of window.fibroPlotViews().map(view => view.model)) {
    const shading = plot.renderers.filter(r => r.name === 'after-session-days');  // plots.BANDS_NAME
    rows[plot.title.text] = shading.reduce((n, r) => n + r.data_source.get_length(), 0);
  }
  return rows;
};
"""

ALL_YEARS_JS = """(years) => {
  if (!window.fibroReady()) return false;
  const plot = window.fibroPlotViews()[0].model;
  const shown = (plot.x_range.end - plot.x_range.start) / (365.25 * 864e5);
  if (shown < years && window.fibroWideAt === undefined) return false;
  window.fibroWideAt ??= performance.now();
  return true;
}"""

# Any data change after the latest click or key press, then quiet (an area or a day
# changes the lines and markers; the shading may stay the same).
CHANGED_JS = """(quiet) => {
  const s = window.fibroSources;
  return s.last > window.fibroClickAt && performance.now() - s.last > quiet;
}"""

UPDATED_JS = """([before, quiet]) => {
  const now = window.fibroShading();
  const s = window.fibroSources;
  return Object.keys(before).every(title => now[title] !== before[title])
    && s.last > window.fibroClickAt && performance.now() - s.last > quiet;
}"""


@dataclass
class Row:
    what: str
    times: list[float]

    def cells(self) -> list[str]:
        t = self.times
        if not t:  # a part skipped with a count of 0
            return [self.what, "0", "-", "-", "-"]
        return [self.what, str(len(t)), f"{statistics.median(t):.3f}", f"{min(t):.3f}",
                f"{max(t):.3f}"]


def timed(func, n: int) -> list[float]:
    """Wall-clock seconds of ``n`` calls of ``func``."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def write_store(folder: Path) -> Path:
    """An empty own store beside a ten-year demo diary; returns the own store's path."""
    own = folder / "fibro.sqlite"
    Store(own).close()
    demo = Store(demo_db_path(own))
    write_demo(demo, days=DAYS, seed=SEED)
    demo.close()
    return own


def python_rows(own: Path) -> list[Row]:
    """Reading ten years from the store, and the summary row's computation."""
    store = Store(demo_db_path(own))
    pid = int(store.patients()["id"].iloc[0])
    rows = [Row(f"store.{name}() ten years", timed(lambda f=getattr(store, name): f(pid), 5))
            for name in ("daily", "sessions", "doses")]
    data = DataStore(DiarySession(store))
    rows.append(Row("DataStore.summary() default window", timed(data.summary, 5)))
    data.filters.date_range = data.filters.param.date_range.bounds
    rows.append(Row("DataStore.summary() all ten years", timed(data.summary, 5)))
    rows.append(Row("Effects computation, all ten years, cold", timed(lambda: cold_effects(data), 3)))
    store.close()
    return rows


def cold_effects(data: DataStore) -> None:
    """The Effects page's computation (the effects service, which keeps no cache) on the
    whole diary."""
    from dashboard import domain
    from dashboard.effects import compute_effects

    diary = data.diary
    compute_effects(diary.daily, diary.sessions, diary.doses, tuple(domain.PRESSURES), ())


# --- the PDF report (issue 12) -----------------------------------------------------

def report_rows(own: Path, n: int = 3) -> list[Row]:
    """``fibro report``'s work in process: read the store, gather and render the report of
    the last 90 days and of all ten years; the label gives each one's pages and size."""
    import io

    from dashboard.report import render_pdf, report_from_session
    from dashboard.report.content import diary_span

    store = Store(demo_db_path(own))
    pid, name = int(store.patients()["id"].iloc[0]), str(store.patients()["name"].iloc[0])
    first, last = diary_span(store.daily(pid), store.sessions(pid), store.doses(pid))
    rows = []
    for label, start in (("last 90 days", None), (f"all {DAYS} days", first)):
        made = {}

        def render(start=start, made=made):
            made["pdf"] = io.BytesIO()
            session = DiarySession(store)  # a new one, as each ``fibro report`` makes
            made["pages"] = render_pdf(report_from_session(session, pid, name, start=start,
                                                           end=last), made["pdf"])

        times = timed(render, n)
        size = len(made["pdf"].getvalue()) // 1024
        rows.append(Row(f"report PDF, {label} ({made['pages']} pages, {size} kB)", times))
    store.close()
    return rows


class Server:
    """``panel serve dashboard/app.py`` on a free local port."""

    def __init__(self, db: Path, log_path: Path):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/app"
        self.log_path = log_path
        self._log = open(log_path, "w")
        env = {**os.environ, "FIBRO_DB": str(db), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "panel", "serve", "dashboard/app.py", "--port", str(port),
             "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}",
             # closed sessions are dropped within a second or two, so memory can be read
             "--check-unused-sessions", "1000", "--unused-session-lifetime", "1000"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_until_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"panel serve exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url, timeout=60):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"panel serve did not answer; see {self.log_path}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def open_page(browser, url: str):
    """A fresh context and page, drawn; the context is the caller's to close."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(OFFSITE, lambda route: route.abort())
    context.add_init_script(PAGE_JS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.fibroReady()", polling="raf")
    return context, page


def leave(context, page) -> None:
    """Close a page only after the server has sent all its updates."""
    page.wait_for_function(
        "(quiet) => !window.fibroSources || performance.now() - window.fibroSources.last > quiet",
        arg=QUIET_MS)
    page.goto("about:blank")
    context.close()


def time_toggles(page, button, n: int) -> list[float]:
    """Seconds from pressing ``button`` until the shading of all three plots changed and drew."""
    times = []
    for _ in range(n):
        before = page.evaluate("window.fibroShading()")
        button.click()
        page.wait_for_function(UPDATED_JS, arg=[before, QUIET_MS])
        times.append(page.evaluate("() => (window.fibroSources.painted - window.fibroClickAt) / 1000"))
    if n % 2:
        button.click()
        page.wait_for_function(UPDATED_JS, arg=[page.evaluate("window.fibroShading()"), QUIET_MS])
    return times


def time_changes(page, act, n: int) -> list[float]:
    """Seconds from each ``act(i)`` (a click or key press) until the plots' data changed and
    were painted."""
    times = []
    for i in range(n):
        act(i)
        page.wait_for_function(CHANGED_JS, arg=QUIET_MS)
        times.append(page.evaluate("() => (window.fibroSources.painted - window.fibroClickAt) / 1000"))
    return times


def choose_area(page, i: int) -> None:
    """Add "Neck" to the body-area filter (even ``i``) or take it off again (odd)."""
    if i % 2 == 0:
        page.locator(".area-filter input").first.click()
        page.locator(".choices__item--choice", has_text="Neck").first.click()
        page.keyboard.press("Escape")
    else:
        page.locator(".area-filter .choices__button").first.click()


def move_first_day(page, i: int) -> None:
    """Move the first day shown on by one day with the keyboard (back again on odd ``i``)."""
    handle = page.locator(".noUi-handle-lower").first
    handle.focus()
    handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")


def show_all_years(page) -> float:
    """Drag the date slider's left handle to the start, in one move; seconds until all redrawn."""
    handle = page.locator(".noUi-handle-lower").bounding_box()
    track = page.locator(".noUi-base").bounding_box()
    y = handle["y"] + handle["height"] / 2
    page.mouse.move(handle["x"] + handle["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(track["x"] - 20, y)
    page.mouse.up()
    page.wait_for_function(ALL_YEARS_JS, arg=DAYS / 365.25 - 0.5, polling="raf")
    return page.evaluate("() => (window.fibroWideAt - window.fibroClickAt) / 1000")


@contextlib.contextmanager
def chromium():
    """Headless Chromium (Debian's, when there) for the browser rows; closed after."""
    from playwright.sync_api import sync_playwright

    launch = {"args": CHROMIUM_ARGS}
    if Path(CHROMIUM).exists():
        launch["executable_path"] = CHROMIUM
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch)
        try:
            yield browser
        finally:
            browser.close()


def browser_rows(url: str, loads: int, toggles: int, wide_toggles: int, pid: int | None = None,
                 openings: int = 2, open_sessions: int = 5, visits: int = 50) -> list[Row]:
    """First render of fresh page loads, pressure toggles, then the same with all years shown;
    each page's first opening; the server's memory per session and over ``visits`` visits."""
    with chromium() as browser:
        first_render = []
        for _ in range(loads):
            context, page = open_page(browser, url)
            first_render.append(page.evaluate("window.fibroReadyAt") / 1000)
            leave(context, page)

        context, page = open_page(browser, url)
        page.evaluate("window.fibroWatch()")
        deep = page.locator(".pressure-filter").get_by_role("button", name="Deep", exact=True)
        changes = time_toggles(page, deep, toggles)
        areas = time_changes(page, lambda i: choose_area(page, i), toggles)
        days = time_changes(page, lambda i: move_first_day(page, i), toggles)
        widen = show_all_years(page)
        wide_changes = time_toggles(page, deep, wide_toggles)
        leave(context, page)
        pages = first_openings(browser, url, openings) if openings else []
        memory = (memory_rows(browser, url, pid, open_sessions, visits)
                  if pid is not None and visits >= 10 else [])
    rows = [Row("browser: first render (navigation -> 3 plots drawn)", first_render),
            Row("browser: toggle 'Deep' -> all plots updated", changes),
            Row("browser: add/remove a body area -> plots updated", areas),
            Row("browser: first day shown +/- 1 day (keyboard) -> plots updated", days),
            Row("browser: date slider to all 10 years -> 3 plots drawn", [widen])]
    if wide_changes:
        rows.append(Row("browser: toggle 'Deep', 10 years shown -> all updated", wide_changes))
    return rows + pages + memory


# --- the other pages' first opening (issue 10) --------------------------------------------

def opening_rows(url: str, rounds: int) -> list[Row]:
    """Only the pages' first openings, in a browser of their own."""
    with chromium() as browser:
        return first_openings(browser, url, rounds)


# What shows that a page is usable, once its tab is clicked.
PAGES = {"Effects": [".effects-table", ".effects-events"], "Log": [".save-button", ".history-daily"],
         "Scores": [".wpi-checkboxes"], "Import": [".import-file"]}

USABLE_JS = """([selectors, quiet]) => {
  const visible = sel => { let found = false; const walk = root => root.querySelectorAll('*').forEach(el => {
      if (!found && el.matches(sel) && el.getBoundingClientRect().height > 0) found = true;
      if (!found && el.shadowRoot) walk(el.shadowRoot); });
    walk(document); return found; };
  const doc = Bokeh.documents[0];
  if (!doc.is_idle || !selectors.every(visible)) return false;
  window.fibroUsableAt ??= performance.now();
  return performance.now() - Math.max(window.fibroLastChange, window.fibroUsableAt) > quiet;
}"""


def first_openings(browser, url: str, rounds: int) -> list[Row]:
    """Seconds from clicking a page's tab (first time in a session) until it is usable: its
    parts are on screen and the server has sent its last update (then quiet for 0.3 s)."""
    times = {title: [] for title in PAGES}
    for _ in range(rounds):
        for title, selectors in PAGES.items():
            context, page = open_page(browser, url)
            page.evaluate("window.fibroNoteChanges()")
            page.evaluate("window.fibroUsableAt = null")
            page.locator(".bk-tab", has_text=title).first.click()
            clicked = page.evaluate("performance.now()")
            page.wait_for_function(USABLE_JS, arg=[selectors, QUIET_MS], polling=100)
            done = page.evaluate("Math.max(window.fibroUsableAt, window.fibroLastChange)")
            times[title].append((done - clicked) / 1000)
            page.goto("about:blank")
            context.close()
    return [Row(f"browser: first opening of {title} -> usable", t) for title, t in times.items()]


# --- memory of the server per session and over many visits (issue 10) ----------------------

def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


def settle(pid: int, seconds: float = 4.0) -> float:
    """The server's RSS once closed sessions have been cleaned up (it checks every second)."""
    time.sleep(seconds)
    return rss_mb(pid)


def memory_rows(browser, url: str, pid: int, open_sessions: int, visits: int) -> list[Row]:
    """RSS growth per open session, and RSS after ``visits`` visits with every session closed."""
    for _ in range(2):  # warm up: imports, caches
        context, page = open_page(browser, url)
        page.goto("about:blank")
        context.close()
    base = settle(pid)
    pages = [open_page(browser, url) for _ in range(open_sessions)]
    held = rss_mb(pid)
    for context, page in pages:
        page.goto("about:blank")
        context.close()
    after_close = settle(pid)
    samples = {}
    for visit in range(1, visits + 1):
        context, page = open_page(browser, url)
        page.goto("about:blank")
        context.close()
        if visit in (10, visits):
            samples[visit] = settle(pid)
    return [Row(f"server RSS MB per open session ({open_sessions} open)",
                [(held - base) / open_sessions]),
            Row(f"server RSS MB after they closed, minus before (baseline {base:.0f} MB)",
                [after_close - base]),
            Row(f"server RSS MB growth from visit 10 to visit {visits} (sessions closed)",
                [samples[visits] - samples[10]])]


# --- side by side with a bare Panel app (../shared/bench/pair.py) ---------------------------

PAIR = ROOT.parent / "shared" / "bench" / "pair.py"


def pair_table(rounds: int, days: int = DAYS) -> list[list[str]]:
    """pair.py's medians for the dashboard and the bare app, in one run, and their ratios."""
    done = subprocess.run([sys.executable, str(PAIR), "--rounds", str(rounds), "--days", str(days)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    ours, bare, ratio = result["project"], result["baseline"], result["ratio"]
    rows = [["what", "dashboard", "bare app", "ratio"]]
    for key, what, scale, unit in (("first3_ms", "navigation -> three plots on screen", 1e-3, "s"),
                                   ("click_ms", "pressure click -> last plot repainted", 1e-3, "s"),
                                   ("visit_cpu_s", "server CPU per visit", 1, "s")):
        rows.append([what, f"{ours[key] * scale:.2f} {unit}", f"{bare[key] * scale:.2f} {unit}",
                     f"{ratio[key]:.2f}x"])
    rows.append([f"(load {result['load']:.1f}, {rounds} rounds, {days} days)", "", "", ""])
    return rows


def import_rows() -> list[Row]:
    """The rows of the sibling ``bench_import.run()``, when that module exists."""
    path = Path(__file__).with_name("bench_import.py")
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location("bench_import", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = []
    for result in module.run():
        label = f"import {result.get('kind', '?')} ({result.get('rows', '?')} rows)"
        for key, value in result.items():
            if key.endswith("_s") and not key.endswith("per_s"):
                rows.append(Row(f"{label}: {key[:-2].replace('_', ' ')}", [float(value)]))
    return rows


def print_table(rows: list[Row]) -> None:
    print_cells([["what", "n", "median s", "min s", "max s"]] + [row.cells() for row in rows])


def print_cells(cells: list[list[str]]) -> None:
    header = cells[0]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    for k, line in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=3, help="fresh page loads to time")
    parser.add_argument("--toggles", type=int, default=5, help="pressure-button clicks to time")
    parser.add_argument("--wide-toggles", type=int, default=2,
                        help="pressure-button clicks to time with all ten years shown")
    parser.add_argument("--openings", type=int, default=2,
                        help="rounds of first openings of Effects, Log, Scores and Import")
    parser.add_argument("--open-sessions", type=int, default=5,
                        help="sessions held open to measure the server's memory per session")
    parser.add_argument("--visits", type=int, default=50,
                        help="visits after which the server's memory should not have grown")
    parser.add_argument("--pair-rounds", type=int, default=3,
                        help="rounds of ../shared/bench/pair.py (dashboard vs bare app; 0: skip)")
    parser.add_argument("--no-import", action="store_true", help="skip bench_import rows")
    parser.add_argument("--openings-only", action="store_true",
                        help="time only the first openings of Effects, Log, Scores and Import")
    parser.add_argument("--report-only", action="store_true",
                        help="time only the PDF report (90 days and ten years), no browser")
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        own = write_store(Path(tmp))
        rows.append(Row(f"write demo diary ({DAYS} days)", [time.perf_counter() - started]))
        if args.report_only:
            print_table(rows + report_rows(own))
            return
        if not args.openings_only:
            rows += python_rows(own)
            rows += report_rows(own)
        server = Server(own, Path(tmp) / "server.log")
        try:
            server.wait_until_up()
            if args.openings_only:
                print_table(rows + opening_rows(server.url, args.openings))
                return
            rows += browser_rows(server.url, args.loads, args.toggles, args.wide_toggles,
                                 server.process.pid, args.openings, args.open_sessions,
                                 args.visits)
        finally:
            server.stop()
    if not args.no_import:
        rows += import_rows()
    print_table(rows)
    if args.pair_rounds and PAIR.exists():
        print()
        print_cells(pair_table(args.pair_rounds))


if __name__ == "__main__":
    main()
