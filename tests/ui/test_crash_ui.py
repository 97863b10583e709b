"""A save confirmed in the browser survives the server being killed (kill -9) right after."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from dashboard.records import DailyCheckin
from dashboard.store import Store

from tests.ui.conftest import Server

pytestmark = pytest.mark.ui


def test_a_confirmed_save_survives_kill_9(tmp_path, page: Page):
    db = tmp_path / "own.sqlite"
    store = Store(db)
    store.save_by_name({"Me": [DailyCheckin(dt.date.today() - dt.timedelta(days=1), pain=4)]})
    store.close()
    server = Server(db, tmp_path / "server.log")
    try:
        server.wait_until_up()
        page.goto(server.url)
        page.wait_for_selector("canvas", timeout=120_000)
        page.get_by_text("Log", exact=True).first.click()
        form = page.locator(".form-daily")
        seven = form.get_by_role("radiogroup").first.get_by_role("radio", name="7", exact=True)
        seven.click()
        expect(seven).to_have_attribute("aria-checked", "true")
        form.locator("textarea").fill("typed just before the crash")
        form.locator(".save-button button").click()
        expect(page.locator(".form-message").first).to_contain_text("Saved", timeout=60_000)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
    finally:
        if server.process.poll() is None:
            server.stop()

    reopened = Store(db)
    today = reopened.daily(1).set_index("date").loc[str(dt.date.today())]
    assert today["pain"] == 7 and today["notes"] == "typed just before the crash"
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
