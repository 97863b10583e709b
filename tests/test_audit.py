"""The access log holds what issue 23 found missing: report downloads and exports, password
changes, users added and removed, failed sign-ins with their client address; tokens are
masked in log lines and in the nginx template's access log."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from dashboard import demo
from dashboard.accounts import AccountError, Accounts
from dashboard.cli import main
from dashboard.session import DiarySession, SignedOut

pytestmark = pytest.mark.both_engines
PASSWORD = "a long test password"


def actions(accounts: Accounts) -> list[tuple[str, str]]:
    log = accounts.audit()
    return list(zip(log["actor"], log["action"]))[::-1]  # oldest first


def test_account_changes_and_failed_sign_ins_are_audited(store):
    accounts = Accounts(store)
    tom = accounts.add_user("tom", "therapist", PASSWORD, actor="root")
    accounts.set_password("tom", "another long password", actor="root")
    with pytest.raises(AccountError):
        accounts.sign_in("tom", "wrong password", address="203.0.113.7")
    accounts.sign_in("tom", "another long password", address="2001:db8::1")
    accounts.remove_user("tom", actor="root")
    assert actions(accounts) == [("root", f"user {tom} added (therapist)"),
                                 ("root", "password changed"), ("tom", "sign-in failed"),
                                 ("tom", "signed in"), ("root", f"user {tom} removed")]
    log = accounts.audit()
    assert log.loc[log["action"] == "sign-in failed", "address"].tolist() == ["203.0.113.7"]
    assert log.loc[log["action"] == "signed in", "address"].tolist() == ["2001:db8::1"]
    text = log.astype(str).to_string()
    assert PASSWORD not in text and "another long password" not in text


def test_reports_and_exports_leave_a_row_and_stop_after_sign_out(store, tmp_path, db_url):
    demo.write_demo(store, days=30, seed=3, patient="ann", end=dt.date(2026, 11, 20))
    accounts = Accounts(store)
    accounts.add_user("tom", "therapist", PASSWORD)
    accounts.add_grant("ann", "tom", "read")
    ann = accounts.patient_id("ann")
    token = accounts.sign_in("tom", PASSWORD)
    tom = DiarySession.hosted(store, token)
    tom.taking(ann, "therapist report")
    assert ("tom", "took therapist report") in actions(accounts)
    accounts.sign_out(token)
    with pytest.raises(SignedOut):
        tom.taking(ann, "therapist report")

    runner = CliRunner()
    exported = runner.invoke(main, ["export", "--db", db_url, "--out", str(tmp_path / "x")])
    assert exported.exit_code == 0, exported.output
    reported = runner.invoke(main, ["report", "--db", db_url, "--out", str(tmp_path / "r.pdf")])
    assert reported.exit_code == 0, reported.output
    taken = [a for _actor, a in actions(accounts) if a.startswith("took")]
    assert taken[-2:] == ["took export (fibro export)", "took therapist report (fibro report)"]


def test_link_tokens_are_masked_in_log_lines():
    from dashboard.ui.hosted import mask_link_tokens

    token = "k" * 43
    for tail in ("", "/", ".", ")", "?x=1"):
        line = f"404 GET /link/{token}{tail} (127.0.0.1) 1.2ms"
        assert token not in mask_link_tokens(line)
        assert "/link/..." in mask_link_tokens(line)


def test_the_nginx_template_logs_no_link_token(tmp_path):
    from deploy.stack import nginx_config

    conf = nginx_config(8443, [5001, 5002], tmp_path)
    assert f"access_log {tmp_path}/nginx-access.log fibro_masked;" in conf
    assert "~^/link/  /link/...;" in conf
    log_format = conf[conf.index("log_format fibro_masked"):conf.index("upstream")]
    assert "$request " not in log_format and "$request_uri" not in log_format
    assert "$http_referer" not in log_format and "$args" not in log_format
