"""Every page's Bokeh models pass Bokeh's own integrity checks (missing columns, bad
ranges, empty layouts...). The served app leaves these checks out of each visit (they
only log; see ``ui.app.lighter_visits``), so they are made here, on every page and
sub-page, opened as a person would open them."""

from __future__ import annotations

import panel as pn
import pytest
from bokeh.core.validation.check import check_integrity
from bokeh.document import Document
from panel.io.state import set_curdoc

from dashboard.session import DiarySession
from dashboard.ui.app import App
from dashboard.ui.datastore import DataStore


def open_everything(app: App, doc: Document) -> list[str]:
    """Open every page and every tab of every page; the titles opened."""
    opened = []
    for index, title in enumerate(app.page_names):
        app.tabs.active = index
        opened.append(title)
        tabs = getattr(app.built_pages[title], "tabs", None)  # the Log and Scores pages' own
        if isinstance(tabs, pn.Tabs):
            for sub, name in enumerate(tabs._names):
                tabs.active = sub
                opened.append(f"{title}/{name}")
    return opened


def test_every_page_passes_bokehs_integrity_checks(demo_path):
    doc = Document()
    with set_curdoc(doc):
        app = App(data=DataStore(DiarySession.personal(demo_path)))
        app.template().server_doc(doc)
        opened = open_everything(app, doc)
        issues = check_integrity(doc.models)
    assert {"Overview", "Effects", "Log", "Scores", "Import"} <= set(opened)
    assert len(opened) > len(app.page_names)  # sub-pages opened too
    assert not issues.error, [f"{e.code} {e.name}: {e.text}" for e in issues.error]
    # An empty layout is on purpose here (the Trial page's blocks while no trial runs).
    warnings = [f"{w.code} {w.name}: {w.text}" for w in issues.warning if w.name != "EMPTY_LAYOUT"]
    assert not warnings
