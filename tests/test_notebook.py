"""notebooks/explore.ipynb runs top to bottom on a demo store, and what it shows is right:
every code cell shows something and none an error, traceback or warning; its tables hold
the rows the store and the analysis layer give (computed here, read back from the HTML the
notebook shows); its HoloViews views and the app are drawn with their titles and one point
per day shown; and the page it saves loads nothing from the network."""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import nbclient
import nbformat
import pandas as pd
import pytest

from dashboard import effects, explore
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"
HOLOVIEWS_OUTPUT = "application/vnd.holoviews_exec.v0+json"
TRACEBACK = "Traceback (most recent call last)"
RUN_SECONDS = 60  # the README promises a run under a minute on the demo diary


class _Tables(HTMLParser):
    """The text of every cell of every <table>, row by row (as pandas' HTML writes them)."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table(frame: pd.DataFrame) -> list[list[str]]:
    """A frame as the notebook's table would show it (pandas' own HTML, read back)."""
    return tables(frame.to_html())[0]


def titles(html: str) -> list[str]:
    """The plot titles in a drawn Bokeh document."""
    return re.findall(r'"name":"Title","id":"[^"]+","attributes":\{"text":"([^"]*)"', html)


def array_lengths(html: str) -> Counter:
    """How many arrays of each length the drawn Bokeh document holds (its data columns)."""
    return Counter(int(n) for n in re.findall(r'"shape":\[(\d+)\]', html))


def expected(path) -> dict:
    """What the notebook should show, computed here from the store and the analysis layer,
    following its cells (a range of days selected, then filters set, then reset)."""
    session = DiarySession.personal(path)
    data = DataStore(session)
    diary = data.diary
    first, last = pd.Timestamp(data.filters.start), pd.Timestamp(data.filters.end)
    views = explore.Exploration(data)
    shown = {"days": len(explore.shown_daily(data)),
             "by_pressure": explore.shown_sessions(data)["pressure"].value_counts().tolist()}
    views.select(max(first, last - pd.Timedelta(days=20)), last)
    selected = views.summary()
    want = {
        "patients": table(session.patients()),
        "counts": f"{len(diary.daily)} daily check-ins, {len(diary.sessions)} sessions, "
                  f"{len(diary.doses)} doses",
        "last_sessions": table(diary.sessions.tail()),
        "described": table(diary.daily[["date", "pain", "sleep_hours", "sleep_quality"]].describe()),
        "selected": f"Selected {selected.start:%Y-%m-%d} to {selected.end:%Y-%m-%d}: "
                    f"{len(views.days())} days with a check-in, {selected.n_sessions} sessions",
        "selected_table": table(views.summary_frame()),
        "shown": shown,
    }
    data.filters.pressures, data.filters.areas = ["moderate"], ["neck", "shoulders"]
    matching = data.matching_sessions()
    want["matching"] = (f"{len(matching)} moderate sessions on the neck or shoulders",
                        table(matching[["start", "pressure", "areas", "pain_before",
                                        "pain_after"]].head()))
    want["filtered_summary"] = table(pd.DataFrame(
        [dataclasses.asdict(c) for c in data.summary().comparisons]))
    answer = effects.effects_json(diary)  # the service the notebook and `fibro effects` use
    want["effects"] = {}  # each part's table, its primary questions only when it marks them
    for part, rows in answer.items():
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            frame = pd.DataFrame(rows)
            if "primary" in frame:
                frame = frame[frame["primary"].astype(bool)]
            want["effects"][part] = table(frame)
    data.filters.pressures = ["light", "moderate", "deep", "unknown"]
    data.filters.areas = []
    views.clear()
    want["app"] = f"{data.summary().n_sessions} matching sessions"
    session.own_store.close()
    if session.store is not session.own_store:
        session.store.close()
    return want


def cell(notebook, marker: str):
    """The one code cell whose source holds ``marker``."""
    found = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    assert len(found) == 1, marker
    return found[0]


def text(c) -> str:
    return "".join(o.get("text", "") for o in c.outputs)


def html(c) -> str:
    return "".join(o.data.get("text/html", "") for o in c.outputs
                   if o.output_type in ("display_data", "execute_result"))


def drawn(c) -> str:
    """The HTML of the cell's HoloViews (or Panel) output: the drawn Bokeh document."""
    views = [o for o in c.outputs if HOLOVIEWS_OUTPUT in o.get("data", {})]
    assert len(views) == 1, [o.get("data", {}).keys() for o in c.outputs]
    return views[0].data["text/html"]


@pytest.fixture(scope="module")
def ran(tmp_path_factory, demo_path):
    """The notebook executed on a copy of the demo diary as the user's own store, what it
    should show, the seconds it took, and its folder."""
    folder = tmp_path_factory.mktemp("notebook")
    own = folder / "fibro.sqlite"
    shutil.copy(demo_path, own)
    want = expected(own)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FIBRO_DB", str(own))
        started = time.monotonic()
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}}).execute()
        took = time.monotonic() - started
    return notebook, want, took, folder


def test_every_cell_shows_something_and_nothing_went_wrong(ran):
    notebook, _want, took, _folder = ran
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(any(o.get("text") or o.get("data") for o in c.outputs) for c in cells), \
        [c.source.splitlines()[0] for c in cells if not c.outputs]
    outputs = [o for c in cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert [o.text for o in outputs if o.get("name") == "stderr"] == []  # no warning shown
    assert all(TRACEBACK not in text(c) + html(c) for c in cells)
    assert took < RUN_SECONDS * 3, took  # two shared cores run slower than the promise


def test_the_tables_hold_the_stores_and_the_analysis_layers_rows(ran):
    notebook, want, _took, _folder = ran
    opened = cell(notebook, "DiarySession.personal()")
    assert "(demo data: False)" in text(opened)  # it opened the user's own store
    assert tables(html(opened)) == [want["patients"]]
    frames = cell(notebook, "diary.sessions.tail()")
    assert want["counts"] in text(frames)
    assert tables(html(frames)) == [want["last_sessions"]]
    assert tables(html(cell(notebook, ".describe()"))) == [want["described"]]
    selected = cell(notebook, "views.select(")
    assert want["selected"] in text(selected)  # a range of days set from a cell, read back
    assert tables(html(selected)) == [want["selected_table"]]
    assert {"n_after", "n_other", "ci_low", "ci_high"} <= set(want["selected_table"][0])
    filtered = cell(notebook, "data.matching_sessions()")
    assert want["matching"][0] in text(filtered)
    assert tables(html(filtered)) == [want["matching"][1]]
    assert tables(html(cell(notebook, "result.comparisons"))) == [want["filtered_summary"]]
    shown_effects = cell(notebook, "effects.effects_json(")
    assert want["effects"] and all(len(rows) > 1 for rows in want["effects"].values())
    for part, rows in want["effects"].items():
        assert f"{part}: {len(rows) - 1} primary questions" in text(shown_effects)
    assert tables(html(shown_effects)) == list(want["effects"].values())
    assert "No n-of-1 trial in this diary yet" in text(cell(notebook, "trials.open_trial("))


def test_the_views_and_the_app_are_drawn_with_the_days_shown(ran):
    notebook, want, _took, folder = ran
    days, by_pressure = want["shown"]["days"], want["shown"]["by_pressure"]
    linked = drawn(cell(notebook, "views.layout()"))
    assert titles(linked) == ["Pain (overall)", "Hours asleep", "Painkiller doses",
                              "Pain around sessions: mean and 95 % band"]
    assert days > 0 and array_lengths(linked)[days] >= 3  # pain, sleep and painkiller lines
    assert all(array_lengths(linked)[n] for n in by_pressure)  # session points per pressure

    composed = cell(notebook, "explore.save(")
    assert titles(drawn(composed)) == ["Pain and sessions",
                                       "Hours asleep around sessions: mean and 95 % band"]
    assert array_lengths(drawn(composed))[days]
    assert "diary-views.html written; what it loads from the network: []" in text(composed)
    saved = folder / "diary-views.html"
    assert explore.network_references(saved.read_text()) == []
    assert "Pain and sessions" in saved.read_text()
    assert oct(saved.stat().st_mode & 0o777) == "0o600"

    app = drawn(cell(notebook, "App(data=data)"))
    assert titles(app) == ["Pain and massage sessions", "Sleep", "Medication"]
    assert want["app"] in app and array_lengths(app)[days]
