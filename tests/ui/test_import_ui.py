"""The Import page in Chromium: upload, guessed kind, dry-run summary, confirm, refusals."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard.records import DailyCheckin
from dashboard.store import Store
from tests.ui.conftest import AppServer

pytestmark = pytest.mark.ui

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
TIMEOUT_MS = 90_000
OFFSITE = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/])")


@pytest.fixture
def served_own_diary(tmp_path):
    """The app (served in this process) on an own store holding one day for "Me"."""
    db = tmp_path / "own.sqlite"
    store = Store(db)
    store.save_by_name({"Me": [DailyCheckin(dt.date(2020, 1, 1), pain=4)]})
    store.close()
    server = AppServer(db).start()
    yield server, db
    server.stop()
    assert serious_problems(server.log()) == []


def serious_problems(log: str) -> list[str]:
    """Errors in a server log, less Tornado's note that the closing browser hung up mid-message."""
    hangups = ("WebSocketClosedError", "StreamClosedError", "Task exception was never retrieved",
               "During handling of the above exception")
    lines = [line for line in log.splitlines() if not any(h in line for h in hangups)]
    blocks = "\n".join(lines).split("Traceback (most recent call last):")
    real = [b for b in blocks[1:] if "tornado/websocket.py" not in b]
    return real + [line for line in lines if " ERROR " in line]


def open_import_page(page: Page, url: str, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: problems.append(r.url) if OFFSITE.match(r.url) else None)
    page.goto(url)
    page.wait_for_selector("canvas", timeout=TIMEOUT_MS)
    page.get_by_text("Import", exact=True).first.click()
    page.wait_for_selector(".import-file input[type=file]", state="attached", timeout=TIMEOUT_MS)


def upload(page: Page, *paths: Path) -> None:
    """Choose files as a person does, and wait until the page has received them all."""
    page.locator(".import-file input[type=file]").set_input_files([str(p) for p in paths])
    for path in paths:
        expect(page.locator(".import-status")).to_contain_text(path.name, timeout=TIMEOUT_MS)


def frames(db: Path) -> list:
    store = Store(db)
    try:
        return [store.patients()] + [f(pid) for pid in store.patients()["id"]
                                     for f in (store.daily, store.sessions, store.doses)]
    finally:
        store.close()


def test_a_bearable_file_is_checked_then_imported_once(served_own_diary, page: Page, artifacts):
    server, db = served_own_diary
    problems: list[str] = []
    open_import_page(page, server.url, problems)
    upload(page, FIXTURES / "bearable_export.csv")
    page.locator(".import-check button").click()
    expect(page.locator(".import-status")).to_contain_text("Bearable", timeout=TIMEOUT_MS)
    expect(page.locator(".import-result")).to_contain_text("Would add", timeout=TIMEOUT_MS)
    assert Store(db).daily(1)["date"].dt.year.tolist() == [2020]  # the dry run wrote nothing
    page.screenshot(path=str(artifacts / "import-dry-run.png"), full_page=True)

    page.locator(".import-confirm button").click()
    expect(page.locator(".import-status")).to_contain_text("Imported", timeout=TIMEOUT_MS)
    after = Store(db)
    assert len(after.daily(1)) > 1 and len(after.doses(1)) > 0

    before_again = frames(db)
    page.locator(".import-check button").click()
    expect(page.locator(".import-result")).to_contain_text("Already there", timeout=TIMEOUT_MS)
    page.locator(".import-confirm button").click()
    expect(page.locator(".import-status")).to_contain_text("Imported", timeout=TIMEOUT_MS)
    for old, new in zip(before_again, frames(db)):  # the second import added nothing
        assert old.drop(columns=[c for c in ("revision",) if c in old]).equals(
            new.drop(columns=[c for c in ("revision",) if c in new]))
    assert problems == []


def test_a_malformed_file_names_line_and_column_and_writes_nothing(served_own_diary, page: Page):
    server, db = served_own_diary
    problems: list[str] = []
    before = frames(db)
    open_import_page(page, server.url, problems)
    upload(page, FIXTURES / "fitbit_bad_date.csv")
    page.locator(".import-check button").click()
    status = page.locator(".import-status")
    expect(status).to_contain_text("line", timeout=TIMEOUT_MS)
    expect(status).to_contain_text("column SleepDay")
    expect(status).to_contain_text("Nothing was imported")
    expect(page.locator(".import-confirm button")).to_be_hidden()
    for old, new in zip(before, frames(db)):
        assert old.equals(new)
    assert problems == []


def test_imported_days_before_the_window_are_brought_into_view(tmp_path, page: Page,
                                                                 serve_app):
    """An own diary of 2026 and an older export (September-October 2020): after the import
    the dashboard shows the imported days, not the old window with nothing new in it."""
    db = tmp_path / "own.sqlite"
    store = Store(db)
    store.save_by_name({"Me": [DailyCheckin(dt.date(2026, 6, 1) + dt.timedelta(days=i), pain=4)
                               for i in range(10)]})
    store.close()
    server = serve_app(db, clean_log=False)
    problems: list[str] = []
    open_import_page(page, server.url, problems)
    days_shown = page.locator(".bk-slider-title").first
    expect(days_shown).to_contain_text("Jun 2026")
    upload(page, FIXTURES / "bearable_export.csv")
    page.locator(".import-check button").click()
    expect(page.locator(".import-result")).to_contain_text("Would add", timeout=TIMEOUT_MS)
    page.locator(".import-confirm button").click()
    expect(page.locator(".import-status")).to_contain_text("Imported", timeout=TIMEOUT_MS)
    imported = Store(db).daily(1)
    first = imported["date"].min().strftime("%d %b %Y")
    expect(days_shown).to_contain_text(first, timeout=TIMEOUT_MS)
    assert "2026" not in days_shown.inner_text()
    assert problems == []
    server.stop()
    assert serious_problems(server.log()) == []


TEMPLATE_DAILY = ("date,pain,sleep_hours,sleep_quality,fatigue,stiffness,anxiety,low_mood,fog,"
                  "headache,notes")


def big_daily_csv(path: Path, days: int = 3650, note_repeats: int = 600) -> Path:
    """Ten years of template check-ins with long notes: about 28 MB, above the size that
    used to close the browser's connection (about 25 MB)."""
    rows = [f"{dt.date(2015, 1, 1) + dt.timedelta(days=i)},{i % 10},7,5,,,,,,,"
            + "slept badly; " * note_repeats for i in range(days)]
    path.write_text(TEMPLATE_DAILY + "\n" + "\n".join(rows) + "\n")
    return path


def own_store_with_one_day(db: Path) -> Path:
    store = Store(db)
    store.save_by_name({"Me": [DailyCheckin(dt.date(2026, 6, 1), pain=4)]})
    store.close()
    return db


def test_a_28_mb_export_imports_and_leaves_no_temporary_files(tmp_path, page: Page, serve_store):
    """The limit is said before choosing a file; a 28 MB file is received, checked and
    imported; no uploaded copy stays in the server's temporary folder, during the session
    or after the server stops."""
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()
    db = own_store_with_one_day(tmp_path / "own.sqlite")
    big = big_daily_csv(tmp_path / "daily.csv")
    assert big.stat().st_size > 27 * 1024 * 1024
    server = serve_store(db, env={"TMPDIR": str(server_tmp)}, clean_log=False)
    problems: list[str] = []
    open_import_page(page, server.url, problems)
    expect(page.locator(".import-intro")).to_contain_text("up to 200 MB")
    upload(page, big)
    page.locator(".import-check button").click()
    expect(page.locator(".import-result")).to_contain_text("Would add", timeout=TIMEOUT_MS)
    expect(page.locator(".import-result")).to_contain_text("3650")
    assert list(server_tmp.glob("fibro-import-*")) == []
    page.locator(".import-confirm button").click()
    expect(page.locator(".import-status")).to_contain_text("Imported", timeout=TIMEOUT_MS)
    assert len(Store(db).daily(1)) == 3651
    assert list(server_tmp.glob("fibro-import-*")) == []
    assert problems == []
    server.stop()
    assert list(server_tmp.glob("fibro-import-*")) == []
    assert list(server_tmp.glob("fibro-upload-*")) == []
    assert serious_problems(server.log()) == []


def test_a_file_above_the_limit_is_refused_with_a_message(tmp_path, page: Page, serve_store):
    db = own_store_with_one_day(tmp_path / "own.sqlite")
    big = big_daily_csv(tmp_path / "daily.csv", days=400)  # about 3 MB
    server = serve_store(db, env={"FIBRO_MAX_UPLOAD_MB": "1"}, clean_log=False)
    problems: list[str] = []
    open_import_page(page, server.url, problems)
    expect(page.locator(".import-intro")).to_contain_text("up to 1 MB")
    page.locator(".import-file input[type=file]").set_input_files(str(big))
    expect(page.locator(".import-file").get_by_text("File is too large", exact=True)
           ).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".import-check button").click()
    expect(page.locator(".import-status")).to_contain_text("Choose a file first")
    assert len(Store(db).daily(1)) == 1
    server.stop()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


RAISE_CLIENT_LIMIT_JS = """() => {
  let n = 0;
  for (const doc of window.Bokeh.documents)
    for (const m of doc._all_models.values())
      if (m.properties && 'max_file_size' in m.properties && 'chunk_size' in m.properties)
        { m.max_file_size = '500MB'; n++; }
  return n;
}"""


def test_an_upload_past_the_limit_is_refused_as_its_bytes_arrive(tmp_path, page: Page,
                                                                 serve_store):
    """The attack: the browser's own limit lifted from a page script, then a file 14 times the
    server's limit sent. The server stops at the limit, keeps no part of it, and its memory
    grows by about a chunk, not by the file (issue 23: +850 MB for 300 MB)."""
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()
    db = own_store_with_one_day(tmp_path / "own.sqlite")
    big = big_daily_csv(tmp_path / "daily.csv")  # about 28 MB
    server = serve_store(db, env={"FIBRO_MAX_UPLOAD_MB": "2", "TMPDIR": str(server_tmp)},
                         clean_log=False)
    problems: list[str] = []
    open_import_page(page, server.url, problems)
    before = rss_mb(server.process.pid)
    assert page.evaluate(RAISE_CLIENT_LIMIT_JS) >= 1
    page.locator(".import-file input[type=file]").set_input_files(str(big))
    expect(page.locator(".import-status")).to_contain_text("daily.csv is larger than 2 MB",
                                                           timeout=TIMEOUT_MS)
    page.wait_for_timeout(3000)  # the rest of the chunks arrive and are ignored
    grown = rss_mb(server.process.pid) - before
    print(f"\n28 MB sent against a 2 MB limit: server memory +{grown:.0f} MB")
    assert grown < 60, grown
    assert list(server_tmp.glob("fibro-upload-*/*")) == []
    assert len(Store(db).daily(1)) == 1
    server.stop()
