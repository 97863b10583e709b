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

import contextlib
import datetime as dt
import json
import os
import re
import signal
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from dashboard.accounts import Accounts
from dashboard.demo import write_demo
from dashboard.store import Store
from dashboard.session import PERSONAL_PAGES
from dashboard.ui.forms import LogPage
from tests.ui.conftest import FIBRO_SERVE, Server

pytestmark = pytest.mark.ui

TIMEOUT_MS = 120_000
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0 Mobile Safari/537.36")
SIZES = {
    "desktop": {"viewport": {"width": 1400, "height": 1000}},
    "phone": {"viewport": {"width": 390, "height": 844}, "user_agent": PHONE_UA,
              "is_mobile": True, "has_touch": True},
}
SERIOUS = {"critical", "serious"}
# Violations left inside a third-party widget, each for one rule and one element, with why
# (none since the Log page's histories left Tabulator for ui/tables.RecordTable):
KNOWN: dict[tuple[str, str], str] = {}
PASSWORD = "a long test password"

# Everything the visit measures, walking into every shadow root (Bokeh draws in them).
MEASURE_JS = """() => {
  const all = [];
  const walk = root => { for (const el of root.querySelectorAll('*')) {
    all.push(el); if (el.shadowRoot) walk(el.shadowRoot); } };
  walk(document);
  const parentOf = el => el.parentElement || (el.getRootNode() instanceof ShadowRoot
                                              ? el.getRootNode().host : null);
  const shown = el => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let e = el; e; e = parentOf(e)) if (e.inert) return false;
    const s = getComputedStyle(el);
    return s.visibility === 'visible' && parseFloat(s.opacity) > 0;
  };
  const describe = el => `${el.tagName.toLowerCase()}.${String(el.className).trim()
    .replace(/\\s+/g, '.')}[${(el.getAttribute('aria-label') || el.textContent || '')
    .trim().slice(0, 30)}]`;
  const PAGE = new Set(['main', 'content', 'container']);
  const CONTROL = 'button, [role=button], [role=tab], [role=slider], select, ' +
                  'input:not([type=hidden]), textarea, a[href]';
  const vw = window.innerWidth;
  const out = {cut: [], small_targets: [], small_labels: [], small_text: [],
               doc_scroll: document.documentElement.scrollWidth, viewport: vw,
               main_scroll: 0, main_width: 0};
  const main = document.getElementById('main');
  if (main) { out.main_scroll = main.scrollWidth; out.main_width = main.clientWidth; }
  for (const el of all) {
    if (!el.matches(CONTROL) || el.tabIndex < 0 || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    // a control is cut off when it runs past the screen, or past a box that clips it
    // (a box that scrolls by itself, like a wide table, is fine)
    let limit = vw, scrolls = false;
    for (let e = parentOf(el); e; e = parentOf(e)) {
      const ox = getComputedStyle(e).overflowX;
      if (ox === 'visible' || PAGE.has(e.id)) continue;
      if (ox === 'auto' || ox === 'scroll') { scrolls = e.scrollWidth > e.clientWidth + 1; }
      else { limit = Math.min(limit, e.getBoundingClientRect().right); }
      break;
    }
    if (!scrolls && r.right > limit + 1 && r.left < vw) out.cut.push(describe(el));
    // touch targets: a checkbox or radio counts with its label
    const box = (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label'))
      ? el.closest('label').getBoundingClientRect() : r;
    const inline = el.matches('a') && getComputedStyle(el).display === 'inline';  // in a sentence
    if ((box.width < 43.5 || box.height < 43.5) && !inline && !el.closest('p, li, td'))
      out.small_targets.push(`${describe(el)} ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  for (const el of all) {
    if (!el.matches('label, .bk-slider-title, .bk-tab, legend, .group-label') || !shown(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 15.5) out.small_labels.push(`${describe(el)} ${size}px`);
  }
  // any shown element with text of its own (Bokeh's legends are HTML too; what Bokeh draws
  // on its canvas, as axis labels, is not in the page and not measured here)
  for (const el of all) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) || !shown(el))
      continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 15.5) out.small_text.push(`${describe(el)} ${size}px`);
  }
  return out;
}"""
QUIET_JS = """() => {
  const n = window.Bokeh && window.Bokeh.index ? [...window.Bokeh.index.all_views()].length : -1;
  const passes = window.fibroA11yPasses || 0;  // a11y.js's passes over the page
  const q = window.__quiet || (window.__quiet = {n: -2, same: 0, passes: 0});
  if (n === q.n && n > 0) { q.same += 1; } else { q.same = 0; q.passes = passes; }
  q.n = n;
  return q.same >= 3 && passes >= q.passes + 2;  // stable, and a11y.js has seen it twice
}"""


@dataclass
class Visit:
    """What one page at one size showed."""

    violations: dict = field(default_factory=dict)  # rule -> [element, ...]
    heading_order: list = field(default_factory=list)  # headings that skip a level (moderate)
    known: dict = field(default_factory=dict)
    layout: dict = field(default_factory=dict)


def settle(page: Page) -> None:
    """Wait until the page stops adding views (polled every 0.4 s: 4 equal counts)."""
    page.evaluate("() => { window.__quiet = undefined; }")
    page.wait_for_function(QUIET_JS, polling=400, timeout=TIMEOUT_MS)


def serious_rules(page: Page) -> tuple[dict, set]:
    """axe's response and the ids of its critical or serious violations."""
    response = Axe().run(page).response
    return response, {v["id"] for v in response["violations"] if v["impact"] in SERIOUS}


def audit(page: Page, name: str, size: str, artifacts) -> Visit:
    settle(page)
    response, found = serious_rules(page)
    skipped = [node["html"][:120] for v in response["violations"] if v["id"] == "heading-order"
               for node in v["nodes"]]
    if found:
        # A tab built when first opened draws its buttons in Bokeh's default colours for a
        # moment (white on #428bca, 3.6:1) before the page's styles reach them; a violation
        # counts when it is still there a second later.
        page.wait_for_timeout(1000)
        settle(page)
        response, _ = serious_rules(page)  # of its violations, those seen both times
        response["violations"] = [v for v in response["violations"] if v["id"] in found]
    visit = Visit(heading_order=skipped)
    for violation in response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            target = node["target"][-1] if node["target"] else ""
            target = target[-1] if isinstance(target, list) else target
            known = [sel for rule, sel in KNOWN if rule == violation["id"] and
                     page.evaluate(JS_MATCHES, [node["target"], sel])]
            bucket = visit.known if known else visit.violations
            bucket.setdefault(violation["id"], []).append(f"{target}: {node['html'][:120]}")
    visit.layout = page.evaluate(MEASURE_JS)
    folder = artifacts / "a11y"
    folder.mkdir(exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    page.screenshot(path=folder / f"{size}-{slug}.png")
    return visit


# Whether the element axe names (a list of selectors, one per shadow root) matches a selector.
JS_MATCHES = """([target, selector]) => {
  let root = document, el = null;
  for (const part of target) {
    const sel = Array.isArray(part) ? part : [part];
    for (const s of sel) { el = root.querySelector(s); if (!el) return false;
                           root = el.shadowRoot || el; }
  }
  return !!el && el.matches(selector);
}"""


def open_tab(page: Page, title: str) -> None:
    page.locator(".bk-tab:visible", has_text=re.compile(f"^{re.escape(title)}$")).first.click()


def visible_tab_titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".bk-tab:visible").all_inner_texts()]


# The pages with tabs of their own, by the CSS class of those tabs (forms.LogPage's forms,
# scores_page.ScoresPage's questionnaires). A page is built when it is first opened, so its
# tabs reach the browser a while after its own tab was clicked, later on a busy machine.
OWN_TABS = {"Log": ".log-tabs", "Scores": ".scores-tabs"}


# Whether every shown set of tabs holds its open tab's contents in the browser: LazyTabs
# (ui/tabs.py) shows an empty holder column until the server has built the tab and sent what
# it built; settle() alone can find such a tab quiet and let axe run before (or while) it
# arrives (under load, the phone audit found the dose form's fields before a11y.js named them).
TABS_BUILT_JS = """() => {
  const index = window.Bokeh && window.Bokeh.index;
  if (!index) return false;
  for (const view of index.all_views()) {
    const tabs = view.model.tabs;
    if (!Array.isArray(tabs) || !view.el.isConnected || !view.el.getClientRects().length) continue;
    const open = tabs[view.model.active];
    const child = open && open.child;
    if (child && Array.isArray(child.children) && child.children.length === 0) return false;
  }
  return true;
}"""


def wait_until_built(page: Page) -> None:
    page.wait_for_function(TABS_BUILT_JS, polling=200, timeout=TIMEOUT_MS)


def open_page(page: Page, title: str) -> None:
    """Open the page ``title``; return when it is built and its own tabs, if it has any, are
    in the browser."""
    open_tab(page, title)
    wait_until_built(page)
    if title in OWN_TABS:
        expect(page.locator(f"{OWN_TABS[title]} .bk-tab").first).to_be_visible(timeout=TIMEOUT_MS)


def open_own_tab(page: Page, sub: str) -> None:
    """Open the tab ``sub`` of the page shown; return when its contents are in the browser."""
    open_tab(page, sub)
    wait_until_built(page)


def audit_tabs(page: Page, top: list[str], size: str, artifacts, prefix: str = "") -> dict:
    """Each of the pages ``top``, then each of its own tabs (the Log's forms, the Scores'
    questionnaires): name -> Visit."""
    visits, pages = {}, set(visible_tab_titles(page))
    for title in top:
        open_page(page, title)
        visits[prefix + title] = audit(page, prefix + title, size, artifacts)
        for sub in [t for t in visible_tab_titles(page) if t not in pages]:
            open_own_tab(page, sub)
            visits[f"{prefix}{title} / {sub}"] = audit(page, f"{prefix}{title}-{sub}", size,
                                                       artifacts)
    return visits


def new_page(browser, size: str) -> Page:
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def personal_audit(browser, server: Server, size: str, artifacts):
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
def clinic_server(tmp_path_factory, artifacts):
    """``fibro serve --hosted`` on a small clinic: one patient (pat) sharing with one
    therapist (ther)."""
    folder = tmp_path_factory.mktemp("a11y-hosted")
    store = Store(folder / "clinic.sqlite")
    accounts = Accounts(store)
    write_demo(store, days=90, seed=4, patient="pat", end=dt.date(2026, 6, 30))
    accounts.add_user("pat", "patient", PASSWORD)
    accounts.add_user("ther", "therapist", PASSWORD)
    accounts.add_grant("pat", "ther", "log")
    store.close()
    server = Server(folder / "clinic.sqlite", artifacts / "a11y-hosted-server.log",
                    [*FIBRO_SERVE, "--hosted"])
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def sign_in(page: Page, server: Server, name: str) -> None:
    page.goto(server.url)
    page.wait_for_url(re.compile(r"/login"))
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.locator(".bk-tab").first.wait_for()


def hosted_audit(browser, clinic_server: Server, size: str, artifacts) -> dict:
    visits = {}
    page = new_page(browser, size)
    page.goto(clinic_server.url)
    page.wait_for_url(re.compile(r"/login"))
    visits["Sign in"] = audit_plain(page, "hosted-sign-in", size, artifacts)
    sign_in(page, clinic_server, "pat")
    visits.update(audit_tabs(page, ["Sharing"], size, artifacts, prefix="patient "))
    page.context.close()
    page = new_page(browser, size)
    sign_in(page, clinic_server, "ther")
    first = visible_tab_titles(page)[0]
    visits.update(audit_tabs(page, [first], size, artifacts, prefix="therapist "))
    page.context.close()
    return visits


def audit_plain(page: Page, name: str, size: str, artifacts) -> Visit:
    """A page without Bokeh (the sign-in form)."""
    visit = Visit()
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in SERIOUS:
            visit.violations[violation["id"]] = [n["html"][:120] for n in violation["nodes"]]
    visit.layout = page.evaluate(MEASURE_JS)
    (artifacts / "a11y").mkdir(exist_ok=True)
    page.screenshot(path=artifacts / "a11y" / f"{size}-{name}.png")
    return visit


def report(visits: dict, part) -> dict:
    return {name: found for name, visit in visits.items() if (found := part(visit))}


def write_summary(artifacts, kind: str, size: str, visits: dict) -> None:
    """Violations and measurements per page, for the closing note and a person's eyes."""
    (artifacts / "a11y").mkdir(exist_ok=True)
    (artifacts / "a11y" / f"{kind}-{size}.json").write_text(json.dumps(
        {name: {"violations": v.violations, "known": v.known, "layout": v.layout,
                "heading_order": v.heading_order}
         for name, v in visits.items()}, indent=1))


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


@contextlib.contextmanager
def answering_late(server: Server, seconds: float = 5):
    """The server stopped (SIGSTOP) for ``seconds`` from now, as a busy machine may hold it."""
    pid = server.process.pid
    os.kill(pid, signal.SIGSTOP)
    resume = threading.Timer(seconds, os.kill, (pid, signal.SIGCONT))
    resume.start()
    try:
        yield
    finally:
        resume.cancel()
        os.kill(pid, signal.SIGCONT)


def test_a_page_s_own_tabs_are_listed_when_its_building_is_slow(browser, dashboard_server):
    """The server answers the opening of the Log page 5 s late (stopped meanwhile, as a busy
    machine might): its forms are still listed, so audited, not skipped as if it had none."""
    page = new_page(browser, "desktop")
    page.goto(dashboard_server.url)
    page.locator(".bk-tab").first.wait_for()
    try:
        with answering_late(dashboard_server):
            open_page(page, "Log")
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
        open_page(page, "Log")
        settle(page)
        with answering_late(dashboard_server):
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


def check_layout(visits: dict, size: str) -> None:
    for name, visit in visits.items():
        layout = visit.layout
        assert layout["doc_scroll"] <= layout["viewport"], name
        assert layout["main_scroll"] <= layout["main_width"] + 1, name
    assert report(visits, lambda v: v.layout["cut"]) == {}
    assert report(visits, lambda v: v.layout["small_labels"]) == {}
    if size == "phone":
        assert report(visits, lambda v: v.layout["small_targets"]) == {}
        assert report(visits, lambda v: v.layout["small_text"]) == {}


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
