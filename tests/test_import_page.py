"""The Import page's file handling, without a browser."""

from __future__ import annotations

from pathlib import Path

from dashboard.ui.import_page import staged, too_large


def test_files_above_the_limit_are_named_and_refused():
    files = {"small.csv": b"x" * 10, "<b>big</b>.csv": b"x" * (2 * 1024 * 1024 + 1)}
    message = too_large(files, limit_mb=2)
    assert "&lt;b&gt;big&lt;/b&gt;.csv is 2 MB" in message and "up to 2 MB" in message
    assert too_large({"small.csv": b"x" * 10}, limit_mb=2) is None


def test_staged_files_are_private_and_gone_afterwards():
    with staged({"daily.csv": b"date\n", "../sessions.csv": b"start\n"}) as path:
        folder = path
        assert sorted(p.name for p in folder.iterdir()) == ["daily.csv", "sessions.csv"]
        assert all(p.stat().st_mode & 0o077 == 0 for p in folder.iterdir())
    assert not Path(folder).exists()
    with staged({"one.csv": b"date\n"}) as path:
        assert path.name == "one.csv" and path.read_bytes() == b"date\n"
    assert not path.parent.exists()
