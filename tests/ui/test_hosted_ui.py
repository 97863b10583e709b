"""Hosted mode in real Chromium against ``fibro serve --hosted`` on a real store.

Three patients (ann, bea, cy), two therapists (tom: ann with ``log``, bea with ``read``;
tia: cy with ``read``) and a link to bea's diary.  Every patient's sessions carry a
therapist name nobody else's diary has (``Marker-<name>``), so a leak of another
patient's data shows up as that marker in the page or in the document's data.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.accounts import Accounts
from dashboard.demo import write_demo
from dashboard.records import MassageSession
from dashboard.store import Store
from tests.ui.conftest import FAST_ACCESS_CHECKS, served_in_process
from tests.ui.pages import (ALL_DATA_JS, CLOSED_SOCKET, PASSWORD, TIMEOUT_MS, base, open_tab,
                            sign_in, wait_for_dashboard)

pytestmark = pytest.mark.ui

PATIENTS = ("ann", "bea", "cy")
GRANTS = {"tom": {"ann": "log", "bea": "read"}, "tia": {"cy": "read"}}


def marker(patient: str) -> str:
    return f"Marker-{patient}"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """The store: three short diaries, the users, the grants and one link to bea's diary."""
    folder = tmp_path_factory.mktemp("hosted")
    store = Store(folder / "clinic.sqlite")
    accounts = Accounts(store)
    for seed, name in enumerate(PATIENTS):
        write_demo(store, days=60, seed=seed, patient=name, end=dt.date(2026, 11, 20))
        pid = accounts.store.ensure_patient(name)
        store.save(pid, [MassageSession(start=dt.datetime(2026, 11, 18, 10), duration_min=45,
                                        pressure="moderate", areas=("neck",),
                                        therapist=marker(name))])
        accounts.add_user(name, "patient", PASSWORD)
    for therapist, grants in GRANTS.items():
        accounts.add_user(therapist, "therapist", PASSWORD)
        for patient, scope in grants.items():
            accounts.add_grant(patient, therapist, scope)
    accounts.add_user("root", "admin", PASSWORD)
    accounts.add_user("newcomer", "therapist", PASSWORD)  # no grants: for the lockout test
    return store, accounts


@pytest.fixture(scope="module")
def hosted(clinic):
    """The hosted server (in this process) on the clinic store for this module's tests."""
    yield from served_in_process(clinic[0].path, "hosted", env=FAST_ACCESS_CHECKS,
                                 tolerate=CLOSED_SOCKET)


def tabs(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".bk-tab").all_inner_texts()]


def leaks(page: Page, allowed: set[str]) -> list[str]:
    """Markers of patients outside ``allowed`` found on screen or in the document."""
    seen = page.content() + page.evaluate(ALL_DATA_JS)
    return [marker(p) for p in PATIENTS if p not in allowed and marker(p) in seen]


def test_patient_shares_with_a_therapist_and_a_link(page: Page, hosted, clinic, browser):
    _store, accounts = clinic
    sign_in(page, hosted, "ann")
    wait_for_dashboard(page)
    assert tabs(page) == ["Overview", "Effects", "Log", "Scores", "Trial", "Import", "Sharing",
                          "About"]
    assert leaks(page, {"ann"}) == []
    open_tab(page, "Sharing")
    sharing = page.locator(".sharing-page")
    expect(sharing).to_be_visible()
    sharing.locator("input[type=text]").first.fill("tia")
    sharing.locator(".grant-button button").click()
    expect(page.locator(".sharing-message")).to_contain_text("tia can now see your dashboard")
    expect(page.locator(".sharing-tables .grants table")).to_contain_text("tia")
    sharing.locator(".link-button button").click()
    url = page.locator(".new-link .link-url").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(base(hosted))}/link/[A-Za-z0-9_-]{{40,}}", url), url
    grants = accounts.grants("ann")
    assert ("tia", "read", "active") in set(zip(grants["therapist"], grants["scope"], grants["status"]))

    # tia, given read access just now, sees ann beside cy, and no form to log sessions
    therapist = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    sign_in(therapist, hosted, "tia")
    wait_for_dashboard(therapist)
    expect(therapist.locator(".patients")).to_contain_text("ann")
    expect(therapist.locator(".visit-view")).to_be_visible()
    assert leaks(therapist, {"ann", "cy"}) == []

    # the link opens ann's diary read-only for someone without an account
    holder = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    holder.set_default_timeout(TIMEOUT_MS)
    holder.goto(url)
    wait_for_dashboard(holder)
    expect(holder.locator(".link-banner")).to_contain_text("ann's diary")
    expect(holder.locator(".link-banner")).to_contain_text("read-only")
    assert tabs(holder) == ["Overview", "Effects", "Scores", "Trial", "About"]
    assert leaks(holder, {"ann"}) == []
    # back on ann's page, the access log shows the link being opened
    open_tab(page, "Overview")
    open_tab(page, "Sharing")
    for name in ("tia",):
        accounts.revoke("grant", int(grants.loc[grants["therapist"] == name, "id"].iloc[0]))
    # tia keeps cy: ann leaves her patient list and her page within a few seconds
    expect(therapist.locator(".patients")).to_have_text(re.compile(r"Your patient: cy\."),
                                                        timeout=30_000)
    expect(therapist.locator(".visit-view")).to_contain_text(marker("cy"))
    assert leaks(therapist, {"cy"}) == []


def test_therapist_with_log_scope_logs_a_session(page: Page, hosted, clinic):
    store, accounts = clinic
    sign_in(page, hosted, "tom")
    wait_for_dashboard(page)
    assert tabs(page) == ["Since last visit", "Overview", "Effects", "Scores", "Trial", "About"]
    expect(page.locator(".patients")).to_contain_text("ann, bea")
    view = page.locator(".visit-view")
    expect(view).to_contain_text("What the diary says")
    expect(view).to_contain_text("95 % interval")
    expect(view).to_contain_text("Medication overuse")
    assert leaks(page, {"ann", "bea"}) == []
    ann = accounts.patient_id("ann")
    before = len(store.sessions(ann))
    form = page.locator(".form-sessions")
    deep = form.get_by_role("radiogroup", name="Pressure").get_by_role("radio", name="Deep",
                                                                        exact=True)
    deep.click()
    expect(deep).to_have_attribute("aria-checked", "true")
    form.locator("input.choices__input--cloned").click()
    form.locator(".choices__list--dropdown .choices__item--choice", has_text="Upper back").click()
    form.locator(".save-button button").click()
    expect(form.locator(".form-message")).to_contain_text("Saved")
    sessions = store.sessions(ann)
    assert len(sessions) == before + 1
    assert sessions.iloc[-1]["therapist"] == "tom" and sessions.iloc[-1]["pressure"] == "deep"
    # bea granted read only: the view has no form
    page.locator("select").first.select_option(label="bea")
    expect(page.locator(".visit-view")).to_contain_text(marker("bea"))
    expect(page.locator(".form-sessions")).to_be_hidden()


def test_a_therapist_follows_and_plans_a_trial_only_where_they_may_log(page: Page, hosted, clinic):
    """tom logs for ann: her trial's next session heads his first screen and he may plan on
    her Trial page; bea granted him read only: her Trial page has no planner."""
    from dashboard.analysis import trial as tr
    from dashboard.session import DiarySession
    from dashboard.trials import check_design, save_plan

    store, accounts = clinic
    ann = accounts.patient_id("ann")
    session = DiarySession(store)
    design = tr.TrialDesign("light", "deep", start=dt.date.today() + dt.timedelta(days=1), seed=4)
    plan, check = check_design(session, ann, design)
    save_plan(session, ann, design, plan, check)
    sign_in(page, hosted, "tom")
    wait_for_dashboard(page)
    first = plan.iloc[0]["pressure"]
    expect(page.locator(".visit-view")).to_contain_text(
        f"next session: {first} pressure (block 1, period 1)")
    open_tab(page, "Trial")
    expect(page.locator(".trial-schedule tbody tr")).to_have_count(len(plan))
    expect(page.locator(".trial-planner")).to_be_visible()
    expect(page.locator(".trial-stop")).to_be_visible()
    page.locator("select").first.select_option(label="bea")
    expect(page.locator(".trial-next-box")).to_contain_text("No trial planned yet")
    expect(page.locator(".trial-planner")).to_be_hidden()
    expect(page.locator(".trial-read-only")).to_contain_text("need the right to log")
    assert leaks(page, {"ann", "bea"}) == []


def test_a_revoked_link_ends_open_pages_and_its_address(page: Page, hosted, clinic):
    _store, accounts = clinic
    link_id, token = accounts.create_link("bea", "1d")
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base(hosted)}/link/{token}")
    wait_for_dashboard(page)
    expect(page.locator(".link-banner")).to_contain_text("bea's diary")
    accounts.revoke("link", link_id)
    expect(page.locator(".page-ended")).to_be_visible(timeout=30_000)
    assert marker("bea") not in page.evaluate(ALL_DATA_JS)
    page.goto(f"{base(hosted)}/link/{token}")
    expect(page.locator("body")).to_contain_text("This link has ended")
    page.goto(hosted.url)  # the old sign-in of the link is over too
    expect(page.locator("body")).to_contain_text("This link has ended")


def test_an_expired_link_shows_the_ended_page(page: Page, hosted, clinic):
    _store, accounts = clinic
    from dashboard.accounts import utcnow

    _link, token = accounts.create_link("bea", "2h", now=utcnow() - dt.timedelta(hours=3))
    page.goto(f"{base(hosted)}/link/{token}")
    expect(page.locator("body")).to_contain_text("This link has ended")
    assert marker("bea") not in page.content()


def test_sign_out_ends_the_session_on_the_server(page: Page, hosted, context):
    sign_in(page, hosted, "cy")
    wait_for_dashboard(page)
    cookies = context.cookies()
    page.locator(".sign-out").click()
    page.locator(".confirm-sign-out").click()  # GET /logout only asks; the form posts
    expect(page).to_have_url(re.compile(r"/login\?signed-out=1"))
    context.add_cookies(cookies)  # the old cookie, replayed, no longer signs anyone in
    page.goto(hosted.url)
    expect(page).to_have_url(re.compile(r"/login"))


def test_five_failed_sign_ins_lock_the_name_for_a_while(page: Page, hosted):
    for _ in range(5):
        sign_in(page, hosted, "newcomer", "wrong password")
        expect(page.locator(".problem")).to_contain_text("do not match")
    sign_in(page, hosted, "newcomer", PASSWORD)
    expect(page.locator(".problem")).to_contain_text("15 minutes")


def test_nobody_reaches_a_patient_outside_their_grants(page: Page, hosted, clinic, browser):
    """As each user and a link holder, try every route we know of; count the leaks.

    Every user's page is open at once and each route is tried on all of them before one
    wait for whatever might still arrive (each page waits as long as when they took turns)."""
    _store, accounts = clinic
    allowed = {"ann": {"ann"}, "bea": {"bea"}, "cy": {"cy"}, "tom": {"ann", "bea"},
               "tia": {"cy"}, "root": set()}
    ids = {p: accounts.patient_id(p) for p in PATIENTS}
    found: list[str] = []
    contexts = {user: browser.new_context(viewport={"width": 1400, "height": 1000})
                for user in allowed}
    tabs = {user: context.new_page() for user, context in contexts.items()}
    hidden = {user: [p for p in PATIENTS if p not in visible] for user, visible in allowed.items()}

    def look(wait_ms: int, users: dict) -> None:
        """Wait once for all ``users``' pages, then count what each shows."""
        tabs[next(iter(users))].wait_for_timeout(wait_ms)
        for user, label in users.items():
            found.extend(f"{user}: {label}{m}" for m in leaks(tabs[user], allowed[user]))

    for user, tab in tabs.items():
        sign_in(tab, hosted, user)
    for tab in tabs.values():
        expect(tab.locator(".sign-out")).to_be_visible(timeout=TIMEOUT_MS)
    look(1500, {user: "page " for user in tabs})
    for turn in range(len(PATIENTS)):
        # URL arguments naming another patient, by id and by name
        users = {user: f"?patient={names[turn]} " for user, names in hidden.items()
                 if turn < len(names)}
        for user in users:
            patient = hidden[user][turn]
            tabs[user].goto(f"{hosted.url}?patient={ids[patient]}&name={patient}")
        for user in users:
            expect(tabs[user].locator(".sign-out")).to_be_visible()
        look(1000, users)
    for turn in range(len(PATIENTS)):
        # a crafted websocket message: set every select to another patient's label
        users = {user: f"select {names[turn]} " for user, names in hidden.items()
                 if turn < len(names)}
        for user in users:
            tabs[user].evaluate("""(label) => { for (const doc of window.Bokeh.documents)
                for (const m of doc._all_models.values())
                  if (m.type === 'Select' || (m.constructor && m.constructor.name === 'Select'))
                    { try { m.value = label; } catch (e) {} } }""", hidden[user][turn])
        look(1500, users)
    for user, tab in tabs.items():
        for token in ("A" * 43, "not-a-token"):  # a forged or tampered link token
            tab.goto(f"{base(hosted)}/link/{token}")
            found.extend(f"{user}: link {m}" for m in leaks(tab, allowed[user]))
    for context in contexts.values():
        context.close()
    assert found == [], f"{len(found)} leaks: {found}"


def test_server_log_holds_no_password_token_or_health_data(hosted, clinic):
    _store, accounts = clinic
    _link, token = accounts.create_link("cy", "1h")
    import urllib.request

    urllib.request.urlopen(f"{base(hosted)}/link/{token}", timeout=60).read()
    urllib.request.urlopen(f"{base(hosted)}/link/{'B' * 43}", timeout=60).read()
    text = hosted.log()
    assert PASSWORD not in text and token not in text and "B" * 43 not in text
    assert not any(marker(p) in text for p in PATIENTS)
    store_text = json.dumps(accounts.audit().astype(str).to_dict("records"))
    assert PASSWORD not in store_text and token not in store_text
