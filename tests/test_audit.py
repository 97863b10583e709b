"""The access log holds what issue 23 found missing: report downloads and exports, password
changes, users added and removed, failed sign-ins with their client address; tokens are
masked in log lines and in the nginx template's access log."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

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
    from dashboard.ui.signin import mask_link_tokens

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


def test_nginx_with_its_apps_down_writes_no_link_token_in_its_error_log(tmp_path):
    """Real nginx with the template, its one app process down: a link's page gets 502, and
    neither log holds the token (nginx's error log names the request line of a failed
    upstream connection, so the site logs only critical errors there)."""
    import shutil
    import subprocess
    import urllib.error
    import urllib.request

    from deploy.stack import free_port, nginx_config

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (scripts/test.sh installs it)")
    listen, dead = free_port(), free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(listen, [dead], tmp_path))
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path), "-e",
                             str(tmp_path / "nginx-error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    token = "t" * 43
    try:
        status = None
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{listen}/link/{token}", timeout=5)
            except urllib.error.HTTPError as error:
                status = error.code
                break
            except OSError:
                time.sleep(0.1)
        assert status == 502
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    logs = {name: (tmp_path / name).read_text() for name in ("nginx-access.log", "nginx-error.log")}
    assert "/link/..." in logs["nginx-access.log"]
    assert [name for name, text in logs.items() if token in text] == []
