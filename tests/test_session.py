"""The permission layer, without a browser: every role x scope x expired/revoked case,
and every read and write of ``DiarySession`` refused or allowed accordingly."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from dashboard.accounts import AccountError, Accounts, utcnow
from dashboard.records import DailyCheckin, MassageSession
from dashboard.session import DiarySession, Refused
from dashboard.store import Store

pytestmark = pytest.mark.both_engines
PASSWORD = "correct horse battery"
DAY = dt.date(2026, 11, 2)


def checkin(day=DAY, pain=5.0):
    return DailyCheckin(date=day, pain=pain)


def massage(start=dt.datetime(2026, 11, 2, 10), pressure="light"):
    return MassageSession(start=start, duration_min=60, pressure=pressure, areas=("neck",))


@pytest.fixture
def clinic(store):
    """Three patients with a diary each, two therapists, an admin; no grants yet."""
    accounts = Accounts(store)
    for name in ("ann", "bea", "cy"):
        accounts.add_user(name, "patient", PASSWORD)
        store.save(accounts.patient_id(name), [checkin(), massage()])
    for name in ("tom", "tia"):
        accounts.add_user(name, "therapist", PASSWORD)
    accounts.add_user("root", "admin", PASSWORD)
    return store, accounts


def session_of(store, accounts, name):
    return DiarySession.hosted(store, accounts.sign_in(name, PASSWORD))


def pid(accounts, name):
    return accounts.patient_id(name)


STATES = ("active", "expired", "revoked")


def make_grant(accounts, scope, state):
    now = utcnow()
    created = now - dt.timedelta(days=2) if state == "expired" else now
    grant = accounts.add_grant("ann", "tom", scope, "1d", now=created)
    if state == "revoked":
        accounts.revoke("grant", grant)
    return grant


@pytest.mark.parametrize("scope,state", list(itertools.product(("read", "log"), STATES)))
def test_therapist_grant_scope_and_state(clinic, scope, state):
    store, accounts = clinic
    make_grant(accounts, scope, state)
    tom = session_of(store, accounts, "tom")
    ann = pid(accounts, "ann")
    live = state == "active"
    assert list(tom.patients()["name"]) == (["ann"] if live else [])
    assert tom.may(ann, "read") is live
    assert tom.may(ann, "log") is (live and scope == "log")
    assert tom.may(ann, "write") is False
    if live:
        assert tom.diary(ann).daily["pain"].tolist() == [5.0]
    else:
        with pytest.raises(Refused):
            tom.diary(ann)
    if live and scope == "log":
        tom.save(ann, [massage(dt.datetime(2026, 11, 3, 9), "deep")])
        assert len(store.sessions(ann)) == 2
    else:
        with pytest.raises(Refused):
            tom.save(ann, [massage(dt.datetime(2026, 11, 3, 9), "deep")])
        assert len(store.sessions(ann)) == 1
    with pytest.raises(Refused):  # no scope changes a day's check-in
        tom.save(ann, [checkin(DAY, 9.0)])
    assert store.daily(ann)["pain"].tolist() == [5.0]
    # the other therapist and the other patients are never reachable
    for other in ("bea", "cy"):
        assert not tom.may(pid(accounts, other), "read")


@pytest.mark.parametrize("state", STATES)
def test_link_holder_reads_one_patient_only(clinic, state):
    store, accounts = clinic
    now = utcnow()
    created = now - dt.timedelta(hours=3) if state == "expired" else now
    link_id, token = accounts.create_link("bea", "2h", now=created)
    if state == "expired":
        with pytest.raises(AccountError, match="ended"):
            accounts.open_link(token)
        return
    signin = accounts.open_link(token)
    holder = DiarySession.hosted(store, signin)
    bea = pid(accounts, "bea")
    if state == "revoked":
        accounts.revoke("link", link_id)
        assert not holder.may(bea, "read")
        assert not holder.still_valid()
        with pytest.raises(Refused):
            DiarySession.hosted(store, signin)
        with pytest.raises(AccountError, match="ended"):
            accounts.open_link(token)
        return
    assert list(holder.patients()["name"]) == ["bea"]
    assert holder.diary(bea).sessions["pressure"].tolist() == ["light"]
    for action in ("log", "write"):
        assert not holder.may(bea, action)
    with pytest.raises(Refused):
        holder.save(bea, [massage(dt.datetime(2026, 11, 4, 9))])
    with pytest.raises(Refused):
        holder.diary(pid(accounts, "ann"))


def test_patient_user_owns_only_their_diary(clinic):
    store, accounts = clinic
    ann = session_of(store, accounts, "ann")
    assert list(ann.patients()["name"]) == ["ann"]
    own, other = pid(accounts, "ann"), pid(accounts, "bea")
    ann.save(own, [checkin(DAY + dt.timedelta(days=1), 3.0)])
    checkin_id = store.daily_id(own, DAY)
    ann.replace("daily", checkin_id, checkin(DAY, 4.0))
    assert sorted(store.daily(own)["pain"]) == [3.0, 4.0]
    bea_checkin = store.daily_id(other, DAY)
    for attempt in (lambda: ann.diary(other), lambda: ann.save(other, [checkin()]),
                    lambda: ann.record("daily", bea_checkin),
                    lambda: ann.delete("daily", bea_checkin),
                    lambda: ann.replace("daily", bea_checkin, checkin(DAY, 0.0)),
                    lambda: ann.assessments(other, "fiqr")):
        with pytest.raises(Refused):
            attempt()
    assert store.daily(other)["pain"].tolist() == [5.0]


def test_admin_sees_no_diary(clinic):
    store, accounts = clinic
    root = session_of(store, accounts, "root")
    assert root.patients().empty
    with pytest.raises(Refused):
        root.diary(pid(accounts, "ann"))


def test_refusals_are_logged_without_data(clinic):
    store, accounts = clinic
    tom = session_of(store, accounts, "tom")
    with pytest.raises(Refused) as refused:
        tom.diary(pid(accounts, "cy"))
    assert "cy" not in str(refused.value)
    log = store.access_log()
    assert ("tom", "refused read") in set(zip(log["actor"], log["action"]))


def test_the_best_grant_wins_and_revoking_it_leaves_the_other(clinic):
    store, accounts = clinic
    accounts.add_grant("ann", "tom", "read")
    log_grant = accounts.add_grant("ann", "tom", "log")
    tom = session_of(store, accounts, "tom")
    assert tom.scope(pid(accounts, "ann")) == "log"
    accounts.revoke("grant", log_grant)
    assert tom.scope(pid(accounts, "ann")) == "read"


def test_sign_out_and_password_change_end_the_session(clinic):
    store, accounts = clinic
    token = accounts.sign_in("ann", PASSWORD)
    other_device = accounts.sign_in("ann", PASSWORD)
    ann = DiarySession.hosted(store, token)
    accounts.sign_out(token)
    assert not ann.still_valid()
    assert accounts.principal(other_device) is not None
    accounts.set_password("ann", "a new long password")
    assert accounts.principal(other_device) is None
    with pytest.raises(AccountError):
        accounts.sign_in("ann", PASSWORD)
    assert accounts.sign_in("ann", "a new long password")


def test_lockout_after_five_failures(clinic):
    _store, accounts = clinic
    now = utcnow()
    for _ in range(5):
        with pytest.raises(AccountError, match="do not match"):
            accounts.sign_in("bea", "wrong password", now=now)
    with pytest.raises(AccountError, match="15 minutes"):
        accounts.sign_in("bea", PASSWORD, now=now + dt.timedelta(minutes=1))
    assert accounts.sign_in("bea", PASSWORD, now=now + dt.timedelta(minutes=16))


def test_secrets_are_never_stored_in_the_clear(clinic):
    """Not in any row (either engine) nor anywhere in a SQLite file and its WAL."""
    import sqlalchemy as sa

    from dashboard.store import metadata

    store, accounts = clinic
    _link_id, token = accounts.create_link("ann")
    signin = accounts.sign_in("ann", PASSWORD)
    with store.engine.connect() as conn:
        raw = "".join(repr(conn.execute(sa.select(t)).fetchall())
                      for t in metadata.sorted_tables).encode()
    if store.path is not None:
        wal = store.path.with_name(store.path.name + "-wal")
        raw += store.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for secret in (PASSWORD, token, signin):
        assert secret.encode() not in raw
    assert store.user(name="ann")["password_hash"].startswith("$argon2id$")


def test_bad_account_input_is_one_plain_sentence(clinic):
    _store, accounts = clinic
    for attempt, words in [
        (lambda: accounts.add_user("ann", "patient", PASSWORD), "already"),
        (lambda: accounts.add_user("x y", "patient", PASSWORD), "user name"),
        (lambda: accounts.add_user("zed", "doctor", PASSWORD), "not a role"),
        (lambda: accounts.add_user("zed", "patient", "short"), "8 characters"),
        (lambda: accounts.add_grant("ann", "bea", "read"), "not a therapist"),
        (lambda: accounts.add_grant("nobody", "tom", "read"), "no patient"),
        (lambda: accounts.add_grant("ann", "tom", "write"), "not a scope"),
        (lambda: accounts.create_link("ann", "soon"), "not a duration"),
        (lambda: accounts.revoke("link", 99), "no link 99"),
    ]:
        with pytest.raises(AccountError, match=words):
            attempt()


def test_personal_owner_keeps_the_demo_rule(tmp_path):
    session = DiarySession.personal(tmp_path / "own.sqlite")
    assert session.is_demo and not session.principal.hosted
    demo_patient = int(session.patients()["id"].iloc[0])
    saved_for = session.save(demo_patient, [checkin()])
    assert not session.is_demo
    assert session.store is session.own_store
    assert session.store.daily(saved_for)["pain"].tolist() == [5.0]


def test_a_version_4_store_opens_unchanged_and_gains_the_account_tables(tmp_path):
    import sqlite3

    from dashboard.store import ACCOUNT_TABLES, SCHEMA_VERSION, TRIAL_TABLES

    path = tmp_path / "v4.sqlite"
    store = Store(path)
    store.save(store.ensure_patient("ann"), [checkin()])
    store.close()
    with sqlite3.connect(path) as conn:  # what a version 4 store looked like
        for table in (*reversed(TRIAL_TABLES), *reversed(ACCOUNT_TABLES)):
            conn.execute(f"DROP TABLE {table.name}")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == 8
    assert store.daily(store.ensure_patient("ann"))["pain"].tolist() == [5.0]
    Accounts(store).add_user("ann", "patient", PASSWORD)
    assert store.user(name="ann")["patient_id"] == store.ensure_patient("ann")
    assert list(tmp_path.glob("v4.before-v8-*.sqlite"))


def test_a_sign_in_lasts_thirty_days(clinic):
    _store, accounts = clinic
    long_ago = utcnow() - dt.timedelta(days=31)
    old = accounts.sign_in("ann", PASSWORD, now=long_ago)
    assert accounts.principal(old) is None
    assert accounts.principal(accounts.sign_in("ann", PASSWORD)).name == "ann"


def test_sign_out_and_a_password_change_stop_every_call_at_once(clinic):
    """A full report had been downloaded 1.1 s after ``fibro user password``: every call of
    the session layer now checks the sign-in first."""
    from dashboard.session import SignedOut

    store, accounts = clinic
    accounts.add_grant("ann", "tom", "log")
    token = accounts.sign_in("tom", PASSWORD)
    tom = DiarySession.hosted(store, token)
    ann = pid(accounts, "ann")
    assert len(tom.diary(ann).sessions) == 1 and tom.patient_list()["name"].tolist() == ["ann"]
    accounts.set_password("tom", "a brand new password")
    for call in (lambda: tom.diary(ann), tom.patients, tom.patient_list,
                 lambda: tom.save(ann, [massage(dt.datetime(2026, 11, 3, 10))]),
                 lambda: tom.trials(ann)):
        with pytest.raises(SignedOut):
            call()
    assert len(store.sessions(ann)) == 1

    ann_session = session_of(store, accounts, "ann")
    signin = ann_session.signin_hash
    assert ann_session.diary(ann).daily is not None
    from dashboard.accounts import token_hash

    ann_token = accounts.sign_in("ann", PASSWORD)
    same = DiarySession.hosted(store, ann_token)
    assert same.signin_hash == token_hash(ann_token) != signin
    accounts.sign_out(ann_token)
    with pytest.raises(SignedOut):
        same.diary(ann)
    assert len(ann_session.diary(ann).daily) == 1  # her other sign-in is not touched


# --- capabilities: the one answer pages, the CLI and the report ask ----------------------

def test_capabilities_follow_each_role_and_scope(clinic):
    """One answer per person and diary: read / log / write / plan / owns-diary / pages."""
    from dashboard.session import PATIENT_PAGES, READ_ONLY_PAGES, THERAPIST_PAGES

    store, accounts = clinic
    ann, bea = pid(accounts, "ann"), pid(accounts, "bea")
    accounts.add_grant("ann", "tom", "log")
    accounts.add_grant("bea", "tom", "read")
    tom = session_of(store, accounts, "tom")
    logs, reads = tom.capabilities(ann), tom.capabilities(bea)
    assert (logs.read, logs.log, logs.write, logs.plan, logs.owns_diary) == (True, True, False, True, False)
    assert (reads.read, reads.log, reads.write, reads.plan) == (True, False, False, False)
    assert logs.read_only and reads.read_only and not logs.share
    assert logs.pages == reads.pages == THERAPIST_PAGES
    assert not tom.capabilities(pid(accounts, "cy")).read  # never granted

    own = session_of(store, accounts, "ann").capabilities(ann)
    assert (own.read, own.log, own.write, own.plan, own.owns_diary, own.share) == (True,) * 6
    assert not own.read_only and own.pages == PATIENT_PAGES
    assert not session_of(store, accounts, "ann").capabilities(bea).read

    _link_id, token = accounts.create_link("bea", "2h")
    holder = DiarySession.hosted(store, accounts.open_link(token)).capabilities(bea)
    assert (holder.read, holder.log, holder.write, holder.plan, holder.owns_diary) == (
        True, False, False, False, False)
    assert holder.pages == READ_ONLY_PAGES

    root = session_of(store, accounts, "root")
    assert root.capabilities().manage_accounts and root.capabilities().pages == ()
    assert not root.capabilities(ann).read
    assert set(root.users()["name"]) == {"ann", "bea", "cy", "tom", "tia", "root"}
    for person in ("tom", "ann"):  # the accounts are the administrator's alone
        with pytest.raises(Refused):
            session_of(store, accounts, person).users()


def test_capabilities_end_with_the_sign_in(clinic):
    store, accounts = clinic
    token = accounts.sign_in("ann", PASSWORD)
    ann = DiarySession.hosted(store, token)
    accounts.sign_out(token)
    with pytest.raises(Refused):
        ann.capabilities(pid(accounts, "ann"))


def test_the_demo_takes_entries_but_is_nobody_s_own_diary(tmp_path):
    from dashboard.session import PERSONAL_PAGES

    session = DiarySession.personal(tmp_path / "own.sqlite")
    demo_patient = int(session.patients()["id"].iloc[0])
    demo = session.capabilities(demo_patient)
    assert demo.demo and demo.write and demo.log and not demo.read_only
    assert not demo.plan and not demo.owns_diary  # no trial, reminder or download of the demo
    assert demo.pages == PERSONAL_PAGES
    saved_for = session.save(demo_patient, [checkin()])
    own = session.capabilities(saved_for)
    assert not own.demo and own.plan and own.owns_diary and not own.share


def test_one_action_checks_access_once_and_the_next_one_afresh(clinic, monkeypatch):
    """Inside ``one_check`` (a click and what it recomputes) the sign-in and the grants are
    read once; a grant revoked in between stops the next action."""
    store, accounts = clinic
    grant = accounts.add_grant("ann", "tom", "log")
    tom, ann = session_of(store, accounts, "tom"), pid(accounts, "ann")
    asked = []
    check = tom._check_scopes
    monkeypatch.setattr(tom, "_check_scopes", lambda: asked.append(1) or check())
    with tom.one_check():
        tom.diary(ann), tom.patients(), tom.trials(ann)
        with tom.one_check():  # nested: still the same action
            tom.save(ann, [massage(dt.datetime(2026, 11, 3, 10))])
    assert len(asked) == 1
    accounts.revoke("grant", grant)
    with tom.one_check(), pytest.raises(Refused):
        tom.diary(ann)
    with pytest.raises(Refused):  # outside an action every call checks, as before
        tom.diary(ann)
    assert len(asked) == 3


@pytest.mark.both_engines
def test_a_save_rereads_only_the_table_it_wrote(clinic):
    """After this process logs a session, the diary it holds is the old one with its
    sessions read again (the check-ins and doses kept); a write by anyone else in between
    makes it read everything."""
    store, accounts = clinic
    accounts.add_grant("ann", "tom", "log")
    tom, ann = session_of(store, accounts, "tom"), pid(accounts, "ann")
    before = tom.diary(ann)
    tom.save(ann, [massage(dt.datetime(2026, 11, 3, 10), "deep")])
    after = tom.diary(ann)
    assert after.daily is before.daily and after.doses is before.doses
    assert list(after.sessions["pressure"]) == ["light", "deep"]
    assert after.sessions is not before.sessions
    other = Store(store.url)  # another process's writes: a store of its own
    try:
        other.save(ann, [checkin(DAY + dt.timedelta(days=1), pain=7)])
    finally:
        other.close()
    tom.save(ann, [massage(dt.datetime(2026, 11, 4, 10))])  # revision moved by two
    fresh = tom.diary(ann)
    assert fresh.daily is not after.daily and list(fresh.daily["pain"]) == [5.0, 7.0]
    assert len(fresh.sessions) == 3
    assert tom.diary(ann) is fresh  # read once per revision
