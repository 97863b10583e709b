"""Personal mode, started the ways a person starts it: ``fibro serve`` and the README's
``panel serve dashboard/app.py`` (no ``--address``): the dashboard draws, only this
computer is answered, websockets need an Origin, and a failure shows no traceback."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.ui.conftest import (DEMO_END, FIBRO_SERVE, README_SERVE, Server,
                               write_demo_store)
from tests.ui.pages import Dashboard

pytestmark = pytest.mark.ui

REFUSAL_TEXT = "answers only on the computer it runs on"
DIARY_MARK = "Pain and massage sessions"  # a plot title: present only when the diary is built


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (read from /proc/net)."""
    found = set()
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if width == 4:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def this_machines_other_address() -> str | None:
    """An IPv4 address of this machine that is not loopback, if it has one."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout
    except OSError:
        out = ""
    for address in out.split():
        if "." in address and not address.startswith("127."):
            return address
    return None


def get(url: str, host: str | None = None) -> str:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read().decode()


def session_token(page_html: str) -> str:
    return re.search(r'"token":\s*"([^"]+)"', page_html).group(1)


def pull_document(port: int, token: str, origin: str | None) -> int | str:
    """What a websocket client gets for a session: the HTTP status that refused it, or the
    document's JSON text (Bokeh's PULL-DOC request, as a non-browser client would send it)."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    async def pull():
        request = HTTPRequest(f"ws://127.0.0.1:{port}/app/ws",
                              headers={"Origin": origin} if origin else {})
        try:
            connection = await websocket_connect(request, subprotocols=["bokeh", token])
        except HTTPClientError as error:
            return error.code
        try:
            for _ in range(3):  # the server's ACK: header, metadata, content
                assert await asyncio.wait_for(connection.read_message(), 60) is not None
            for frame in ({"msgid": "1", "msgtype": "PULL-DOC-REQ"}, {}, {}):
                await connection.write_message(json.dumps(frame))
            frames = []
            while True:
                message = await asyncio.wait_for(connection.read_message(), 60)
                assert message is not None, "the server closed the websocket"
                frames.append(message)
                if len(frames) % 3 == 0 and "PULL-DOC-REPLY" in frames[-3]:
                    return frames[-1]
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as thread:  # Playwright's loop runs in this thread
        return thread.submit(asyncio.run, pull()).result()


def wait_for_listening(server: Server, timeout: float = 120) -> None:
    """Until the server listens, without sending it a request (the first one matters here)."""
    deadline = time.monotonic() + timeout
    while not listening_addresses(server.port):
        assert server.process.poll() is None, server.log()
        assert time.monotonic() < deadline, "the server never listened"
        time.sleep(0.3)


@pytest.fixture
def served(serve_store, tmp_path):
    """``served(command, db=None, wait=True, clean_log=False)``: the dashboard started with
    ``command`` on a 60-day demo diary (or on ``db``)."""
    def start(command, db=None, wait=True, clean_log=False) -> Server:
        store = db or write_demo_store(tmp_path, 60, 3, DEMO_END)
        return serve_store(store, command, wait=wait, clean_log=clean_log)

    return start


def test_fibro_serve_draws_the_three_plots(page: Page, served, artifacts):
    server = served(FIBRO_SERVE)
    board = Dashboard(page, server.url).open()  # fails unless all three plots drew data
    page.screenshot(path=str(artifacts / "fibro-serve.png"))
    board.close()
    assert board.console_errors == [] and board.offsite_requests == []
    assert server.problems() == [], server.log()
    assert listening_addresses(server.port) == {"127.0.0.1"}


def test_readme_command_answers_only_this_computer(page: Page, served):
    """``panel serve dashboard/app.py`` binds every interface; the diary must not be reachable
    from them: the first page view from another address gets no diary and the server then
    listens on loopback only."""
    server = served(README_SERVE, wait=False)  # the first page request matters here
    wait_for_listening(server)
    other = this_machines_other_address()
    if other is None:
        pytest.skip("this machine has no non-loopback address to connect from")
    assert any(a in ("0.0.0.0", "::") for a in listening_addresses(server.port))

    token = session_token(get(f"http://{other}:{server.port}/app"))
    document = pull_document(server.port, token, f"http://localhost:{server.port}")
    assert REFUSAL_TEXT in document and DIARY_MARK not in document

    assert listening_addresses(server.port) <= {"127.0.0.1", "::1"}
    with pytest.raises(OSError):
        get(f"http://{other}:{server.port}/app")

    board = Dashboard(page, f"http://localhost:{server.port}/app").open()  # still works here
    board.close()
    assert board.console_errors == []


def test_foreign_host_name_and_origin_less_websocket_are_refused(serve_app, tmp_path):
    """A page request naming another host (DNS rebinding) gets no diary, even when its
    websocket forges an allowed Origin; a websocket without an Origin header is refused,
    while the same request with the page's origin gets the diary."""
    server = serve_app(write_demo_store(tmp_path, 60, 3, DEMO_END), clean_log=False)
    own_origin = f"http://127.0.0.1:{server.port}"

    token = session_token(get(server.url, host=f"rebound.example:{server.port}"))
    document = pull_document(server.port, token, own_origin)
    assert REFUSAL_TEXT in document and DIARY_MARK not in document

    token = session_token(get(server.url))
    assert pull_document(server.port, token, None) == 403
    assert DIARY_MARK in pull_document(server.port, token, own_origin)
    assert "without an Origin header" in server.log()


def test_a_dashboard_that_cannot_start_shows_a_short_message(page: Page, serve_app, tmp_path):
    """A store that is not a SQLite file: the page says so briefly, the log has the details
    (and the server's error fails a test that expects a clean log)."""
    broken = tmp_path / "broken" / "fibro.sqlite"
    broken.parent.mkdir()
    broken.write_bytes(b"this is not a database\n" * 100)
    server = serve_app(broken, clean_log=False)
    page.goto(server.url)
    expect(page.get_by_text("The dashboard could not start")).to_be_visible(timeout=60_000)
    html = page.content() + get(server.url)
    for leak in ("Traceback", "File \"", str(Path(__file__).parents[2]), "site-packages"):
        assert leak not in html
    assert "Traceback" in server.log()
    assert any("The dashboard could not start" in problem for problem in server.problems())


def test_the_tests_own_server_answers_on_this_computer_only(dashboard_server):
    """The browser tests' in-process server (``conftest.AppServer``) serves health data on
    127.0.0.1 only: it listens there alone and another address of this machine is refused."""
    assert listening_addresses(dashboard_server.port) == {"127.0.0.1"}
    dashboard_server.check_loopback_only()
    other = this_machines_other_address()
    if other is not None:
        with pytest.raises(OSError):
            get(f"http://{other}:{dashboard_server.port}/app")
