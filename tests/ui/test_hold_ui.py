"""Hosted mode under the attacks of issue 23, in real Chromium against ``fibro serve --hosted``.

ann is a patient; tom a therapist allowed to log ann's sessions.  Each test makes the attack
as it was made (a widget value sent through the websocket, a row written past every check,
a page token taken to another browser...) and checks the refusal and that the rest works.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.accounts import Accounts
from dashboard.demo import write_demo
from dashboard.records import MassageSession
from dashboard.store import Store
from tests.helpers import insert_year_one_session
from tests.ui.conftest import FAST_ACCESS_CHECKS, served_in_process
from tests.ui.pages import (ALL_DATA_JS, CLOSED_SOCKET, PASSWORD, TIMEOUT_MS, base, open_tab,
                            sign_in, wait_for_dashboard)

pytestmark = pytest.mark.ui

MARK = "Marker-ann"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hold")
    store = Store(folder / "clinic.sqlite")
    accounts = Accounts(store)
    write_demo(store, days=40, seed=2, patient="ann", end=dt.date(2026, 11, 20))
    pid = store.ensure_patient("ann")
    store.save(pid, [MassageSession(start=dt.datetime(2026, 11, 18, 10), duration_min=45,
                                    pressure="moderate", areas=("neck",), therapist=MARK)])
    accounts.add_user("ann", "patient", PASSWORD)
    accounts.add_user("tom", "therapist", PASSWORD)
    accounts.add_user("zoe", "therapist", PASSWORD)  # no grant: sees no diary
    accounts.add_grant("ann", "tom", "log")
    return store, accounts


@pytest.fixture(scope="module")
def hosted(clinic):
    yield from served_in_process(clinic[0].path, "hosted", env=FAST_ACCESS_CHECKS,
                                 tolerate=CLOSED_SOCKET)


SET_PICKER_JS = """(value) => {
  let n = 0;
  for (const doc of window.Bokeh.documents)
    for (const m of doc._all_models.values())
      if (m.properties && 'military_time' in m.properties && 'enable_seconds' in m.properties)
        { m.value = value; n++; }
  return n;
}"""


def test_a_year_1_session_sent_through_the_websocket_is_refused(page: Page, hosted, clinic):
    """tom's attack: the session form's start set to 0001-01-01 10:00 by a websocket message."""
    store, accounts = clinic
    ann = accounts.patient_id("ann")
    before = len(store.sessions(ann))
    sign_in(page, hosted, "tom")
    wait_for_dashboard(page)
    form = page.locator(".form-sessions")
    expect(form).to_be_visible()
    assert page.evaluate(SET_PICKER_JS, "0001-01-01 10:00:00") >= 1
    form.locator("input.choices__input--cloned").click()
    form.locator(".choices__list--dropdown .choices__item--choice", has_text="Neck").click()
    form.locator(".save-button button").click()
    expect(form).to_contain_text("0001-01-01 is before 1900-01-01")
    expect(form.locator(".form-message")).to_contain_text("nothing was saved")
    assert len(store.sessions(ann)) == before and store.bad_entries().empty


def test_a_stored_year_1_session_leaves_both_pages_working_and_named(page: Page, hosted, clinic,
                                                                    browser):
    """The row the attack had left: the therapist's page and the patient's open, show the
    rest and name it; ann deletes it from her Log page."""
    store, accounts = clinic
    ann = accounts.patient_id("ann")
    bad_id = insert_year_one_session(store, ann)
    try:
        sign_in(page, hosted, "tom")
        wait_for_dashboard(page)
        expect(page.locator(".visit-view")).to_contain_text(MARK)
        open_tab(page, "Overview")
        expect(page.locator(".left-out")).to_contain_text(f"session with id {bad_id}")
        expect(page.locator(".left-out-delete")).to_be_hidden()  # tom may log, not delete

        own = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        sign_in(own, hosted, "ann")
        wait_for_dashboard(own)
        expect(own.locator(".left-out")).to_contain_text("0001-01-01 10:00:00")
        open_tab(own, "Log")
        own.locator(".left-out-delete button").click()
        expect(own.locator(".left-out-said")).to_contain_text(f"Deleted the session {bad_id}")
        assert store.bad_entries().empty
        own.context.close()
    finally:
        with store.engine.begin() as conn:  # leave the module's store as it was
            conn.exec_driver_sql(f"DELETE FROM sessions WHERE id = {bad_id}")


# --- 2. the sign-in never in the page; the websocket bound to the page's sign-in --------------

TOKEN = re.compile(r'"token":\s*"([^"]+)"|token&quot;:\s*&quot;([^&]+)&quot;')


def page_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no session token in the page"
    return found.group(1) or found.group(2)


def signed_in_context(browser, hosted, name: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    sign_in(tab, hosted, name)
    expect(tab.locator(".sign-out")).to_be_visible(timeout=TIMEOUT_MS)
    return context, tab


def test_the_page_and_its_token_carry_no_sign_in(browser, hosted):
    from bokeh.util.token import get_token_payload

    context, tab = signed_in_context(browser, hosted, "ann")
    cookie = next(c for c in context.cookies() if c["name"] == "fibro_signin")
    assert cookie["httpOnly"]
    html = tab.request.get(hosted.url).text()  # the /app page as the browser gets it
    payload = get_token_payload(page_token(html))
    assert payload["cookies"] == {} and "Cookie" not in payload["headers"]
    assert cookie["value"] not in html and cookie["value"] not in str(payload)
    assert "fibro_signin" not in tab.evaluate("document.cookie")
    assert len(payload["fibro_signin"]) == 64  # the sign-in's hash, which signs nobody in
    context.close()


def websocket_attach(hosted, cookies: list[dict], token: str) -> str:
    """Open the page's websocket with ``token`` and a browser's cookies: 'open' or 'refused N'."""
    import asyncio

    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    async def attach() -> str:
        request = HTTPRequest(base(hosted).replace("http", "ws") + "/app/ws", headers={
            "Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies),
            "Origin": base(hosted)})
        try:
            connection = await websocket_connect(request, subprotocols=["bokeh", token])
        except HTTPClientError as error:
            return f"refused {error.code}"
        message = await asyncio.wait_for(connection.read_message(), 30)
        connection.close()
        return "open" if message and '"ACK"' in message else f"closed {message!r}"

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as worker:  # Playwright's loop runs in this thread
        return worker.submit(lambda: asyncio.run(attach())).result()


def test_a_page_token_is_refused_on_another_users_websocket(browser, hosted, clinic):
    """tom's page token taken to zoe's signed-in browser (the attack): refused; with tom's
    own sign-in it opens."""
    tom, tom_tab = signed_in_context(browser, hosted, "tom")
    zoe, _zoe_tab = signed_in_context(browser, hosted, "zoe")
    token = page_token(tom_tab.request.get(hosted.url).text())
    assert websocket_attach(hosted, zoe.cookies(), token) == "refused 403"
    assert websocket_attach(hosted, [], token) == "refused 403"  # signed out
    assert websocket_attach(hosted, tom.cookies(), token) == "open"
    assert "Refused a websocket: its page was made for another sign-in" in hosted.log()
    tom.close()
    zoe.close()


def test_sign_out_in_another_tab_and_a_password_change_end_open_pages(browser, hosted, clinic):
    _store, accounts = clinic
    context, tab = signed_in_context(browser, hosted, "tom")
    wait_for_dashboard(tab)
    expect(tab.locator(".visit-view")).to_contain_text(MARK)  # ann's diary, on tom's page
    expect(tab.locator(".page-ended")).to_be_hidden()
    assert MARK in tab.evaluate(ALL_DATA_JS)
    other = context.new_page()  # the same browser, another tab: signs out
    other.goto(hosted.url)
    wait_for_dashboard(other)
    other.locator(".sign-out").click()
    other.locator(".confirm-sign-out").click()  # GET /logout only asks; the form posts
    expect(other).to_have_url(re.compile(r"/login"))
    expect(tab.locator(".page-ended")).to_be_visible(timeout=5_000)  # this server: at once
    assert MARK not in tab.evaluate(ALL_DATA_JS)
    context.close()

    context, tab = signed_in_context(browser, hosted, "tom")
    wait_for_dashboard(tab)
    expect(tab.locator(".visit-view")).to_contain_text(MARK)
    try:
        accounts.set_password("tom", "another long password")  # as `fibro user password` does
        expect(tab.locator(".page-ended")).to_be_visible(timeout=10_000)
        assert MARK not in tab.evaluate(ALL_DATA_JS)
    finally:
        accounts.set_password("tom", PASSWORD)
        context.close()
