"""Faults on the clinic's stack (issue 13), in real Chromium through nginx: the app process
a therapist's page lives on is killed; the page says it lost the connection, loads again
on the other process, and every save it had confirmed is in the database.  Also the
therapist's patient list with last visits and trends."""

from __future__ import annotations

import datetime as dt
import re
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.store import Store
from tests.ui.conftest import CLINIC_PASSWORD, running_demo_clinic
from tests.ui.pages import TIMEOUT_MS, real_problems, sign_in, wait_for_dashboard

pytestmark = pytest.mark.ui
OPENED = "WebSocket connection opened"


@pytest.fixture
def clinic_stack():
    """Two app processes behind nginx on a throwaway PostgreSQL with four demo patients."""
    with running_demo_clinic(dt.date.today()) as stack:
        yield stack


def app_logs(stack) -> list[str]:
    return [Path(stack.folder, f"app-{i + 1}.log").read_text() for i in range(stack.processes)]


def serving(stack, opened_before: list[int]) -> int:
    """The index of the app process that opened a websocket since ``opened_before``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        grown = [i for i, log in enumerate(app_logs(stack)) if log.count(OPENED) > opened_before[i]]
        if len(grown) == 1:
            return grown[0]
        time.sleep(0.2)
    raise AssertionError(f"no single process opened the page's websocket: {grown}")


def sessions_of(stack, patient: str) -> int:
    store = Store(stack.db_url)
    try:
        found = store.patients()
        return len(store.sessions(int(found.loc[found["name"] == patient, "id"].iloc[0])))
    finally:
        store.close()


def log_session(page: Page, patient: str) -> None:
    """Choose ``patient`` in the sidebar and log a session (the form's defaults: now,
    moderate pressure; the upper back) in the visit view's form."""
    page.locator("select").first.select_option(label=patient)
    expect(page.locator(".visit-view")).to_be_visible()
    form = page.locator(".form-sessions")
    expect(form).to_be_visible()
    form.locator("input.choices__input--cloned").click()
    form.locator(".choices__list--dropdown .choices__item--choice", has_text="Upper back").click()
    form.locator(".save-button button").click()
    expect(form.locator(".form-message")).to_contain_text("Saved")


def test_a_killed_process_sends_its_page_to_the_other_and_loses_no_save(browser: Browser,
                                                                        clinic_stack):
    stack = clinic_stack
    before = [log.count(OPENED) for log in app_logs(stack)]
    page = browser.new_context().new_page()
    sign_in(page, SimpleNamespace(url=f"{stack.address}/app"), "sam", CLINIC_PASSWORD)
    wait_for_dashboard(page)
    victim = serving(stack, before)
    counts = {name: sessions_of(stack, name) for name in ("Patient 002", "Patient 004")}

    log_session(page, "Patient 002")  # confirmed on screen before the fault
    assert sessions_of(stack, "Patient 002") == counts["Patient 002"] + 1

    opened = [log.count(OPENED) for log in app_logs(stack)]
    stack.apps[victim].send_signal(signal.SIGKILL)
    stack.apps[victim].wait(10)
    notice = page.locator(".connection-lost")
    expect(notice).to_be_visible(timeout=20_000)
    expect(notice).to_contain_text("connection to the server was lost")
    expect(notice).to_contain_text("everything you saved is kept")

    # the page loads again by itself, on the process that is still up, still signed in
    survivor = 1 - victim
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while app_logs(stack)[survivor].count(OPENED) <= opened[survivor]:
        assert time.monotonic() < deadline, "the page never reconnected to the other process"
        time.sleep(0.2)
    wait_for_dashboard(page)
    expect(page).to_have_url(re.compile(r"/app"))
    assert page.evaluate("window.fibroConnectionLost === undefined")  # a fresh page
    expect(page.locator(".connection-lost")).to_be_hidden()

    log_session(page, "Patient 004")  # and saving works there
    assert sessions_of(stack, "Patient 002") == counts["Patient 002"] + 1  # nothing lost
    assert sessions_of(stack, "Patient 004") == counts["Patient 004"] + 1
    assert real_problems(app_logs(stack)[survivor]) == []
    page.context.close()


def test_the_therapist_opens_the_patient_list_with_last_visits_and_trends(browser: Browser,
                                                                        clinic_stack):
    page = browser.new_context().new_page()
    sign_in(page, SimpleNamespace(url=f"{clinic_stack.address}/app"), "sam", CLINIC_PASSWORD)
    wait_for_dashboard(page)
    card = page.locator(".patient-list-card")
    expect(card).to_contain_text("All 4 patients: last visit and pain trend")
    card.get_by_role("button").first.click()  # the card's header opens it
    table = page.locator(".patient-list-table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table).to_contain_text("Patient 001")
    expect(table).to_contain_text(re.compile(r"[↓↑→] (better|worse|about the same): pain "
                                             r"\d+\.\d → \d+\.\d"))
    expect(table).to_contain_text(re.compile(r"\d\d \w{3} \d{4} \((today|\d+ days? ago)"))
    page.context.close()
