"""A diary of a few days, as a new user has, through every page of the served dashboard:
each page opens (built when its tab is first clicked), says "not enough data yet" where
an estimate needs more, and nothing fails in the browser or the server."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.store import Store
from tests.ui.test_dashboard_ui import TITLES, Dashboard

pytestmark = pytest.mark.ui

TIMEOUT_MS = 90_000


def few_day_diary(db) -> None:
    first = dt.date(2026, 11, 27)
    days = [DailyCheckin(first + dt.timedelta(days=i), pain=5 + i % 3, sleep_hours=6.5,
                         sleep_quality=5) for i in range(4)]
    session = MassageSession(dt.datetime(2026, 11, 28, 17, 0), 45, "light", ("neck",),
                             pain_before=6, pain_after=4)
    dose = MedicationDose(dt.datetime(2026, 11, 29, 8, 0), "Ibuprofen", drug_class="nsaid")
    store = Store(db)
    store.save_by_name({"Me": [*days, session, dose]})
    store.close()


def test_a_four_day_diary_through_every_page(tmp_path, page: Page, artifacts, serve_store):
    db = tmp_path / "own.sqlite"
    few_day_diary(db)
    server = serve_store(db)  # its log must stay clean
    board = Dashboard(page, server.url).open()  # the three plots drew the four days
    assert set(TITLES) <= set(board.state()["plots"])
    expect(page.locator(".bk-tab")).to_have_count(7)

    page.locator(".bk-tab", has_text="Effects").click()
    expect(page.locator(".effects-table")).to_contain_text("not enough data yet",
                                                           timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="Log").click()
    expect(page.get_by_text("Ibuprofen").first).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="Scores").click()
    expect(page.locator(".scores-tabs")).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="Import").click()
    expect(page.locator(".import-intro")).to_contain_text("MB", timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="About").click()
    expect(page.get_by_text("not a medical device").first).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".bk-tab", has_text="Overview").click()
    board.wait_until_drawn()
    page.screenshot(path=str(artifacts / "new-diary.png"), full_page=True)
    board.close()
    assert board.console_errors == [] and board.offsite_requests == []
