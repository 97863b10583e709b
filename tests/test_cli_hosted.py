"""``fibro user|grant|link|audit`` and ``fibro serve --hosted`` options, in-process."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dashboard.accounts import Accounts
from dashboard.cli import main
from dashboard.store import Store
from dashboard.ui.signin import COOKIE, cookie_secret, signin_token

PASSWORD = "a long enough password"
pytestmark = pytest.mark.both_engines


@pytest.fixture
def db(db_url):
    """A SQLite file or a PostgreSQL database URL, given to ``--db`` as a person would."""
    return db_url


def fibro(*args, stdin=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin, env={"FIBRO_DB": None})


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def refused(result, *words) -> str:
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("Error:") and all(w in line for w in words), line
    return line


def add_users(db):
    ok(fibro("user", "add", "ann", "--role", "patient", "--password-stdin", "--db", db,
             stdin=PASSWORD + "\n"))
    ok(fibro("user", "add", "tom", "--role", "therapist", "--db", db,
             stdin=f"{PASSWORD}\n{PASSWORD}\n"))  # asked twice, hidden


def test_users_grants_links_and_audit(db):
    add_users(db)
    users = json.loads(ok(fibro("user", "list", "--json", "--db", db)))
    assert {(u["name"], u["role"], u["patient"]) for u in users} == {
        ("ann", "patient", "ann"), ("tom", "therapist", None)}
    assert PASSWORD not in json.dumps(users) and "argon2" not in json.dumps(users)
    assert "Grant 1" in ok(fibro("grant", "add", "--patient", "ann", "--therapist", "tom",
                                 "--scope", "log", "--expires-in", "30d", "--db", db))
    grants = json.loads(ok(fibro("grant", "list", "--patient", "ann", "--json", "--db", db)))
    assert [(g["therapist"], g["scope"], g["status"]) for g in grants] == [("tom", "log", "active")]
    made = json.loads(ok(fibro("link", "create", "--patient", "ann", "--expires-in", "12h",
                               "--base-url", "https://diary.example.org", "--json", "--db", db)))
    assert made["url"].startswith("https://diary.example.org/link/")
    token = made["url"].rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits, url-safe
    listed = ok(fibro("link", "list", "--db", db))
    assert "active" in listed and token not in listed
    ok(fibro("link", "revoke", str(made["id"]), "--db", db))
    ok(fibro("grant", "revoke", "1", "--db", db))
    statuses = json.loads(ok(fibro("link", "list", "--json", "--db", db)))
    assert [s["status"] for s in statuses] == ["revoked"]
    audit = json.loads(ok(fibro("audit", "--patient", "ann", "--json", "--db", db)))
    assert [a["action"] for a in audit] == ["grant 1 revoked", f"link {made['id']} revoked",
                                            f"link {made['id']} created", "grant 1 added",
                                            "user 1 added (patient)"]  # her own account
    assert token not in json.dumps(audit)


def test_password_change_and_remove(db):
    add_users(db)
    accounts = Accounts(Store(db))
    signin = accounts.sign_in("tom", PASSWORD)
    ok(fibro("user", "password", "tom", "--password-stdin", "--db", db, stdin="another password!\n"))
    assert accounts.principal(signin) is None
    assert accounts.sign_in("tom", "another password!")
    ok(fibro("user", "remove", "tom", "--db", db))
    refused(fibro("user", "remove", "tom", "--db", db), "no user called 'tom'")


@pytest.mark.parametrize("args,words", [
    (("user", "add", "x", "--role", "patient", "--password-stdin"), ("8 characters",)),
    (("user", "add", "a b", "--role", "patient", "--password-stdin"), ("user name",)),
    (("user", "password", "nobody", "--password-stdin"), ("no user called 'nobody'",)),
    (("grant", "add", "--patient", "ann", "--therapist", "ann"), ("not a therapist",)),
    (("grant", "add", "--patient", "nobody", "--therapist", "tom"), ("no patient called",)),
    (("grant", "add", "--patient", "ann", "--therapist", "tom", "--expires-in", "soon"),
     ("not a duration",)),
    (("grant", "revoke", "42"), ("no grant 42",)),
    (("link", "create", "--patient", "nobody"), ("no patient called",)),
    (("link", "revoke", "7"), ("no link 7",)),
])
def test_bad_account_commands_say_what_is_wrong_in_one_line(db, args, words):
    add_users(db)
    refused(fibro(*args, "--db", db, stdin="short\n"), *words)


def test_personal_serve_refuses_other_addresses_but_hosted_does_not_ask(db):
    refused(fibro("serve", "--address", "0.0.0.0", "--db", db), "not a loopback", "--hosted")


def test_cookie_secret_is_made_once_owner_only_and_checks_signatures(tmp_path, monkeypatch):
    monkeypatch.delenv("FIBRO_COOKIE_SECRET", raising=False)
    store = Store(tmp_path / "clinic.sqlite")  # beside a SQLite store; a database URL needs the env
    secret = cookie_secret(store)
    assert cookie_secret(store) == secret and len(secret) >= 48
    path = store.path.with_name(store.path.name + ".cookie-secret")
    assert path.stat().st_mode & 0o777 == 0o600
    from tornado.web import create_signed_value

    signed = create_signed_value(secret, COOKIE, "the-token").decode()
    assert signin_token(secret, signed) == "the-token"
    tampered = signed[:-3] + ("aaa" if not signed.endswith("aaa") else "bbb")
    assert signin_token(secret, tampered) is None
    assert signin_token("another secret of enough length, surely!", signed) is None
    monkeypatch.setenv("FIBRO_COOKIE_SECRET", "too short")
    with pytest.raises(ValueError, match="32 characters"):
        cookie_secret(store)
