"""The therapist's side in real Chromium, against two ``fibro serve --hosted`` processes on one
store: every page a therapist and a link holder see, at 390x844 and 1400x1000, passes axe with
no critical or serious violation and fits the screen; the sessions since the last visit are
cards on a phone; account times are in the server's zone (server A runs with
``TZ=Asia/Kolkata``, so they differ from UTC); logging today's session keeps "since last
visit" on the previous visit; and a session logged through process B is on the page process A
serves at the next opening, although A had computed that diary's view before.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from dashboard.accounts import Accounts
from dashboard.demo import write_demo
from dashboard.records import MassageSession
from dashboard.store import Store
from tests.ui.audits import (SIZES, audit, audit_tabs, check_layout, new_page, report,
                             visible_tab_titles)
from tests.ui.conftest import FIBRO_SERVE, Server
from tests.ui.pages import sign_in

pytestmark = pytest.mark.ui

PASSWORD = "a long test password"
ZONE = "Asia/Kolkata"  # server A's zone: IST, UTC+05:30
TIMEOUT_MS = 120_000


def today_there() -> dt.date:
    return dt.datetime.now(ZoneInfo(ZONE)).date()


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """pat's 200-day diary up to yesterday (in server A's zone) with ther's sessions 28 and
    14 days ago; ther has a ``log`` grant; one read-only link to pat's diary."""
    folder = tmp_path_factory.mktemp("therapist")
    store = Store(folder / "clinic.sqlite")
    today = today_there()
    write_demo(store, days=200, seed=5, patient="pat", end=today - dt.timedelta(days=1))
    pid = store.ensure_patient("pat")
    store.save(pid, [MassageSession(start=dt.datetime.combine(today - dt.timedelta(days=d),
                                                              dt.time(10)),
                                    duration_min=45, pressure="moderate",
                                    areas=("neck", "upper_back"), therapist="ther",
                                    pain_before=6, pain_after=4) for d in (28, 14)])
    accounts = Accounts(store)
    accounts.add_user("pat", "patient", PASSWORD)
    accounts.add_user("ther", "therapist", PASSWORD)
    accounts.add_grant("pat", "ther", "log")
    _link_id, token = accounts.create_link("pat", "7d")
    return store, accounts, token


@pytest.fixture(scope="module")
def servers(clinic, artifacts):
    """Two processes serving the one store, A and B (both in ``ZONE``)."""
    store, _accounts, _token = clinic
    started = [Server(store.path, artifacts / "therapist-a.log", [*FIBRO_SERVE, "--hosted"],
                      env={"TZ": ZONE}),
               Server(store.path, artifacts / "therapist-b.log", [*FIBRO_SERVE, "--hosted"],
                      env={"TZ": ZONE})]  # one "today" for both
    try:
        for server in started:
            server.wait_until_up()
        yield started
    finally:
        for server in started:
            server.stop()
    for server in started:
        assert [line for line in server.problems() if "WebSocketClosedError" not in line] == [], \
            server.log_path


def wait_for_visit(page: Page) -> None:
    """Until the view's lower part (built once the page has arrived) is shown."""
    expect(page.locator(".visit-rest")).to_contain_text("Latest scores", timeout=TIMEOUT_MS)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_therapist_s_and_link_holder_s_pages_pass_axe_and_fit(browser, servers, clinic,
                                                                    artifacts, size):
    _store, _accounts, token = clinic
    server = servers[0]
    page = new_page(browser, size)
    sign_in(page, server, "ther", wait=True)
    wait_for_visit(page)
    titles = visible_tab_titles(page)
    assert titles[:2] == ["Since last visit", "Overview"]
    visits = audit_tabs(page, titles, size, artifacts, prefix="therapist ")
    page.context.close()
    holder = new_page(browser, size)
    holder.goto(f"{server.url.rsplit('/app', 1)[0]}/link/{token}")
    expect(holder.locator(".link-banner")).to_contain_text("pat's diary", timeout=TIMEOUT_MS)
    visits["link holder Overview"] = audit(holder, "link holder Overview", size, artifacts)
    holder.context.close()
    assert len(visits) >= 7, list(visits)
    assert report(visits, lambda v: v.violations) == {}
    check_layout(visits, size)


def test_on_a_phone_the_sessions_are_cards_with_every_value_on_screen(browser, servers):
    page = new_page(browser, "phone")
    sign_in(page, servers[0], "ther", wait=True)
    wait_for_visit(page)
    table = page.locator(".visit-sessions table")
    expect(table).to_be_visible()
    box = page.locator(".visit-sessions .table-scroll").bounding_box()
    assert box["width"] <= 390
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1")
    cells = page.locator(".visit-sessions tbody td")
    labels = cells.evaluate_all("cells => cells.map(c => getComputedStyle(c, '::before').content)")
    assert '"The 48 h after"' in labels and '"Pain before → after"' in labels
    after = page.locator(".visit-sessions tbody td[data-label='The 48 h after']").first
    after.scroll_into_view_if_needed()
    edge = after.bounding_box()
    assert edge["x"] >= 0 and edge["x"] + edge["width"] <= 390
    page.context.close()


def test_times_are_the_servers_local_time_and_say_their_zone(browser, servers, clinic):
    _store, accounts, _token = clinic
    server = servers[0]
    link = accounts.links("pat").iloc[0]
    ends = (link["expires_at"].tz_localize("UTC").tz_convert(ZONE))
    patient = new_page(browser, "desktop")
    sign_in(patient, server, "pat", wait=True)
    patient.locator(".bk-tab", has_text=re.compile("^Sharing$")).click()
    tables = patient.locator(".sharing-tables")
    expect(tables).to_contain_text("Times are the server's local time (IST)")
    expect(tables.locator(".links")).to_contain_text(f"{ends:%d %b %Y %H:%M} IST")
    assert "UTC" not in tables.inner_text()
    patient.context.close()


def test_logging_today_keeps_since_last_visit_and_a_write_elsewhere_is_seen(browser, servers,
                                                                           clinic):
    """ther opens pat on A (the view is computed and cached there), logs today's session on
    B (another process), then opens A again: the session is there, "since your last visit"
    still names the visit 14 days ago, and the patient list says the last visit was today."""
    store, _accounts, _token = clinic
    a, b = servers
    previous = today_there() - dt.timedelta(days=14)
    on_a = new_page(browser, "desktop")
    sign_in(on_a, a, "ther", wait=True)
    wait_for_visit(on_a)
    head = on_a.locator(".visit-head")
    expect(head).to_contain_text(f"Sessions since your last visit ({previous:%d %B %Y})")
    before = on_a.locator(".visit-sessions tbody tr").count()
    expect(on_a.locator(".patients")).to_have_text("Your patient: pat.")
    on_a.context.close()

    on_b = new_page(browser, "desktop")
    sign_in(on_b, b, "ther", wait=True)
    wait_for_visit(on_b)
    form = on_b.locator(".form-sessions")
    deep = form.get_by_role("radiogroup", name="Pressure").get_by_role("radio", name="Deep",
                                                                        exact=True)
    deep.click()
    form.locator("input.choices__input--cloned").click()
    form.locator(".choices__list--dropdown .choices__item--choice", has_text="Upper back").click()
    form.locator(".save-button button").click()
    expect(form.locator(".form-message")).to_contain_text("Saved")
    # on B itself: still since the visit 14 days ago, now with today's session
    expect(on_b.locator(".visit-sessions tbody tr")).to_have_count(before + 1)
    expect(on_b.locator(".visit-head")).to_contain_text(
        f"Sessions since your last visit ({previous:%d %B %Y})")
    on_b.context.close()

    again = new_page(browser, "desktop")
    sign_in(again, a, "ther", wait=True)
    wait_for_visit(again)
    expect(again.locator(".visit-sessions tbody tr")).to_have_count(before + 1)
    expect(again.locator(".visit-sessions")).to_contain_text("Deep")
    expect(again.locator(".visit-head")).to_contain_text(
        f"Sessions since your last visit ({previous:%d %B %Y})")
    card = again.locator(".patient-list-card")
    card.get_by_role("button").first.click()
    expect(again.locator(".patient-list-table")).to_contain_text("(today, ther)")
    again.context.close()
    assert (store.sessions(store.ensure_patient("pat"))["pressure"] == "deep").sum() >= 1


def test_one_person_s_clicks_send_nothing_to_another_s_page(browser, servers):
    """Two people on one process (pat on her own diary, ther on his visit view): ther's
    filter clicks reach ther's page and nothing reaches pat's. (Panel's header spinner
    follows one busy state per process, so each click anywhere switched every open page's
    spinner on and off: two messages to each, and someone else's activity shown.)"""
    server = servers[0]

    def listened(page: Page) -> list:
        frames = []
        page.on("websocket", lambda ws: ws.on("framereceived",
                                              lambda _payload: frames.append(time.monotonic())))
        return frames

    def quiet(frames: list, seconds: float = 2.0) -> None:
        started = time.monotonic()
        while time.monotonic() - max([started, *frames]) < seconds:
            time.sleep(0.2)
            assert time.monotonic() - started < TIMEOUT_MS / 1000, "the page never went quiet"

    patient = new_page(browser, "desktop")
    to_patient = listened(patient)
    sign_in(patient, server, "pat", wait=True)
    therapist = new_page(browser, "desktop")
    to_therapist = listened(therapist)
    sign_in(therapist, server, "ther", wait=True)
    wait_for_visit(therapist)
    quiet(to_patient)
    quiet(to_therapist)
    assert to_patient, "pat's page got nothing at all: the listening did not work"
    heard_by_patient, heard_by_therapist = len(to_patient), len(to_therapist)
    buttons = therapist.locator(".pressure-filter").get_by_role("button")
    for label in ("Deep", "Deep", "Light"):
        buttons.filter(has_text=label).first.click()
        quiet(to_therapist, 1.0)
    assert len(to_therapist) >= heard_by_therapist + 3  # each click was answered
    assert len(to_patient) == heard_by_patient
    patient.context.close()
    therapist.context.close()
