"""Every page and sub-page of the served dashboard, on a desktop (1400x1000) and on a phone
(390x844, a phone's user agent, touch): axe-core finds no critical or serious violation,
nothing runs off the right edge, controls are at least 44x44 px on the phone, field labels
are at least 16 px, and on the phone all text is at least 16 px; and the page links a web app
manifest and icons on the same host.

Personal mode (the demo diary, ``panel serve dashboard/app.py``) and hosted mode (the
sign-in page, a patient's Sharing page, a therapist's view). Each page is visited once per
size (``audit_*`` fixtures); the tests read what the visit measured. Screenshots of every
page at both sizes go to ``test-artifacts/a11y/`` for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest

from dashboard.accounts import Accounts
from dashboard.demo import write_demo
from dashboard.store import Store
from dashboard.session import PERSONAL_PAGES
from dashboard.ui.forms import LogPage
from tests.ui.audits import (OWN_TABS, SIZES, audit_plain, audit_tabs, check_layout, new_page,
                             open_own_tab, open_top_page, report, settle, visible_tab_titles,
                             write_summary)
from tests.ui.conftest import AppServer, served_in_process
from tests.ui.pages import PASSWORD, sign_in

pytestmark = pytest.mark.ui

def personal_audit(browser, server: AppServer, size: str, artifacts):
    page = new_page(browser, size)
    off_host = []
    page.on("request", lambda r: urlsplit(r.url).hostname not in ("127.0.0.1", None)
            and not r.url.startswith("data:") and off_host.append(r.url))
    page.goto(server.url)
    page.locator(".bk-tab").first.wait_for()
    visits = audit_tabs(page, [t for t in visible_tab_titles(page) if t in PERSONAL_PAGES]
                        or list(PERSONAL_PAGES), size, artifacts)
    page.context.close()
    return visits, off_host


@pytest.fixture(scope="module")
def clinic_server(tmp_path_factory):
    """The hosted server (in this process) on a small clinic: one patient (pat) sharing with one
    therapist (ther)."""
    folder = tmp_path_factory.mktemp("a11y-hosted")
    store = Store(folder / "clinic.sqlite")
    accounts = Accounts(store)
    write_demo(store, days=90, seed=4, patient="pat", end=dt.date(2026, 6, 30))
    accounts.add_user("pat", "patient", PASSWORD)
    accounts.add_user("ther", "therapist", PASSWORD)
    accounts.add_grant("pat", "ther", "log")
    store.close()
    yield from served_in_process(folder / "clinic.sqlite", "hosted")


def hosted_audit(browser, clinic_server: AppServer, size: str, artifacts) -> dict:
    visits = {}
    page = new_page(browser, size)
    page.goto(clinic_server.url)
    page.wait_for_url(re.compile(r"/login"))
    visits["Sign in"] = audit_plain(page, "hosted-sign-in", size, artifacts)
    sign_in(page, clinic_server, "pat", wait=True)
    visits.update(audit_tabs(page, ["Sharing"], size, artifacts, prefix="patient "))
    page.context.close()
    page = new_page(browser, size)
    sign_in(page, clinic_server, "ther", wait=True)
    first = visible_tab_titles(page)[0]
    visits.update(audit_tabs(page, [first], size, artifacts, prefix="therapist "))
    page.context.close()
    return visits


@pytest.fixture(scope="module", params=list(SIZES))
def personal(request, browser, dashboard_server, artifacts):
    """Every personal page at one size, visited once: (size, page -> Visit, off-host requests)."""
    visits, off_host = personal_audit(browser, dashboard_server, request.param, artifacts)
    write_summary(artifacts, "personal", request.param, visits)
    return request.param, visits, off_host


@pytest.fixture(scope="module", params=list(SIZES))
def hosted(request, browser, clinic_server, artifacts):
    """The hosted pages at one size, visited once: (size, page -> Visit)."""
    visits = hosted_audit(browser, clinic_server, request.param, artifacts)
    write_summary(artifacts, "hosted", request.param, visits)
    return request.param, visits


def test_personal_pages_have_no_critical_or_serious_violations(personal):
    _size, visits, _ = personal
    assert {"Overview", "Log", "Scores", "Import", "About"} <= set(visits)
    opened = {name.split(" / ")[0] for name in visits if " / " in name}
    assert set(OWN_TABS) <= opened, f"the own tabs of {set(OWN_TABS) - opened} were not opened"
    assert report(visits, lambda v: v.violations) == {}


def test_personal_pages_headings_do_not_skip_levels(personal):
    """axe's heading-order (moderate): under the page's h1, each page's hidden h2 (its tab's
    title), then its own h3 and h4, on every page and sub-page but Effects (reworked apart)."""
    _size, visits, _ = personal
    assert report({name: v for name, v in visits.items() if not name.startswith("Effects")},
                  lambda v: v.heading_order) == {}


def test_a_walk_still_finds_a_screen_locked_to_one_orientation(browser, dashboard_server,
                                                               tmp_path):
    """The rules that read the style sheets (left out of each tab's audit) run once at the end
    of a walk: a style turning the page on its side in portrait is found there."""
    page = new_page(browser, "phone")
    page.goto(dashboard_server.url)
    page.locator(".bk-tab").first.wait_for()
    page.add_style_tag(content="@media (orientation: portrait) { #main { transform: rotate(90deg); } }")
    try:
        visits = audit_tabs(page, ["About"], "phone", tmp_path)
    finally:
        page.context.close()
    assert "css-orientation-lock" in visits["About"].violations


def test_a_page_s_own_tabs_are_listed_when_its_building_is_slow(browser, dashboard_server):
    """The server answers the opening of the Log page 5 s late (its event loop held meanwhile,
    as a busy machine might): its forms are still listed, so audited, not skipped as if it had none."""
    page = new_page(browser, "desktop")
    page.goto(dashboard_server.url)
    page.locator(".bk-tab").first.wait_for()
    try:
        dashboard_server.hold(5)
        open_top_page(page, "Log")
        settle(page)  # what audit() waits for before the page's tabs are listed
        titles = visible_tab_titles(page)
    finally:
        page.context.close()
    assert [form.title for form in LogPage.FORMS] == [t for t in titles if t not in PERSONAL_PAGES]


def test_a_tab_s_contents_are_audited_when_they_arrive_late(browser, dashboard_server):
    """The server answers the opening of the Log's dose form 5 s late: the audit waits for
    the form (its number field's buttons, named by a11y.js), not for a quiet empty tab."""
    page = new_page(browser, "phone")
    page.goto(dashboard_server.url)
    page.locator(".bk-tab").first.wait_for()
    try:
        open_top_page(page, "Log")
        settle(page)
        dashboard_server.hold(5)
        open_own_tab(page, "Medication dose")
        settle(page)  # what audit() waits for before axe looks
        named = page.locator(".log-tabs .bk-spin-btn[aria-label]:visible").count()
        unnamed = page.locator(".log-tabs .bk-spin-btn:not([aria-label]):visible").count()
    finally:
        page.context.close()
    assert named > 0 and unnamed == 0


def test_hosted_pages_have_no_critical_or_serious_violations(hosted):
    _size, visits = hosted
    assert {"Sign in", "patient Sharing"} <= set(visits)
    assert any(name.startswith("therapist ") for name in visits)
    assert report(visits, lambda v: v.violations) == {}


def test_personal_pages_fit_the_screen_with_readable_labels_and_big_targets(personal):
    """Nothing runs off the right edge; labels at least 16 px; on the phone, every control
    at least 44 x 44 px and all text at least 16 px."""
    size, visits, _ = personal
    check_layout(visits, size)


def test_hosted_pages_fit_the_screen_with_readable_labels_and_big_targets(hosted):
    size, visits = hosted
    check_layout(visits, size)


def test_no_request_leaves_the_computer(personal):
    assert personal[2] == []


def test_the_page_links_a_manifest_and_icons_on_the_same_host(browser, dashboard_server):
    page = new_page(browser, "phone")
    page.goto(dashboard_server.url)
    found = page.evaluate("""async () => {
      const link = document.querySelector('link[rel=manifest]');
      const touch = document.querySelector('link[rel=apple-touch-icon]');
      const manifestUrl = new URL(link.getAttribute('href'), document.baseURI);
      const response = await fetch(manifestUrl);
      const manifest = await response.json();
      const icons = [];
      for (const icon of manifest.icons) {
        const url = new URL(icon.src, manifestUrl);
        const r = await fetch(url);
        const bytes = new Uint8Array(await r.arrayBuffer());
        const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
        icons.push({url: url.href, sizes: icon.sizes, status: r.status,
                    type: r.headers.get('content-type'), width: bitmap.width});
      }
      const t = await fetch(new URL(touch.getAttribute('href'), document.baseURI));
      return {manifestUrl: manifestUrl.href, status: response.status, manifest, icons,
              touch: {url: t.url, status: t.status, type: t.headers.get('content-type')},
              start: new URL(manifest.start_url, manifestUrl).href, page: location.href};
    }""")
    page.context.close()
    host = urlsplit(found["page"]).netloc
    assert found["status"] == 200 and urlsplit(found["manifestUrl"]).netloc == host
    manifest = found["manifest"]
    assert manifest["display"] == "standalone" and manifest["short_name"] and manifest["name"]
    assert manifest["theme_color"].startswith("#")
    assert urlsplit(found["start"]).netloc == host
    assert urlsplit(found["start"]).path == "/app" and "checkin=1" in found["start"]
    assert {icon["sizes"] for icon in found["icons"]} >= {"192x192", "512x512"}
    for icon in found["icons"]:
        assert urlsplit(icon["url"]).netloc == host
        assert icon["status"] == 200 and icon["type"] == "image/png"
        assert f"{icon['width']}x{icon['width']}" == icon["sizes"]
    touch = found["touch"]
    assert urlsplit(touch["url"]).netloc == host and touch["status"] == 200
    assert touch["type"] == "image/png"
