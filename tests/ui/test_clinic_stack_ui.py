"""The clinic's stack as ``deploy/run-clinic.sh`` starts it (PostgreSQL, two app processes,
nginx in front, all on 127.0.0.1), in real Chromium through nginx: therapists sign in and
see their patients' plots, whichever process their browser lands on."""

from __future__ import annotations

import datetime as dt
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, expect

from dashboard.demo import write_clinic
from dashboard.store import Store
from tests.pg import skipping_postgres
from tests.ui.test_dashboard_ui import READY_JS, STATE_JS, TITLES
from tests.ui.test_hosted_ui import (TIMEOUT_MS, open_tab, real_problems, sign_in,
                                    wait_for_dashboard)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
from stack import ClinicStack, NotAvailable  # noqa: E402

pytestmark = pytest.mark.ui
PASSWORD = "a long clinic password"


@contextmanager
def running_demo_clinic(end: dt.date):
    """Two app processes behind nginx on a throwaway PostgreSQL holding a small demo clinic
    (four patients, 60 days ending on ``end``); stopped afterwards."""
    if skipping_postgres():
        pytest.skip("FIBRO_SKIP_POSTGRES is set")
    stack = ClinicStack(processes=2)
    try:
        stack.start()
    except NotAvailable as error:
        pytest.fail(f"{error} (set FIBRO_SKIP_POSTGRES=1 to skip)", pytrace=False)
    try:
        store = Store(stack.db_url)
        write_clinic(store, patients=4, days=60, therapists=2, password=PASSWORD, end=end)
        store.close()
        yield stack
    finally:
        stack.stop()


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
        sign_in(page, server, therapist, PASSWORD)
        wait_for_dashboard(page)
        expect(page.locator(".patients")).to_contain_text("Patient 00", timeout=TIMEOUT_MS)
        expect(page.locator(".visit-view")).to_be_visible()
        open_tab(page, "Overview")
        page.wait_for_function(READY_JS, arg=TITLES, timeout=TIMEOUT_MS)  # drawn, with data
        page.context.close()
    served = [Path(clinic_stack.folder, f"app-{i}.log").read_text() for i in (1, 2)]
    assert [real_problems(log) for log in served] == [[], []], served
