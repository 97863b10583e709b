"""Uploads written to a private temporary folder as their chunks arrive, never kept whole in
memory, with the size limit enforced chunk by chunk and abandoned uploads dropped.

Panel's ``FileDropper`` sends a file in chunks over the websocket (``chunk_size`` bytes each,
one Bokeh message per chunk; Bokeh refuses a message above ``websocket_max_message_size``,
20 MB by default, from its frame header, before reading it) and then joins them in memory:
a 300 MB upload had raised the server's memory by about 850 MB before the 200 MB limit
refused it, and uploads that never completed stayed in memory for the session's life.
``StreamedFileDropper`` keeps the browser side and replaces the server side: each chunk is
appended to an owner-only file and dropped; an upload that passes the limit, arrives out of
order, or sends nothing for ``idle_seconds`` is removed.  What a session holds in memory is
then at most the chunk being written.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import panel as pn
import param

IDLE_SECONDS = 120  # an upload that sends no chunk for this long is dropped
_folders: set[Path] = set()  # every upload folder of this process, removed when it exits


@atexit.register
def _remove_all() -> None:
    for folder in list(_folders):
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class _Partial:
    path: Path
    file: object
    size: int
    next_chunk: int
    total: int
    last: float


class StreamedFileDropper(pn.widgets.FileDropper):
    """A ``FileDropper`` whose uploads go to disk as they arrive (``files``: name -> path)."""

    limit_bytes = param.Integer(default=200 * 1024 * 1024, bounds=(1, None),
                                doc="The largest file accepted, in bytes")
    idle_seconds = param.Number(default=IDLE_SECONDS, doc="Drop an upload silent this long")
    files = param.Dict(default={}, doc="Completed uploads: file name -> private path")
    refused = param.String(default="", doc="Why the last upload was dropped, if it was")

    _rename = {**pn.widgets.FileDropper._rename, "limit_bytes": None, "idle_seconds": None,
               "files": None, "refused": None}  # server-side only

    def __init__(self, **params):
        super().__init__(**params)
        self._partial: dict[str, _Partial] = {}
        self._folder: Path | None = None
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.on_session_destroyed(lambda _context: self.discard())
            pn.state.add_periodic_callback(self.drop_idle, period=30_000)

    # --- the folder ----------------------------------------------------------------

    @property
    def folder(self) -> Path:
        """A private (0700) folder of this widget's, made at the first upload."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="fibro-upload-"))
            _folders.add(self._folder)
        return self._folder

    def discard(self) -> None:
        """Remove every upload, complete or not (the session ended, or an import is done)."""
        for partial in self._partial.values():
            with contextlib.suppress(OSError):
                partial.file.close()
        self._partial.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            _folders.discard(self._folder)
            self._folder = None
        self.files = {}

    # --- chunks -----------------------------------------------------------------------

    def _process_event(self, event) -> None:
        self.drop_idle()
        data = event.data
        name = Path(str(data.get("name", ""))).name or "upload.csv"
        if event.event_name == "delete_event":
            self._drop(name)
            if name in self.files:
                with contextlib.suppress(OSError):
                    self.files[name].unlink()
                self.files = {k: v for k, v in self.files.items() if k != name}
            return
        chunk, total = int(data["chunk"]), int(data["total_chunks"])
        content = data["data"]
        content = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        if chunk == 1:
            self._drop(name)
            if total > math.ceil(self.limit_bytes / max(1, self.chunk_size)) + 1:
                self._refuse(name, "is larger than")  # said up front by the browser
                return
            self._partial[name] = self._start(name, total)
        partial = self._partial.get(name)
        if partial is None or chunk != partial.next_chunk or total != partial.total:
            if partial is not None:
                self._refuse(name, "arrived out of order; try again:")
            return
        partial.size += len(content)
        if partial.size > self.limit_bytes:
            self._refuse(name, "is larger than")
            return
        partial.file.write(content)
        partial.next_chunk += 1
        partial.last = time.monotonic()
        if chunk == total:
            partial.file.close()
            del self._partial[name]
            final = self.folder / name
            os.replace(partial.path, final)
            self.refused = ""
            self.files = {**self.files, name: final}

    def _start(self, name: str, total: int) -> _Partial:
        descriptor, path = tempfile.mkstemp(prefix=".part-", dir=self.folder)  # 0600
        return _Partial(Path(path), os.fdopen(descriptor, "wb"), 0, 1, total, time.monotonic())

    def _drop(self, name: str) -> None:
        partial = self._partial.pop(name, None)
        if partial is not None:
            with contextlib.suppress(OSError):
                partial.file.close()
            with contextlib.suppress(OSError):
                partial.path.unlink()

    def _refuse(self, name: str, why: str) -> None:
        self._drop(name)
        limit = f"{self.limit_bytes / 1024 / 1024:.0f} MB"
        self.refused = (f"{name} {why} {limit}, the largest file accepted here. "
                        "Nothing was kept." if why == "is larger than" else
                        f"{name} {why} nothing was kept.")

    def drop_idle(self, now: float | None = None) -> list[str]:
        """Drop the uploads that have sent nothing for ``idle_seconds``; their names."""
        now = time.monotonic() if now is None else now
        idle = [n for n, p in self._partial.items() if now - p.last > self.idle_seconds]
        for name in idle:
            self._drop(name)
        return idle

    def partial_bytes(self) -> int:
        """Bytes of uploads still arriving (on disk, not in memory)."""
        return sum(p.size for p in self._partial.values())
