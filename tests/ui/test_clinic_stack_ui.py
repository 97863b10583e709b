"""The clinic's stack as ``deploy/run-clinic.sh`` starts it (PostgreSQL, two app processes,
nginx in front, all on 127.0.0.1), in real Chromium through nginx: therapists sign in and
see their patients' plots, whichever process their browser lands on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, expect

from tests.ui.conftest import CLINIC_PASSWORD, running_demo_clinic

from tests.ui.pages import (READY_JS, STATE_JS, TIMEOUT_MS, TITLES, open_tab, real_problems,
                           sign_in, wait_for_dashboard)

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def clinic_stack():
    with running_demo_clinic(dt.date(2026, 11, 20)) as stack:
        yield stack
    assert all(app.poll() is not None for app in stack.apps) and stack.nginx.poll() is not None


def test_therapists_sign_in_through_nginx_and_see_their_patients_plots(browser: Browser,
                                                                         clinic_stack):
    server = SimpleNamespace(url=f"{clinic_stack.address}/app")
    for therapist in ("sam", "alex"):
        page = browser.new_context().new_page()
        page.add_init_script(STATE_JS)
        sign_in(page, server, therapist, CLINIC_PASSWORD)
        wait_for_dashboard(page)
        expect(page.locator(".patients")).to_contain_text("Patient 00", timeout=TIMEOUT_MS)
        expect(page.locator(".visit-view")).to_be_visible()
        open_tab(page, "Overview")
        page.wait_for_function(READY_JS, arg=TITLES, timeout=TIMEOUT_MS)  # drawn, with data
        page.context.close()
    served = [Path(clinic_stack.folder, f"app-{i}.log").read_text() for i in (1, 2)]
    assert [real_problems(log) for log in served] == [[], []], served
