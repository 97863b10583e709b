"""The Overview's "Download report" button on the served demo dashboard, clicked in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from tests.ui.pages import Dashboard


pytestmark = pytest.mark.ui

DOWNLOAD_TIMEOUT_MS = 120_000  # the PDF is made on the server, on two busy cores


def test_download_report_saves_the_shown_patients_pdf(page: Page, dashboard_server, tmp_path,
                                                      artifacts):
    dashboard_server.ensure_running()
    board = Dashboard(page, dashboard_server.url).open()
    try:
        page.locator(".report-audience").get_by_role("button", name="For the doctor").click()
        with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as download:
            page.get_by_role("button", name="Download report").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        expect(page.locator(".report-status")).to_contain_text("ready")
        page.locator(".report-button").screenshot(path=artifacts / "report-button.png")
    finally:
        board.close()

    assert saved.name.startswith("diary-report-") and saved.suffix == ".pdf"
    assert saved.read_bytes()[:5] == b"%PDF-"
    reader = PdfReader(saved)
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Demo patient" in text and "report for the doctor" in text
    assert "associations, not causes" in text
    assert text.index("Standard scores") < text.index("Massage sessions")
    assert board.offsite_requests == [], "the page tried to reach another host"
    assert board.console_errors == [], board.console
