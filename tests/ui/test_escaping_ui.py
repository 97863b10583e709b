"""Hostile text stays text: typed in the Log page, imported with ``fibro import csv`` and on the
Import page, then shown on every page of the served app in headless Chromium.

Each payload would run script, draw an element or make a link if it reached a page as
HTML or Markdown.  After every step the test looks through the whole document, inside
every shadow root (Panel and Bokeh draw in shadow DOM), and fails on: a dialog, a set
``window.__pwned``, an element or attribute a payload would have made, a ``javascript:``
link, typeset math, or a request to any host but 127.0.0.1.  It also finds each payload
shown literally, so a page that showed nothing would not pass.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from dashboard.store import Store
from tests.ui.pages import LogUI, days_ago, own_records

pytestmark = pytest.mark.ui

TIMEOUT_MS = 90_000
IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=2</script>"
MD_LINK = "[click](javascript:window.__pwned=3)"
JS_URL = "javascript:window.__pwned=4"
BOLD = "**bold**<b>b</b>"
SVG = '"><svg onload=window.__pwned=5>'
PICTURE = "![pic](https://evil.example/p.png) www.evil.example $$\\alpha$$"
PATIENT = '<img src=x onerror="window.__pwned=6">'
PAGES = ("Overview", "Effects", "Log", "Scores", "Import", "About")
SCORE_TABS = ("ACR 2016", "FIQR", "Medication overuse")

# Everything a payload could have turned into, looked up in the document and every shadow root.
INJECTED_JS = r"""() => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.localName;
      if (tag === 'img' && el.getAttribute('src') === 'x') found.push('img[src=x]');
      if (tag === 'img' && (el.getAttribute('src') || '').includes('evil')) found.push('img[src=evil]');
      if (tag === 'script' && el.textContent.includes('__pwned')) found.push('script');
      if (tag === 'svg' && el.hasAttribute('onload')) found.push('svg[onload]');
      if (tag === 'b' && el.textContent === 'b') found.push('<b>b</b>');
      if (tag === 'strong' && el.textContent === 'bold') found.push('<strong>bold</strong>');
      if (tag.startsWith('mjx') || el.classList.contains('katex')) found.push('typeset math');
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase(), value = attr.value.trim().toLowerCase();
        if (name.startsWith('on') && value.includes('__pwned')) found.push(`${tag}[${name}]`);
        if (/^(href|src|xlink:href|action|formaction)$/.test(name) &&
            (value.startsWith('javascript:') || value.includes('evil'))) {
          found.push(`${tag}[${name}=${value}]`);
        }
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return {found, pwned: window.__pwned === undefined ? null : String(window.__pwned)};
}"""

# The screen position of a data point in a Bokeh plot, found through its live view.
POINT_JS = """([title, x, y]) => {
  for (const view of Bokeh.index.all_views()) {
    const plot = view.model;
    if (!plot.title || plot.title.text !== title || !view.frame) continue;
    view.el.scrollIntoView({block: 'center'});
    const box = view.el.getBoundingClientRect();
    return {x: box.left + view.frame.x_scale.compute(x), y: box.top + view.frame.y_scale.compute(y)};
  }
  return null;
}"""


class Watch:
    """A browser tab on the app, with what went wrong in it: dialogs and requests to other hosts."""

    def __init__(self, page: Page, url: str):
        self.ui = LogUI(page, url)
        self.page = page
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_inert(self, where: str) -> None:
        """Nothing a payload could have made is in the page; no script ran; nothing went off-host."""
        self.ui.settle()
        state = self.page.evaluate(INJECTED_JS)
        assert state == {"found": [], "pwned": None}, f"{where}: {state}"
        assert self.dialogs == [], f"{where}: dialogs {self.dialogs}"
        assert self.ui.offsite_requests() == [], where

    def tab(self, name: str) -> None:
        self.page.locator(".bk-tab", has_text=re.compile(f"^{re.escape(name)}$")).first.click()
        self.ui.settle()

    def visit_every_page(self) -> None:
        for name in PAGES:
            self.tab(name)
            if name == "Scores":
                for inner in SCORE_TABS:
                    self.page.locator(".scores-tabs .bk-tab", has_text=inner).click()
                    self.assert_inert(f"Scores / {inner}")
            self.assert_inert(name)

    def close(self) -> None:
        self.ui.close()
        assert self.ui.unexpected() == {"console errors": [], "failed requests": [],
                                        "requests to other hosts": []}


@pytest.fixture
def watch(context):
    opened: list[Watch] = []

    def open_tab(url: str) -> Watch:
        opened.append(Watch(context.new_page(), url))
        return opened[-1]

    yield open_tab
    for tab in opened:
        tab.close()


def delete_and_undo(tab: Watch, kind: str, row_text: str, described: str) -> None:
    """Delete the history row holding ``row_text``, then undo; both messages name it literally."""
    ui = tab.ui
    ui.show(kind)
    ui.select_row(kind, row_text)
    ui.history_button(kind, "delete-selected").click()
    expect(ui.message(kind)).to_contain_text(f"Deleted the {described} at ")
    tab.assert_inert(f"deleted {kind}")
    ui.history_button(kind, "undo-delete").click()
    expect(ui.message(kind)).to_contain_text(f"Restored the {described} at ")
    expect(ui.history_rows(kind).filter(has_text=row_text)).to_have_count(1)
    tab.assert_inert(f"restored {kind}")


def rows_of(db: Path, patient: str) -> dict[str, pd.DataFrame]:
    store = Store(db)
    try:
        patients = store.patients()
        pid = int(patients.loc[patients["name"] == patient, "id"].iloc[0])
        return {"daily": store.daily(pid), "sessions": store.sessions(pid), "doses": store.doses(pid)}
    finally:
        store.close()


# --- typed in the Log page --------------------------------------------------------------


@pytest.fixture
def own_db(tmp_path) -> Path:
    db = tmp_path / "own" / "fibro.sqlite"
    db.parent.mkdir()
    store = Store(db)
    store.save_by_name({"Me": own_records()})
    store.close()
    return db


def type_dose(ui: LogUI, name: str, reason: str) -> None:
    ui.show("doses")
    ui.type_into("doses", "Medicine", name, replace=True)  # the form keeps the last name
    ui.type_into("doses", "Dose", "400")
    ui.type_into("doses", "Reason", reason)
    ui.save("doses")
    expect(ui.message("doses")).to_contain_text(f"Saved: {name} at ")


def type_session(ui: LogUI, technique: str, therapist: str, notes: str) -> None:
    ui.show("sessions")
    ui.pick_datetime("sessions", "Started", days_ago(1), 10, 15)
    areas = ui.field("sessions", "Body areas")
    areas.locator("input.choices__input--cloned").click()
    ui.page.keyboard.type("Neck")
    ui.page.keyboard.press("Enter")
    ui.heading("sessions").click()
    ui.type_into("sessions", "Technique", technique)
    ui.type_into("sessions", "Therapist", therapist)
    ui.rating("sessions", "Pain just before (0-10)", 6)
    ui.rating("sessions", "Pain just after (0-10)", 3)
    ui.type_into("sessions", "Notes", notes)
    ui.save("sessions")
    expect(ui.message("sessions")).to_contain_text("Saved: moderate session of ")


def test_text_typed_in_the_log_page_is_shown_literally_everywhere(serve_app, watch, own_db):
    server = serve_app(own_db)
    tab = watch(server.url)
    ui = tab.ui.open()
    tab.assert_inert("opened")

    ui.rating("daily", "Pain (0-10)", 5)
    ui.type_into("daily", "Notes", BOLD)
    ui.save("daily")
    expect(ui.message("daily")).to_contain_text("Saved: check-in of ")
    type_session(ui, SCRIPT, SVG, f"{JS_URL} {PICTURE}")
    type_dose(ui, IMG, MD_LINK)
    tab.assert_inert("saved")
    type_dose(ui, PICTURE, SVG)
    tab.assert_inert("saved a second dose")

    stored = rows_of(own_db, "Me")
    assert BOLD in stored["daily"]["notes"].tolist()
    session = stored["sessions"][stored["sessions"]["technique"] == SCRIPT].iloc[0]
    assert (session["therapist"], session["notes"]) == (SVG, f"{JS_URL} {PICTURE}")
    doses = stored["doses"].set_index("name")
    assert doses.loc[IMG, "reason"] == MD_LINK and doses.loc[PICTURE, "reason"] == SVG

    shown = {}
    for kind in ("daily", "sessions", "doses"):  # each form and history is built on its tab
        ui.show(kind)
        expect(ui.history_rows(kind).first).to_be_visible()
        shown[kind] = ui.history(kind)
    assert BOLD in [row["notes"] for row in shown["daily"]]
    assert (SVG, f"{JS_URL} {PICTURE}") in [(r["therapist"], r["notes"]) for r in shown["sessions"]]
    assert {(IMG, MD_LINK), (PICTURE, SVG)} <= {(r["name"], r["reason"]) for r in shown["doses"]}

    delete_and_undo(tab, "doses", IMG, IMG)
    delete_and_undo(tab, "doses", "www.evil.example", PICTURE)
    tab.visit_every_page()


# --- imported with `fibro import csv` and on the Import page ------------------------------


def write_template(folder: Path) -> Path:
    """daily.csv, sessions.csv and medications.csv of the last days, every free text hostile."""
    folder.mkdir(parents=True)
    tables = {
        "daily.csv": [["date", "pain", "sleep_hours", "sleep_quality", "fatigue", "stiffness",
                       "anxiety", "low_mood", "fog", "headache", "notes"]]
        + [[f"{days_ago(n)}", 4 + n % 3, 6.5, 5, 5, 4, 3, 3, 4, 2, BOLD if n == 2 else SCRIPT]
           for n in range(1, 9)],
        "sessions.csv": [["start", "duration_min", "pressure", "areas", "technique", "therapist",
                          "pain_before", "pain_after", "notes"],
                         [f"{days_ago(4)}T10:00", 60, "deep", "neck;upper_back", SCRIPT, SVG, 6, 3,
                          f"{JS_URL} {PICTURE}"]],
        "medications.csv": [["time", "name", "drug_class", "dose", "unit", "reason"],
                            [f"{days_ago(3)}T08:00", IMG, "", 500, "mg", MD_LINK],
                            [f"{days_ago(2)}T08:00", PICTURE, "", 1, "tablet", SVG]],
    }
    for name, rows in tables.items():
        with open(folder / name, "w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


@pytest.fixture
def imported_db(tmp_path) -> Path:
    """A store whose first patient (the one the app opens on) came from ``fibro import csv``."""
    db = tmp_path / "store" / "fibro.sqlite"
    db.parent.mkdir()
    fibro = shutil.which("fibro")
    assert fibro, "the fibro command is not installed"
    subprocess.run([fibro, "import", "csv", str(write_template(tmp_path / "template")), "--db",
                    str(db), "--patient", PATIENT], check=True, capture_output=True, text=True)
    store = Store(db)
    store.save_by_name({"Me": own_records()})
    store.close()
    return db


def bearable_day(day: dt.date) -> str:
    """Bearable's date: '2nd Nov 2026'."""
    suffix = "th" if 10 <= day.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    return f"{day.day}{suffix} {day:%b %Y}"


def bearable_file() -> bytes:
    """A Bearable export whose category, symptom, medicine and notes are hostile."""
    day = bearable_day(days_ago(1))
    rows = [["date", "weekday", "time of day", "category", "rating/amount", "detail", "notes"],
            [day, f"{days_ago(1):%A}", "am", SVG, 3, IMG, MD_LINK],
            [day, f"{days_ago(1):%A}", "am", "Symptom", 2, f"{SCRIPT} (Moderate)", ""],
            [day, f"{days_ago(1):%A}", "am", "Meds/Supplements", 1, f"{JS_URL} (mg)", BOLD]]
    lines = io.StringIO()
    csv.writer(lines, lineterminator="\n").writerows(rows)
    return lines.getvalue().encode()


def hover_session(tab: Watch, start: dt.datetime, pain_after: float) -> None:
    """Move the mouse onto a session marker of the pain plot; its tooltip opens."""
    x = pd.Timestamp(start).value / 1e6
    point = None
    for _ in range(100):
        point = tab.page.evaluate(POINT_JS, ["Pain and massage sessions", x, pain_after])
        if point:
            break
        tab.page.wait_for_timeout(300)
    assert point, "the pain plot was not drawn"
    tab.page.mouse.move(point["x"] - 20, point["y"] - 20)
    tab.page.mouse.move(point["x"], point["y"], steps=5)


def test_imported_text_is_shown_literally_everywhere(serve_app, watch, imported_db, artifacts):
    server = serve_app(imported_db)
    tab = watch(server.url)
    ui = tab.ui.open()
    tab.tab("Overview")
    patient = tab.page.locator("select").filter(has=tab.page.locator(f"option:text-is('{PATIENT}')"))
    expect(patient).to_have_count(1)
    tab.assert_inert("overview of the imported patient")

    hover_session(tab, dt.datetime.combine(days_ago(4), dt.time(10)), 3.0)
    expect(tab.page.locator(".bk-tooltip-row-value", has_text=SCRIPT)).to_be_visible()
    tab.page.screenshot(path=str(artifacts / "escaping-tooltip.png"))
    tab.assert_inert("session tooltip")

    tab.tab("Log")
    shown = {}
    for kind in ("daily", "sessions", "doses"):  # each form and history is built on its tab
        ui.show(kind)
        expect(ui.history_rows(kind).first).to_be_visible()
        shown[kind] = ui.history(kind)
    assert {BOLD, SCRIPT} <= {row["notes"] for row in shown["daily"]}
    assert (SVG, f"{JS_URL} {PICTURE}") in [(r["therapist"], r["notes"]) for r in shown["sessions"]]
    assert {(IMG, MD_LINK), (PICTURE, SVG)} <= {(r["name"], r["reason"]) for r in shown["doses"]}
    delete_and_undo(tab, "doses", IMG, IMG)
    # every page is visited at the end, with this import's text and the Import page's together

    tab.tab("Import")
    upload = tab.page.locator(".import-file input[type=file]")
    upload.set_input_files({"name": "bearable.csv", "mimeType": "text/csv", "buffer": bearable_file()})
    expect(tab.page.locator(".import-status")).to_contain_text("Received bearable.csv",
                                                               timeout=TIMEOUT_MS)
    tab.page.locator(".import-check button").click()
    result = tab.page.locator(".import-result")
    expect(result).to_contain_text("Would add", timeout=TIMEOUT_MS)
    for text in (f"for {PATIENT}", f"Bearable category {SVG}", SCRIPT):
        expect(result).to_contain_text(text)
    tab.assert_inert("import checked")
    tab.page.locator(".import-confirm button").click()
    expect(tab.page.locator(".import-status")).to_contain_text("Imported", timeout=TIMEOUT_MS)
    tab.assert_inert("imported")
    doses = rows_of(imported_db, PATIENT)["doses"]
    assert (doses["name"] == JS_URL).sum() == 1

    bad_name = f"{IMG}.csv"
    tab.page.locator(".import-file .filepond--action-revert-item-processing").click()  # undo Bearable
    upload.set_input_files({"name": bad_name, "mimeType": "text/csv",
                            "buffer": b"time,name,drug_class,dose,unit,reason\n"
                                      b"2026-11-02T08:00,X,other,abc,mg,r\n"})
    expect(tab.page.locator(".import-status")).to_contain_text("Received", timeout=TIMEOUT_MS)
    expect(tab.page.locator(".import-status")).not_to_contain_text("bearable.csv")
    tab.page.locator(".import-check button").click()
    status = tab.page.locator(".import-status")
    expect(status).to_contain_text(f"{bad_name} line 2, column dose", timeout=TIMEOUT_MS)
    expect(status).to_contain_text("Nothing was imported")
    tab.assert_inert("import refused")

    tab.tab("Log")
    ui.show("doses")
    expect(ui.history_rows("doses").filter(has_text=JS_URL)).to_have_count(1)
    tab.visit_every_page()
