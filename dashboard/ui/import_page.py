"""The Import page: upload a file from another app, see what it would do, then confirm.

The parsing and the all-or-nothing save are ``dashboard.importers.import_into``, reached
through the session layer (``DataStore.import_file``);
this page copies the received upload (a private file, see below) into a private temporary
folder for the length of one check or import (removed right after) and runs it off the
event loop, so the dashboard stays responsive during a long import.  The received file
itself is removed when the session or the server ends.

Uploads travel in chunks (Panel's FileDropper), so a file is not limited by the
websocket's message size; each chunk is written to a private temporary file as it arrives
and the limit is enforced as the bytes come (``uploads.StreamedFileDropper``: nothing is
held whole in memory, and an upload left unfinished is dropped). The limit, said on the
page before choosing a file, is ``FIBRO_MAX_UPLOAD_MB`` (default 200 MB: a ten-year export
of any supported app is far smaller).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import panel as pn
import param

from ..importers import ImportFormatError, guess_kind
from ..records import InvalidRecord
from ..store import BackupFailed
from ..wording import plural
from .datastore import DataStore
from .serving import with_document_lock
from .tables import TABLE_CSS, table_html
from .text import escape_html
from .uploads import StreamedFileDropper

KIND_LABELS = {
    "bearable": "Bearable export (CSV)",
    "fitbit-sleep": "Fitbit daily sleep (sleepDay_merged.csv)",
    "sleep-as-android": "Sleep as Android export (CSV)",
    "flaredown": "Flaredown research export (CSV)",
    "csv": "This dashboard's template (daily.csv, sessions.csv, medications.csv)",
}
GUESS = "guess from the file"
MAX_UPLOAD_MB = int(os.environ.get("FIBRO_MAX_UPLOAD_MB", "200"))
CHUNK_BYTES = 4 * 1024 * 1024


@contextlib.contextmanager
def staged(files: dict[str, Path | bytes]):
    """The uploaded files (paths of received uploads, or bytes) in a private temporary folder
    while the block runs: the path to import (the file, or the folder when there are
    several); removed afterwards.  Files are copied on disk, never read into memory."""
    with tempfile.TemporaryDirectory(prefix="fibro-import-") as folder:
        paths = []
        for name, content in files.items():
            path = Path(folder) / (Path(name).name or "upload.csv")
            if isinstance(content, (bytes, str)):
                path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            else:
                shutil.copyfile(content, path)
            path.chmod(0o600)
            paths.append(path)
        yield Path(folder) if len(paths) > 1 else paths[0]


def _size(content) -> int:
    return len(content) if isinstance(content, (bytes, str)) else Path(content).stat().st_size


def too_large(files: dict[str, Path | bytes], limit_mb: int = MAX_UPLOAD_MB) -> str | None:
    """A message naming the first file above the limit, or None."""
    for name, content in files.items():
        size = _size(content)
        if size > limit_mb * 1024 * 1024:
            return (f"{escape_html(name)} is {size / 1024 / 1024:.0f} MB; files up to "
                    f"{limit_mb} MB can be imported here. Nothing was imported.")
    return None
SUMMARY_CSS = TABLE_CSS + """
.import-summary { max-width: 560px; }
.import-error { color: #B3261E; font-weight: 600; }
"""
SUMMARY_ROWS = {"Daily check-ins": "daily", "Massage sessions": "sessions",
                "Medication doses": "doses"}


def summary_html(summary: dict) -> str:
    """An import summary as calm HTML (every text from the file escaped; the counts through
    the house's table writer, a card per kind of entry on a phone)."""
    verb = "Would add" if summary["dry_run"] else "Added"
    counts = pd.DataFrame(
        [[label, summary["created"][key], summary["updated"][key], summary["unchanged"][key]]
         for label, key in SUMMARY_ROWS.items()],
        columns=["Entries", verb, "Updated", "Already there"])
    skipped = "".join(f"<li>{n} × {escape_html(reason)}</li>"
                      for reason, n in sorted(summary["skipped"].items()))
    notes = "".join(f"<li>{escape_html(note)}</li>" for note in summary["notes"])
    span = (f"{escape_html(summary['first_date'])} to {escape_html(summary['last_date'])}"
            if summary["first_date"] else "no dates")
    people = ", ".join(escape_html(p) for p in summary["patients"]) or "nobody"
    return (
        f"<p><b>{escape_html(KIND_LABELS.get(summary['kind'], summary['kind']))}</b>: "
        f"{plural(summary['rows_read'], 'row')} read, {summary['rows_used']} used, "
        f"{summary['rows_skipped']} skipped · days {span} · for {people}</p>"
        + table_html(counts, "What the import " + ("would do" if summary["dry_run"] else "did"),
                     right=counts.columns[1:], css_class="import-summary")
        + (f"<p>Skipped rows, by reason:</p><ul>{skipped}</ul>" if skipped else "")
        + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "")
    )


class ImportPage(pn.viewable.Viewer):
    """Upload → kind (guessed, shown) → dry-run summary → confirm → done."""

    data = param.ClassSelector(class_=DataStore)
    busy = param.Boolean(default=False)

    def __init__(self, **params):
        super().__init__(**params)
        self.upload = StreamedFileDropper(
            limit_bytes=MAX_UPLOAD_MB * 1024 * 1024, multiple=True, accepted_filetypes=[".csv", ".txt", "text/csv", "text/plain"],
            max_file_size=f"{MAX_UPLOAD_MB}MB", chunk_size=CHUNK_BYTES, layout="compact",
            css_classes=["import-file"], sizing_mode="stretch_width")
        self.kind = pn.widgets.Select(label="Kind of file", options={GUESS: GUESS, **{
            label: kind for kind, label in KIND_LABELS.items()}}, value=GUESS, max_width=420,
            sizing_mode="stretch_width", css_classes=["import-kind"])  # narrower on a phone
        self.check_button = pn.widgets.Button(label="Check the file (writes nothing)",
                                              color="primary", css_classes=["import-check"],
                                              disabled=self.param.busy)
        self.confirm_button = pn.widgets.Button(label="Import", color="success", visible=False,
                                                css_classes=["import-confirm"], disabled=self.param.busy)
        self.progress = pn.indicators.Progress(active=True, value=-1, width=300,
                                               visible=self.param.busy, css_classes=["import-progress"])
        self.status = pn.pane.HTML("", css_classes=["import-status"], sizing_mode="stretch_width",
                                   stylesheets=[SUMMARY_CSS])
        self.result = pn.pane.HTML("", css_classes=["import-result"], sizing_mode="stretch_width",
                                   stylesheets=[SUMMARY_CSS])
        self.check_button.on_click(self._check)
        self.confirm_button.on_click(self._confirm)
        self.upload.param.watch(self._received, ["files", "refused"])
        self._kind: str | None = None

    def __panel__(self):
        intro = pn.pane.Markdown(
            "Bring in a diary you already keep. The file is checked first and **nothing is "
            "written until you confirm**; an import is all or nothing, and importing the same "
            "file again adds nothing. The file stays on this computer.\n\n"
            f"CSV files up to **{MAX_UPLOAD_MB} MB** each.", sizing_mode="stretch_width",
            css_classes=["import-intro"])
        return pn.Column(intro, self.upload, self.kind, pn.Row(self.check_button, self.confirm_button),
                         self.progress, self.status, self.result, sizing_mode="stretch_width",
                         max_width=900)

    def _received(self, _event=None) -> None:
        """A new upload: forget the last check and say what arrived."""
        self._forget()
        if self.upload.refused:
            self.status.object = f"<p class='import-error'>{escape_html(self.upload.refused)}</p>"
            return
        files = self._files()
        if files:
            self.status.object = "<p class='import-received'>Received " + ", ".join(
                f"{escape_html(name)} ({_size(content) / 1024:,.0f} KB)"
                for name, content in files.items()) + ". Check it next.</p>"

    def _forget(self) -> None:
        self.confirm_button.visible = False
        self.result.object = self.status.object = ""

    def _files(self) -> dict[str, Path]:
        """The received uploads: name -> their private file."""
        return dict(self.upload.files)

    def _chosen_kind(self, path: Path) -> tuple[str | None, str]:
        if self.kind.value != GUESS:
            return self.kind.value, f"Reading it as: {escape_html(KIND_LABELS[self.kind.value])}."
        guessed = guess_kind(path)
        if guessed is None:
            return None, ("Could not tell what kind of file this is from its first line. "
                          "Choose the kind above.")
        return guessed, f"Guessed from its first line: <b>{escape_html(KIND_LABELS[guessed])}</b>."

    def _import(self, files: dict[str, Path], dry_run: bool) -> tuple[str, dict | None]:
        """In a worker thread: stage the files, settle the kind, import (or dry-run) them."""
        with staged(files) as path:
            if dry_run:
                self._kind, said = self._chosen_kind(path)
                if self._kind is None:
                    return said, None
            else:
                said = ""
            return said, self.data.import_file(self._kind, path, dry_run=dry_run)

    async def _run(self, dry_run: bool) -> dict | None:
        files = self._files()
        if not files:
            self.status.object = "<p>Choose a file first.</p>"
            return None
        refusal = too_large(files)
        if refusal:
            self.status.object = f"<p class='import-error'>{refusal}</p>"
            return None
        self.busy = True
        try:
            said, summary = await asyncio.to_thread(self._import, files, dry_run)
            if dry_run:
                self.status.object = f"<p>{said}</p>"
            return summary
        except (ImportFormatError, InvalidRecord, ValueError, BackupFailed) as error:
            self.status.object = (f"<p class='import-error'>{escape_html(str(error))}</p>"
                                  "<p>Nothing was imported.</p>")
            self.confirm_button.visible = False
            return None
        finally:
            self.busy = False

    async def _check(self, _event=None) -> None:
        self._forget()
        summary = await self._run(dry_run=True)
        if summary is None:
            return
        self.result.object = summary_html(summary)
        self.confirm_button.visible = True

    async def _confirm(self, _event=None) -> None:
        summary = await self._run(dry_run=False)
        if summary is None:
            return
        self.confirm_button.visible = False
        self.result.object = summary_html(summary)
        self.status.object = "<p class='import-done'><b>Imported.</b> The plots now include it.</p>"
        known = set(self.data.filters.param.patient.names)
        opens_afresh = self.data.capabilities.demo or not set(summary["patients"]) <= known
        imported = (summary["first_date"], summary["last_date"])
        if opens_afresh and self.data.reload_page is not None:
            self.data.reload_page(imported)  # the own diary, or new patients in the sidebar
        elif not self.data.capabilities.demo:
            with_document_lock(lambda: self.data.reload(show=imported))  # the imported days

