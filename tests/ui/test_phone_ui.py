"""``fibro serve --phone``: a person reaches their own diary from their phone, and nobody else.

One command, run as the README says: on first use it asks for a password (here on standard
input), prints the address to open on the phone, and serves the store in hosted mode, so
every page asks for a sign-in. In Chromium as a phone (390x844): the reminder's link
(``/app?checkin=1``) leads to the sign-in and, after it, to the quick check-in, which saves
into the same store. Without a sign-in there is no diary; a store with other people's
accounts, or several diaries, is refused before anything is served.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.request

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from dashboard.accounts import AccountError, Accounts
from dashboard.cli import main
from dashboard.demo import write_demo
from dashboard.phone import phone_account, phone_base_url
from dashboard.store import Store
from tests.ui.conftest import FIBRO_SERVE, Server, free_port

pytestmark = pytest.mark.ui

PASSWORD = "my own long password"
PHONE_SERVE = [*FIBRO_SERVE, "--phone", "--password-stdin"]
TIMEOUT_MS = 120_000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "user_agent": ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                        "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")}


@pytest.fixture
def own(tmp_path):
    """A personal store with one diary ("Me", 60 days up to yesterday) and no account yet."""
    path = tmp_path / "fibro.sqlite"
    store = Store(path)
    write_demo(store, patient="Me", days=60, end=dt.date.today() - dt.timedelta(days=1))
    store.close()
    return path


# --- the account and the address, without a server ------------------------------------------

def test_first_use_makes_the_one_account_then_reuses_it(own):
    store = Store(own)
    asked = []
    first = phone_account(store, lambda: asked.append(1) or PASSWORD)
    assert (first.name, first.created, asked) == ("Me", True, [1])
    again = phone_account(store, lambda: pytest.fail("asked for a password again"))
    assert (again.name, again.created) == ("Me", False)
    assert list(store.patients()["name"]) == ["Me"]  # no second diary
    assert list(store.users()["role"]) == ["patient"]


def test_a_store_with_other_people_s_accounts_or_diaries_is_refused(own, tmp_path):
    store = Store(own)
    Accounts(store).add_user("sam", "therapist", PASSWORD)
    with pytest.raises(AccountError, match="other account"):
        phone_account(store, lambda: PASSWORD)
    clinic = Store(tmp_path / "clinic.sqlite")
    for name in ("ann", "bea"):
        clinic.ensure_patient(name)
    with pytest.raises(AccountError, match="2 diaries"):
        phone_account(clinic, lambda: PASSWORD)
    refused = CliRunner().invoke(main, ["serve", "--phone", "--db", str(own), "--port",
                                        str(free_port())])
    assert refused.exit_code == 1 and "other account" in refused.output


def test_the_address_is_the_proxy_s_or_this_computer_s():
    assert phone_base_url("0.0.0.0", 5006, "https://diary.example.org/") == \
        "https://diary.example.org"
    assert phone_base_url("192.168.1.20", 5006, None) == "http://192.168.1.20:5006"
    lan = phone_base_url("0.0.0.0", 5006, None)
    assert re.fullmatch(r"http://[\d.]+:5006", lan) and not lan.startswith("http://0.0.0.0")
    with pytest.raises(ValueError):
        phone_base_url("0.0.0.0", 5006, "diary.example.org")
    refused = CliRunner().invoke(main, ["serve", "--base-url", "https://x.example.org"])
    assert refused.exit_code == 2 and "--phone" in refused.output


# --- served, in Chromium as a phone ------------------------------------------------------------

@pytest.fixture
def phone_server(own, tmp_path):
    """``fibro serve --phone --password-stdin`` on the store, as the README says (every
    interface); yields (base address printed, port, the output so far)."""
    server = Server(own, tmp_path / "phone.log", PHONE_SERVE, stdin=PASSWORD + "\n")
    try:
        server.wait_until_up()
        printed = server.log()
        found = re.search(r"On your phone, open (http://\S+)/app and sign in as Me\.", printed)
        assert found, printed
        yield found.group(1), server.port, printed
    finally:
        server.stop()
    assert [line for line in server.problems() if "WebSocketClosedError" not in line] == []


def test_the_phone_signs_in_and_logs_today_from_the_reminder_link(browser, phone_server, own):
    base, port, printed = phone_server
    assert f":{port}" in base and "fibro reminders --base-url " + base in printed
    # listening beyond this computer: a page without a sign-in is the sign-in form
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/app") as answer:
        assert answer.url.startswith(f"http://127.0.0.1:{port}/login")
        assert "<h1>Sign in</h1>" in answer.read().decode()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"http://127.0.0.1:{port}/app?checkin=1")  # the reminder's link
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#name", "Me")
    page.fill("#password", "not my password")
    page.click("button[type=submit]")
    expect(page.locator(".problem")).to_be_visible()
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/app\?checkin=1$"))
    form = page.locator(".form-quick")
    expect(form).to_be_visible()
    for label, value in (("Pain today (0-10)", "3"), ("Hours asleep last night", "7"),
                         ("Sleep quality (0-10)", "6"), ("Fatigue (0-10)", "4")):
        form.get_by_role("radiogroup", name=label).get_by_role("radio", name=value,
                                                                exact=True).tap()
    form.locator(".save-button button").tap()
    expect(form.locator(".form-message")).to_contain_text("Saved")
    context.close()
    daily = Store(own).daily(int(Store(own).patients()["id"].iloc[0]))
    today = daily[daily["date"].dt.date == dt.date.today()]
    assert len(today) == 1 and today.iloc[0]["pain"] == 3
