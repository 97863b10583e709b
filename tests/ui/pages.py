"""What the browser tests see and do: page objects and helpers shared by the modules of
``tests/ui`` (the served app itself comes from ``conftest.py``).

* stores: a person's own few days (``write_own_store``), a demo beside an empty store,
  reading a store back;
* ``LogUI``: one tab on the Log page (forms, histories, what went wrong in the tab);
* ``Dashboard``: one tab on the Overview, its three linked plots read from the live Bokeh
  document;
* hosted mode: signing in, waiting for the dashboard, the document's data as text.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from dashboard.demo import write_demo
from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.session import demo_db_path
from dashboard.store import Store
from dashboard.ui.plots import SPAN_COLOR
from dashboard.ui.rating import NOT_RECORDED

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 90_000  # two cores, other test suites running beside this one
PASSWORD = "a long test password"
# The page reloading onto the own diary closes its websocket while the server still writes to
# it and handles the browser's last 'href' patch: Tornado and Bokeh log tracebacks (now and then).
RELOAD_RACE = re.compile(r"WebSocketClosedError|assert self\._session is not None")
DEMO_LAST_DAY = dt.date(2026, 6, 30)  # the demo diary ends long before any day the tests save
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2,
         "user_agent": ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                        "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")}
DESKTOP = {"viewport": {"width": 1400, "height": 1000}}

expect.set_options(timeout=TIMEOUT_MS)


# --- stores and the Log page --------------------------------------------------

# The element that has the keyboard focus, looked up through the shadow roots Bokeh uses,
# with the label of its field (a button group's label is the HTML pane just before it, a
# radio group's the element naming it).
FOCUS_JS = """() => {
  let leaf = document.activeElement;
  while (leaf && leaf.shadowRoot && leaf.shadowRoot.activeElement) leaf = leaf.shadowRoot.activeElement;
  if (!leaf || leaf === document.body) return null;
  const hosts = [];
  for (let host = leaf.getRootNode().host; host; host = host.getRootNode().host) hosts.push(host);
  const form = hosts.find(h => [...h.classList].some(c => c.startsWith('form-')));
  let label = leaf.labels && leaf.labels.length ? leaf.labels[0].textContent : '';
  const group = leaf.closest('[role=radiogroup]');  // a rating: its label is in its own root
  if (!label && group) label = leaf.getRootNode().getElementById(group.getAttribute('aria-labelledby')).textContent;
  for (let prev = hosts.length ? hosts[0].previousElementSibling : null; !label && prev;
       prev = prev.previousElementSibling) {
    const found = prev.shadowRoot && prev.shadowRoot.querySelector('.group-label');
    if (found) label = found.textContent;
  }
  const own = leaf.getRootNode().querySelector ? leaf.getRootNode().querySelector('label') : null;
  if (!label && own) label = own.textContent;
  return {text: (leaf.textContent || '').trim(), label: label.trim(),
          form: form ? [...form.classList].find(c => c.startsWith('form-')) : null};
}"""


def days_ago(n: int) -> dt.date:
    return dt.date.today() - dt.timedelta(days=n)


def own_records() -> list:
    """A few days of a person's own diary: check-ins of the last three days, a massage, a dose."""
    checkins = [DailyCheckin(date=days_ago(n), pain=4 + n, sleep_hours=6.5, sleep_quality=5,
                             fatigue=6, notes=f"day {n}") for n in (1, 2, 3)]
    session = MassageSession(start=dt.datetime.combine(days_ago(3), dt.time(10, 0)), duration_min=60,
                             pressure="light", areas=("neck",), therapist="Ana", pain_before=6,
                             pain_after=4)
    dose = MedicationDose(time=dt.datetime.combine(days_ago(2), dt.time(8, 0)), name="Paracetamol",
                          drug_class="simple_analgesic", dose=500, unit="mg")
    return [*checkins, session, dose]


def write_own_store(path: Path) -> Path:
    store = Store(path)
    store.save_by_name({"Me": own_records()})
    store.close()
    return path


def write_empty_store(path: Path) -> Path:
    """An empty own store with a small demo diary beside it, so the app shows the demo."""
    Store(path).close()
    demo = Store(demo_db_path(path))
    write_demo(demo, days=90, seed=5, end=DEMO_LAST_DAY)
    demo.close()
    return path


def read_store(path: Path) -> dict[str, pd.DataFrame]:
    """The only patient's three tables, as the store returns them."""
    store = Store(path)
    try:
        patients = store.patients()
        if patients.empty:
            return {"daily": pd.DataFrame(), "sessions": pd.DataFrame(), "doses": pd.DataFrame()}
        assert len(patients) == 1, f"expected one patient, found {list(patients['name'])}"
        pid = int(patients["id"].iloc[0])
        return {"daily": store.daily(pid), "sessions": store.sessions(pid), "doses": store.doses(pid)}
    finally:
        store.close()


def row_of_day(daily: pd.DataFrame, day: dt.date) -> pd.Series:
    rows = daily[daily["date"] == pd.Timestamp(day)]
    assert len(rows) == 1, f"expected one check-in of {day}, found {len(rows)}"
    return rows.iloc[0]


def radio_name(value) -> str:
    """How a rating's option is named: its figure, or "not recorded" for the dash."""
    return NOT_RECORDED if value is None else str(value)


def flatpickr_label(day: dt.date) -> str:
    """How the calendar names a day for assistive technology ("November 5, 2026")."""
    return f"{day:%B} {day.day}, {day.year}"


# --- the page -------------------------------------------------------------------------


class LogUI:
    """One browser tab on the served app: the Log page's forms and histories, and what went wrong."""

    def __init__(self, page: Page, url: str):
        self.page, self.url = page, url
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.failed_requests: list[str] = []
        self.last_frame = time.monotonic()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame_received))
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(
            f"{m.text} (at {m.location.get('url')})"))
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", lambda r: self.failed_requests.append(f"{r.url} ({r.failure})"))

    def _frame_received(self, _payload) -> None:
        self.last_frame = time.monotonic()

    def settle(self, quiet_s: float = 0.8, limit_s: float = 20) -> None:
        """Wait until the server has sent nothing for ``quiet_s`` (its updates are all in)."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline and time.monotonic() - self.last_frame < quiet_s:
            self.page.wait_for_timeout(100)

    def open(self) -> "LogUI":
        """Load the app, let the Overview (its first page) show its summary, then go to Log."""
        self.page.goto(self.url)
        expect(self.page.locator(".fibro-summary .head")).to_be_visible()
        return self.go_to_log()

    def go_to_log(self) -> "LogUI":
        self.page.locator(".bk-tab", has_text=re.compile(r"^Log$")).click()
        expect(self.form("daily")).to_be_visible()
        return self

    def reload(self) -> "LogUI":
        self.page.reload()
        return self.go_to_log()

    def show(self, kind: str):
        """Open the form of one kind (its inner tab) and return it."""
        tab = {"daily": "Daily check-in", "sessions": "Massage session", "doses": "Medication dose"}[kind]
        self.page.locator(".log-tabs .bk-tab", has_text=tab).click()
        expect(self.form(kind)).to_be_visible()
        return self.form(kind)

    def form(self, kind: str):
        return self.page.locator(f".form-{kind}")

    def heading(self, kind: str):
        return self.form(kind).get_by_role("heading", name=re.compile(r"^(New|Edit) "))

    def field(self, kind: str, label: str):
        """The innermost column holding a field's label: the widget and its error line (a
        rating's own box in the form's ChoiceGroups)."""
        label_text = self.page.get_by_text(label, exact=True)
        columns = self.form(kind).locator(".bk-panel-models-layout-Column, .choice-field").filter(
            has=label_text)
        return columns.last

    def rating(self, kind: str, label: str, value) -> None:
        """Click one option of a 0-10 (or pressure) radio group."""
        radio = self.field(kind, label).get_by_role("radio", name=radio_name(value), exact=True)
        radio.click()
        expect(radio).to_have_attribute("aria-checked", "true")

    def chosen_rating(self, kind: str, label: str):
        return self.field(kind, label).get_by_role("radio", checked=True)

    def type_into(self, kind: str, label: str, text: str, replace: bool = False) -> None:
        box = self.field(kind, label).locator("input:visible, textarea").first
        box.click()
        if replace:
            self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def pick_datetime(self, kind: str, label: str, day: dt.date, hour: int, minute: int) -> None:
        """Open a date-time picker, click a day in its calendar, type hour and minute, click away."""
        field = self.field(kind, label)
        field.locator("input.flatpickr-input:visible").click()
        field.locator(f'.flatpickr-day[aria-label="{flatpickr_label(day)}"]').click()
        field.locator(".flatpickr-hour").click()
        self.page.keyboard.type(f"{hour:02d}")
        field.locator(".flatpickr-minute").click()
        self.page.keyboard.type(f"{minute:02d}")
        self.heading(kind).click()
        expect(field.locator("input.flatpickr-input:visible")).to_have_value(
            f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}:00")

    def pick_day(self, kind: str, label: str, day: dt.date) -> None:
        field = self.field(kind, label)
        field.locator("input.form-control:visible").click()
        field.locator(f'.flatpickr-day[aria-label="{flatpickr_label(day)}"]').click()
        expect(field.locator("input.form-control:visible")).to_have_value(f"{day:%Y-%m-%d}")

    def save(self, kind: str) -> None:
        self.form(kind).locator(".save-button button").click()

    def message(self, kind: str):
        return self.form(kind).locator(".form-message")

    def error_under(self, kind: str, label: str):
        return self.field(kind, label).locator(".field-error")

    def history_rows(self, kind: str):
        """The rows of a history table's shown page (ten at most)."""
        return self.page.locator(f".history-{kind} tbody tr[data-id]")

    def history(self, kind: str) -> list[dict[str, str]]:
        """The rows shown in a history table, as {field: text}."""
        return self.history_rows(kind).evaluate_all(
            "rows => rows.map(row => Object.fromEntries([...row.querySelectorAll('[data-field]')]"
            ".map(cell => [cell.dataset.field, cell.textContent])))")

    def column_with(self, *parts):
        """The innermost layout column holding all of ``parts``."""
        columns = self.page.locator(".bk-panel-models-layout-Column")
        for part in parts:
            columns = columns.filter(has=part)
        return columns.last

    def history_button(self, kind: str, css: str):
        return self.column_with(self.page.locator(f".history-{kind}")).locator(f".{css} button")

    def select_row(self, kind: str, text: str):
        row = self.history_rows(kind).filter(has_text=text)
        expect(row).to_have_count(1)
        row.click()
        expect(row).to_have_class(re.compile(r"\bchosen\b"))
        expect(row.get_by_role("radio")).to_be_checked()
        return row

    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUS_JS)

    def screenshot(self, kind: str, name: str) -> Path:
        """The whole form and its history; the template scrolls inside #main, so grow the window first."""
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": size["width"], "height": 2600})
        path = ARTIFACTS / name
        self.column_with(self.form(kind), self.page.locator(f".history-{kind}")).screenshot(path=str(path))
        self.page.set_viewport_size(size)
        return path

    def offsite_requests(self) -> list[str]:
        return [url for url in self.requests
                if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname != "127.0.0.1"]

    def unexpected(self) -> dict[str, list[str]]:
        """Console errors, failed requests and requests to other hosts.

        A reload aborts the page's pending requests (net::ERR_ABORTED): those are no failure.
        """
        failed = [item for item in self.failed_requests if not item.endswith("(net::ERR_ABORTED)")]
        return {"console errors": self.console_errors, "failed requests": failed,
                "requests to other hosts": self.offsite_requests()}

    def close(self) -> None:
        """Leave the page once the server is done, so it never writes to a closed socket."""
        self.settle()
        self.page.goto("about:blank")




# --- the Overview's linked plots ----------------------------------------------

TITLES = ["Pain and massage sessions", "Sleep", "Medication"]
PAIN = TITLES[0]
PRESSURE_BUTTONS = ["Light / soft stroking", "Moderate", "Deep", "Unknown"]
SHADING = "Days after a session"
BANDS = "after-session-days"  # plots.BANDS_NAME: the bands' renderer (the legend's is a sample)
OFFSITE = re.compile(r"^(https?|wss?)://(?!(127\.0\.0\.1|localhost)[:/])")

# Installed in every page as window.fibroState(): the three plots as plain data, found
# through their live views (the document's all_models keeps replaced figures for a while).
# The first call also starts noting the time of the document's latest change.
STATE_JS = """
window.fibroLastChange = 0;
window.fibroState = () => {
  const doc = window.Bokeh && Bokeh.documents.length ? Bokeh.documents[0] : null;
  if (doc === null) return null;
  if (!doc.fibroWatched) {
    doc.fibroWatched = true;
    doc.on_change(() => { window.fibroLastChange = performance.now(); });
  }
  const plots = {};
  for (const view of Bokeh.index.all_views()) {
    const plot = view.model;
    if (plot.x_range === undefined || !plot.renderers || !plot.title) continue;
    const labels = new Map();
    for (const legend of [...plot.center, ...plot.right, ...plot.left, ...plot.above, ...plot.below]) {
      if (legend.type !== 'Legend') continue;
      for (const item of legend.items)
        for (const renderer of item.renderers) labels.set(renderer, item.label && item.label.value);
    }
    const box = view.el.getBoundingClientRect();
    const frame = view.frame.bbox;
    plots[plot.title.text] = {
      x_range: [plot.x_range.start, plot.x_range.end],
      drawn: view.has_finished(),
      frame: {x: box.left + frame.left, y: box.top + frame.top, width: frame.width, height: frame.height},
      sources: plot.renderers.filter(r => r.data_source).map(r => {
        const fill = r.glyph.fill_color;
        return {
          label: labels.get(r) ?? null,
          name: r.name ?? null,
          fill: fill && typeof fill === 'object' ? fill.value ?? null : fill ?? null,
          rows: r.data_source.get_length() ?? 0,
          pressure: r.data_source.data.pressure ? Array.from(r.data_source.data.pressure) : null,
        };
      }),
    };
  }
  return {idle: doc.is_idle, plots};
};
"""

READY_JS = """(titles) => {
  const state = window.fibroState && window.fibroState();
  return Boolean(state && state.idle && titles.every(title => {
    const plot = state.plots[title];
    return plot && plot.drawn && plot.sources.some(source => source.rows > 0);
  }));
}"""

SESSIONS_JS = """([markers, name, shading, same]) => {
  const state = window.fibroState();
  const plots = Object.values(state.plots);
  const shown = plots.flatMap(plot => plot.sources).reduce(
    (n, source) => n + (source.pressure ? source.pressure.length : 0), 0);
  const rows = title => state.plots[title].sources.filter(source => source.name === name)
    .reduce((n, source) => n + source.rows, 0);
  return state.idle && shown === markers
    && Object.entries(shading).every(([title, n]) => (rows(title) === n) === same);
}"""

QUIET_JS = """(ms) => {
  const state = window.fibroState && window.fibroState();
  return Boolean(state && state.idle && performance.now() - window.fibroLastChange > ms);
}"""
QUIET_MS = 500
CLOSING_QUIET_MS = 1500

class BrowserTab:
    """One browser tab on a served page, and what went wrong in it: console errors, page
    errors and requests that tried to leave the machine (refused). ``script`` is installed
    in the page before its own scripts run."""

    def __init__(self, page: Page, url: str, script: str):
        self.page = page
        self.url = url
        self.console_errors: list[str] = []
        self.console: list[str] = []
        self.offsite_requests: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.add_init_script(script)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        page.route(OFFSITE, self._block)

    def _on_console(self, message) -> None:
        self.console.append(f"{message.type}: {message.text}")
        if message.type == "error":
            self.console_errors.append(f"console.error: {message.text}")

    def _block(self, route) -> None:
        self.offsite_requests.append(route.request.url)
        route.abort()


class Dashboard(BrowserTab):
    """The page of one browser tab on the served app, and what went wrong in it."""

    def __init__(self, page: Page, url: str):
        super().__init__(page, url, STATE_JS)

    def open(self) -> "Dashboard":
        self.page.goto(self.url)
        try:
            self.wait_until_drawn()
        except PlaywrightError as error:
            state = self.page.evaluate("window.fibroState && window.fibroState()")
            raise AssertionError(f"the dashboard did not draw ({error.message.splitlines()[0]});\n"
                                 f"state: {state}\nconsole:\n" + "\n".join(self.console)) from None
        return self

    def wait_until_drawn(self) -> None:
        """Until the document is idle and all three plots have drawn some data."""
        self.page.wait_for_function(READY_JS, arg=TITLES)

    def wait_until_quiet(self, timeout: float = TIMEOUT_MS) -> None:
        """Until the document has not changed for ``QUIET_MS`` (the server has sent its updates)."""
        self.page.wait_for_function(QUIET_JS, arg=QUIET_MS, timeout=timeout)

    def close(self) -> None:
        """Leave the page once the server is done, so it never writes to a closed websocket."""
        try:
            self.page.wait_for_function(QUIET_JS, arg=CLOSING_QUIET_MS, timeout=15_000)
        finally:
            self.page.goto("about:blank")

    def state(self) -> dict:
        return self.page.evaluate("window.fibroState()")

    def sessions_drawn(self) -> tuple[int, dict[str, int]]:
        """Session markers in the pain plot, and rows of after-session shading in each plot."""
        plots = self.state()["plots"]
        return (len(pressures_shown(plots[PAIN])),
                {title: rows_named(plots[title], BANDS) for title in TITLES})

    def wait_for_sessions(self, markers: int, shading: dict[str, int], same: bool = True) -> None:
        """Until ``markers`` markers show and every plot's shading has (or, not ``same``, has
        not) the given number of rows."""
        self.page.wait_for_function(SESSIONS_JS, arg=[markers, BANDS, shading, same])

    def plot(self, title: str) -> dict:
        return self.state()["plots"][title]

    @property
    def summary_head(self):
        return self.page.locator(".fibro-summary .head")

    @property
    def summary_cards(self):
        return self.page.locator(".fibro-summary .cards")

    def matching_sessions(self) -> int:
        text = self.summary_head.inner_text()
        match = re.match(r"\s*(\d+) matching sessions", text)
        assert match, f"summary does not start with '<N> matching sessions': {text!r}"
        return int(match.group(1))

    def pressure_button(self, label: str):
        return self.page.locator(".pressure-filter").get_by_role("button", name=label, exact=True)

    def frame_point(self, title: str, fx: float, fy: float) -> tuple[float, float]:
        """A point inside a plot's data frame, as fractions of its width and height."""
        frame = self.plot(title)["frame"]
        return frame["x"] + fx * frame["width"], frame["y"] + fy * frame["height"]

    def show_plot(self, title: str) -> None:
        """Scroll the plot called ``title`` to the middle of the window."""
        self.page.evaluate(
            "(title) => [...Bokeh.index.all_views()]"
            ".find(view => view.model.title && view.model.title.text === title)"
            ".el.scrollIntoView({block: 'center'})", title)

    def drag(self, title: str, fx0: float, fx1: float, fy: float = 0.5) -> None:
        x0, y = self.frame_point(title, fx0, fy)
        x1, _ = self.frame_point(title, fx1, fy)
        mouse = self.page.mouse
        mouse.move(x0, y)
        mouse.down()
        mouse.move(x1, y, steps=12)
        mouse.up()


def pressures_shown(plot: dict) -> list[str]:
    """The pressure of every session marker in a plot."""
    return [p for source in plot["sources"] if source["pressure"] is not None
            for p in source["pressure"]]


def rows_labelled(plot: dict, label: str) -> int:
    return sum(source["rows"] for source in plot["sources"] if source["label"] == label)


def rows_named(plot: dict, name: str) -> int:
    return sum(source["rows"] for source in plot["sources"] if source["name"] == name)


def span_rows(plot: dict) -> int:
    """Rows of the outline of box-selected days."""
    return sum(source["rows"] for source in plot["sources"] if source["fill"] == SPAN_COLOR)


def x_ranges(state: dict) -> dict[str, tuple[float, float]]:
    return {title: tuple(state["plots"][title]["x_range"]) for title in TITLES}




# --- hosted mode -------------------------------------------------------------

ALL_DATA_JS = """() => {
  const out = [];
  if (!window.Bokeh) return '';
  for (const doc of window.Bokeh.documents) {
    for (const model of doc._all_models.values()) {
      for (const key of ['data', 'text', 'object', 'value', 'options', 'labels']) {
        try {
          const value = model[key];
          if (value === undefined || value === null) continue;
          if (value instanceof Map) out.push(JSON.stringify([...value.entries()].map(
              ([k, v]) => [k, Array.from(v ?? [], String)])));
          else out.push(JSON.stringify(value));
        } catch (e) {}
      }
    }
  }
  return out.join('\\n');
}"""


CLOSED_SOCKET = re.compile(r"^.*Task exception was never retrieved\n.*?WebSocketClosedError\n",
                           re.S | re.M)


def real_problems(log: str) -> list[str]:
    """Error lines of the log, less Tornado's report of a message written to a websocket the
    browser had just closed (the tests move between pages faster than a person)."""
    return [line for line in CLOSED_SOCKET.sub("", log).splitlines()
            if re.search(r"\bERROR\b|Traceback", line)]


def base(server) -> str:
    return server.url.rsplit("/app", 1)[0]


def sign_in(page: Page, server, name: str, password: str = PASSWORD, wait: bool = False) -> None:
    """Sign in on a hosted server's login page; ``wait``: until the dashboard's tabs show."""
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server.url)
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    if wait:
        wait_for_dashboard(page)


def open_tab(page: Page, title: str) -> None:
    page.locator(".bk-tab:visible", has_text=re.compile(f"^{re.escape(title)}$")).first.click()


def wait_for_dashboard(page: Page) -> None:
    expect(page.locator(".bk-tab").first).to_be_visible(timeout=TIMEOUT_MS)


# --- screenshots that show what a person should see ------------------------------------

# Where each drawn Bokeh plot's data frame is on the page (CSS px from the page's top left,
# scrolling included), by its title, else its name.
PLOT_FRAMES_JS = """() => {
  const frames = {};
  if (!window.Bokeh) return frames;
  for (const view of Bokeh.index.all_views()) {
    const plot = view.model;
    if (plot.x_range === undefined || !view.frame || !view.el.isConnected) continue;
    const key = (plot.title && plot.title.text) || plot.name;
    const box = view.el.getBoundingClientRect();
    const frame = view.frame.bbox;
    if (!key || box.width < 1 || frame.width < 20 || frame.height < 20) continue;
    frames[key] = {x: box.left + frame.left + window.scrollX, y: box.top + frame.top + window.scrollY,
                   width: frame.width, height: frame.height};
  }
  return frames;
}"""


def drawn_share(picture, box: dict, scale: float) -> tuple[float, int]:
    """Of a region of the picture (``box`` in CSS px): the share of pixels that differ from
    its most common colour (the background), and how many colours it holds."""
    left, top = int(box["x"] * scale), int(box["y"] * scale)
    right, bottom = int((box["x"] + box["width"]) * scale), int((box["y"] + box["height"]) * scale)
    region = picture.crop((left, top, right, bottom)).convert("RGB")
    colours = region.getcolors(maxcolors=1 << 20) or []
    total = max(1, region.width * region.height)
    background = max(colours)[0] if colours else total
    return 1 - background / total, len(colours)


def screenshot_showing(page: Page, path: Path, plots: list[str], texts: list[str],
                       min_drawn: float = 0.02) -> dict:
    """A full-page screenshot to ``path`` that must show what a person should see: each
    plot of ``plots`` (a title or a name) drawn inside the picture (at least ``min_drawn``
    of its frame's pixels unlike its background, in several colours), and each of
    ``texts`` visible and drawn there.  Returns what was measured, by plot and text."""
    from PIL import Image

    for text in texts:
        expect(page.get_by_text(text, exact=True).filter(visible=True).first).to_be_visible()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    frames = page.evaluate(PLOT_FRAMES_JS)
    boxes = {}
    for text in texts:
        box = page.get_by_text(text, exact=True).filter(visible=True).first.bounding_box()
        scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
        boxes[text] = {**box, "x": box["x"] + scroll[0], "y": box["y"] + scroll[1]}
    page.screenshot(path=str(path), full_page=True)
    scale = page.evaluate("() => window.devicePixelRatio")
    measured = {}
    with Image.open(path) as picture:
        width, height = picture.width / scale, picture.height / scale
        for name in plots:
            assert name in frames, f"no plot {name!r} on the page (plots: {sorted(frames)})"
            frame = frames[name]
            assert frame["x"] >= 0 and frame["y"] >= 0 and frame["x"] + frame["width"] <= width + 1 \
                and frame["y"] + frame["height"] <= height + 1, f"{name} is outside the picture"
            share, colours = drawn_share(picture, frame, scale)
            measured[name] = share
            assert share >= min_drawn and colours >= 3, \
                f"the plot {name!r} looks blank in {path.name}: {share:.1%} drawn, {colours} colours"
        for text, box in boxes.items():
            assert box["y"] + box["height"] <= height + 1, f"{text!r} is outside the picture"
            share, colours = drawn_share(picture, box, scale)
            measured[text] = share
            assert share > 0.02 and colours >= 2, f"{text!r} is not drawn in {path.name}"
    return measured


# For each plot's legend: each entry's label, whether its swatch canvas has any painted
# pixel, and whether its renderers have data (an empty renderer has nothing to show).
SWATCHES_JS = """(titles) => {
  const out = {};
  for (const view of Bokeh.index.all_views()) {
    if (view.model.type !== 'Legend' || !view.plot_view) continue;
    const title = view.plot_view.model.title && view.plot_view.model.title.text;
    if (!titles.includes(title)) continue;
    out[title] = view.entries.map(({glyph, item, label}) => {
      const canvas = glyph.canvas;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = false;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) { painted = true; break; }
      const rows = item.renderers.reduce((n, r) => n + (r.data_source.get_length() ?? 0), 0);
      return {label, painted, rows};
    });
  }
  return out;
}"""
