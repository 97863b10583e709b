"""Choosing the store to open: the user's own, or the demo diary while theirs is empty."""

from __future__ import annotations

import os
from pathlib import Path

from . import demo
from .store import Store, default_db_path


DEFAULT_PATIENT = "Me"  # the patient of a personal store's first entry


def demo_db_path(own: Path) -> Path:
    """The demo diary lives beside the user's store, never inside it."""
    return own.with_name("demo.sqlite")


def open_for_viewing(location: str | os.PathLike | None = None) -> tuple[Store, Store, bool]:
    """The user's own store, the store to show (the demo while the own one holds no
    records yet), and whether that is the demo."""
    own = Store(location or default_db_path())
    if not own.is_empty() or not own.is_sqlite:
        return own, own, False
    demo_store = Store(demo_db_path(own.path))
    if demo_store.is_empty():
        demo.write_demo(demo_store)
    return own, demo_store, True
