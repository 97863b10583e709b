"""Passwords at the real Argon2 cost outside the tests, and the test suites' cheap profile
(``FIBRO_PASSWORD_HASH=test``, set by tests/conftest.py) never silent on a server."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import argon2
import pytest
from click.testing import CliRunner

from dashboard.accounts import PASSWORD_HASH_VARIABLE, TEST_HASHING, AccountError, Accounts
from dashboard.cli import main
from dashboard.store import Store

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"
WARNING = f"{PASSWORD_HASH_VARIABLE}=test: new passwords are hashed at the test suites' low"
SERVER_STARTED = "Starting Bokeh server"  # logged after the check, so its absence is known


def add_user(db: Path, name: str) -> str:
    """``fibro user add`` as a person runs it; the password hash it stored."""
    result = CliRunner().invoke(main, ["user", "add", name, "--role", "patient",
                                       "--password-stdin", "--db", str(db)],
                                input=PASSWORD + "\n", env={"FIBRO_DB": None})
    assert result.exit_code == 0, result.output
    store = Store(db)
    try:
        return store.user(name=name)["password_hash"]
    finally:
        store.close()


def signs_in(db: Path, name: str, password: str) -> bool:
    store = Store(db)
    try:
        Accounts(store).sign_in(name, password)
        return True
    except AccountError:
        return False
    finally:
        store.close()


def test_fibro_user_add_hashes_at_the_real_cost_and_the_hash_verifies(tmp_path, monkeypatch):
    monkeypatch.delenv(PASSWORD_HASH_VARIABLE)
    db = tmp_path / "clinic.sqlite"
    real = argon2.extract_parameters(add_user(db, "ann"))
    assert real == argon2.profiles.get_default_parameters()  # Argon2id, 3 passes over 64 MiB
    assert (real.type, real.time_cost, real.memory_cost) == (argon2.Type.ID, 3, 65536)
    assert signs_in(db, "ann", PASSWORD)
    assert not signs_in(db, "ann", PASSWORD + "!")
    monkeypatch.setenv(PASSWORD_HASH_VARIABLE, "test")  # a real hash verifies either way
    assert signs_in(db, "ann", PASSWORD)


def test_the_test_profile_hashes_cheaply_and_its_hash_verifies_without_it(tmp_path, monkeypatch):
    assert os.environ[PASSWORD_HASH_VARIABLE] == "test"  # tests/conftest.py
    db = tmp_path / "clinic.sqlite"
    assert argon2.extract_parameters(add_user(db, "ann")) == TEST_HASHING
    monkeypatch.delenv(PASSWORD_HASH_VARIABLE)
    assert signs_in(db, "ann", PASSWORD)
    assert not signs_in(db, "ann", "not the password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hosted(db: Path, profile: str | None) -> subprocess.Popen:
    """``fibro serve --hosted`` with ``FIBRO_PASSWORD_HASH`` set to ``profile`` (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ("FIBRO_DB", PASSWORD_HASH_VARIABLE)}
    if profile is not None:
        env[PASSWORD_HASH_VARIABLE] = profile
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--hosted", "--db", str(db), "--port",
         str(free_port())], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def log_until_started(proc: subprocess.Popen, within: float = 120) -> str:
    """What the server logs (stderr) until its Bokeh server starts; then it is stopped.

    Read from the pipe's descriptor, not line by line: a buffered ``readline`` takes every
    line that has arrived and leaves ``select`` nothing to wake for, so a server that logged
    two lines at once looked silent until the deadline."""
    chunks, deadline = [], time.monotonic() + within
    try:
        while SERVER_STARTED not in "".join(chunks):
            assert time.monotonic() < deadline, "".join(chunks)
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                chunk = os.read(proc.stderr.fileno(), 65536).decode(errors="replace")
                assert chunk, f"the server stopped ({proc.poll()}): {''.join(chunks)}"
                chunks.append(chunk)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    return "".join(chunks)


@pytest.mark.skipif(sys.platform == "win32", reason="select on a pipe")
def test_the_hosted_server_warns_while_passwords_are_hashed_cheaply(tmp_path):
    cheap, real = tmp_path / "cheap.sqlite", tmp_path / "real.sqlite"
    add_user(cheap, "ann")
    add_user(real, "ann")
    servers = [start_hosted(cheap, "test"), start_hosted(real, None)]  # at once: half the wait
    try:
        warned, quiet = (log_until_started(proc) for proc in servers)
    finally:
        for proc in servers:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
    assert WARNING in warned and "WARNING" in warned
    assert PASSWORD not in warned and "$argon2" not in warned
    assert WARNING not in quiet
