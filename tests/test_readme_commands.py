"""The README's account commands, followed as written, touch the hosted store and never the
personal diary: each names its store with ``--db``, and so does the server's own hint."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from dashboard.cli import main
from dashboard.store import Store

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT_COMMAND = re.compile(r"\bfibro (user|grant|link|audit)\b")


def test_every_account_command_in_the_readme_names_its_store():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    inline = re.findall(r"`(fibro [^`]*)`", readme)
    lines = [line for block in blocks for line in block.splitlines()] + inline
    commands = [line for line in lines if ACCOUNT_COMMAND.search(line)]
    assert len(commands) >= 8
    assert [c for c in commands if "--db" not in c] == []


def test_the_hosted_server_s_no_users_hint_names_the_store(tmp_path, monkeypatch):
    import dashboard.ui.hosted as hosted

    monkeypatch.setattr(hosted, "serve_hosted", lambda *args, **kwargs: None)
    db = tmp_path / "clinic.sqlite"
    Store(db).close()
    done = CliRunner().invoke(main, ["serve", "--hosted", "--db", str(db), "--port", "5999"])
    assert done.exit_code == 0, done.output
    assert f"fibro user add NAME --role patient --db {db}`" in done.output
