"""The audit of a page for the browser tests (``test_accessibility_ui``,
``test_therapist_ui``): axe-core's critical and serious violations, the layout (nothing cut
off, readable labels, big targets on a phone), opening pages and their own tabs, and a
screenshot of each page at each size in ``test-artifacts/a11y/``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.ui.pages import open_tab

SLOW_TIMEOUT_MS = 120_000  # an audit's wait for a whole page to settle

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
VIEWS_QUIET_JS = """() => {
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
    page.wait_for_function(VIEWS_QUIET_JS, polling=400, timeout=SLOW_TIMEOUT_MS)


# axe's rules that read the style sheets' text (css-orientation-lock, serious) or the page's
# media (no-autoplay-audio) need its "preload", which fetches every style sheet again: it was
# 75-80 % of an axe run on these pages (1.3-1.8 s of 1.6-2.2 s; 0.3-0.5 s without it, one
# quiet evening). The sheets only grow during a walk (a tab's contents stay in the page once
# built, with the sheets its widgets brought), so a walk of tabs runs these rules once, at its
# end, on every sheet its pages brought; a single page runs them with the rest.
PRELOADED = ("css-orientation-lock", "no-autoplay-audio")


def serious_rules(page: Page, preload: bool = True, only=None) -> tuple[dict, set]:
    """axe's response and the ids of its critical or serious violations; without ``preload``,
    the rules in ``PRELOADED`` are left undecided (axe's "incomplete"), not passed."""
    options: dict = {"resultTypes": ["violations"]}
    if not preload:
        options["preload"] = False
    if only:
        options["runOnly"] = {"type": "rule", "values": list(only)}
    response = Axe().run(page, options=options).response
    return response, {v["id"] for v in response["violations"] if v["impact"] in SERIOUS}


def audit(page: Page, name: str, size: str, artifacts, preload: bool = True) -> Visit:
    """One page: axe (without the ``PRELOADED`` rules unless ``preload``), its layout
    measured, and a screenshot."""
    settle(page)
    response, found = serious_rules(page, preload)
    skipped = [node["html"][:120] for v in response["violations"] if v["id"] == "heading-order"
               for node in v["nodes"]]
    if found:
        # A tab built when first opened draws its buttons in Bokeh's default colours for a
        # moment (white on #428bca, 3.6:1) before the page's styles reach them; a violation
        # counts when it is still there a second later.
        page.wait_for_timeout(1000)
        settle(page)
        response, _ = serious_rules(page, preload)  # of its violations, those seen both times
        response["violations"] = [v for v in response["violations"] if v["id"] in found]
    visit = Visit(heading_order=skipped)
    add_violations(page, visit, response)
    return measured(page, visit, name, size, artifacts)


def measured(page: Page, visit: Visit, name: str, size: str, artifacts) -> Visit:
    """``visit`` with the page's layout measured, once its screenshot is in
    ``artifacts/a11y/``."""
    visit.layout = page.evaluate(MEASURE_JS)
    folder = artifacts / "a11y"
    folder.mkdir(exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    page.screenshot(path=folder / f"{size}-{slug}.png")
    return visit


def add_violations(page: Page, visit: Visit, response: dict) -> None:
    """axe's critical and serious violations in ``response``, into ``visit`` (known ones apart)."""
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
    page.wait_for_function(TABS_BUILT_JS, polling=200, timeout=SLOW_TIMEOUT_MS)


def open_top_page(page: Page, title: str) -> None:
    """Open the page ``title``; return when it is built and its own tabs, if it has any, are
    in the browser."""
    open_tab(page, title)
    wait_until_built(page)
    if title in OWN_TABS:
        expect(page.locator(f"{OWN_TABS[title]} .bk-tab").first).to_be_visible(timeout=SLOW_TIMEOUT_MS)


def open_own_tab(page: Page, sub: str) -> None:
    """Open the tab ``sub`` of the page shown; return when its contents are in the browser."""
    open_tab(page, sub)
    wait_until_built(page)


def audit_tabs(page: Page, top: list[str], size: str, artifacts, prefix: str = "") -> dict:
    """Each of the pages ``top``, then each of its own tabs (the Log's forms, the Scores'
    questionnaires): name -> Visit."""
    visits, pages = {}, set(visible_tab_titles(page))
    for title in top:
        open_top_page(page, title)
        visits[prefix + title] = audit(page, prefix + title, size, artifacts, preload=False)
        for sub in [t for t in visible_tab_titles(page) if t not in pages]:
            open_own_tab(page, sub)
            visits[f"{prefix}{title} / {sub}"] = audit(page, f"{prefix}{title}-{sub}", size,
                                                       artifacts, preload=False)
    # the rules left out above, once, on every style sheet the walk's pages brought (they are
    # the page's, not a tab's: reported with the page shown last)
    add_violations(page, visits[list(visits)[-1]], serious_rules(page, only=PRELOADED)[0])
    return visits


def new_page(browser, size: str) -> Page:
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    page.set_default_timeout(SLOW_TIMEOUT_MS)
    return page


def audit_plain(page: Page, name: str, size: str, artifacts) -> Visit:
    """A page without Bokeh (the sign-in form): nothing to settle, every rule at once."""
    visit = Visit()
    add_violations(page, visit, serious_rules(page)[0])
    return measured(page, visit, name, size, artifacts)


def report(visits: dict, part) -> dict:
    return {name: found for name, visit in visits.items() if (found := part(visit))}


def write_summary(artifacts, kind: str, size: str, visits: dict) -> None:
    """Violations and measurements per page, for the closing note and a person's eyes."""
    (artifacts / "a11y").mkdir(exist_ok=True)
    (artifacts / "a11y" / f"{kind}-{size}.json").write_text(json.dumps(
        {name: {"violations": v.violations, "known": v.known, "layout": v.layout,
                "heading_order": v.heading_order}
         for name, v in visits.items()}, indent=1))


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
