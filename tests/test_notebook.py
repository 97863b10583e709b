"""notebooks/explore.ipynb runs top to bottom on a demo store."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbclient
import nbformat

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"


def test_explore_notebook_executes(tmp_path, monkeypatch, demo_path):
    own = tmp_path / "fibro.sqlite"
    shutil.copy(demo_path, own)
    monkeypatch.setenv("FIBRO_DB", str(own))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "(demo data: False)" in text  # it opened the user's own store
    assert "moderate sessions on the neck or shoulders" in text
    shown = [o for o in outputs if o.output_type in ("display_data", "execute_result")]
    assert any("application/vnd.holoviews_load.v0+json" in o.data or "text/html" in o.data
               for o in shown)
