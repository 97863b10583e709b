"""Uploads streamed to a private file as their chunks arrive (``StreamedFileDropper``): the
limit enforced as bytes come, nothing whole in memory, unfinished uploads dropped.

The chunks are the events Panel's FileDropper delivers from the websocket, sent as an
attacker would: more than the limit, out of order, or never finished (issue 23: a 300 MB
upload raised the server's memory by ~850 MB; 30 unfinished ones held 300 MB)."""

from __future__ import annotations

import os
import stat
import tracemalloc
from types import SimpleNamespace

from dashboard.ui.uploads import StreamedFileDropper

MB = 1024 * 1024


def chunk(name: str, index: int, total: int, data: bytes):
    return SimpleNamespace(event_name="upload_event", data={
        "name": name, "chunk": index, "total_chunks": total, "data": data, "type": "text/csv"})


def test_a_complete_upload_is_a_private_file_not_memory():
    dropper = StreamedFileDropper(limit_bytes=10 * MB, chunk_size=MB)
    parts = [b"date,pain\n", b"2026-01-01,4\n", b"2026-01-02,5\n"]
    for i, part in enumerate(parts, start=1):
        dropper._process_event(chunk("../../daily.csv", i, len(parts), part))
    path = dropper.files["daily.csv"]  # the name without its folders
    assert path.read_bytes() == b"".join(parts) and path.parent == dropper.folder
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(dropper.folder).st_mode) == 0o700
    assert dropper.value == {}  # Panel's in-memory copy is never made
    dropper.discard()
    assert not path.exists()


def test_the_limit_is_enforced_as_the_bytes_arrive_in_bounded_memory():
    """300 chunks of 1 MB against a 200 MB limit (the attack, with a forged total): refused at
    the chunk that passes the limit; memory stays at a chunk or two."""
    dropper = StreamedFileDropper(limit_bytes=200 * MB, chunk_size=MB)
    block = b"x" * MB
    tracemalloc.start()
    for i in range(1, 301):
        dropper._process_event(chunk("big.csv", i, 201, block))  # claims a size under the limit
        if i == 150:
            assert dropper.partial_bytes() == 150 * MB and not dropper.refused
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "big.csv is larger than 200 MB" in dropper.refused
    assert dropper.files == {} and dropper.partial_bytes() == 0
    assert list(dropper.folder.iterdir()) == []  # the partial file is gone
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB"
    print(f"\n300 MB sent against a 200 MB limit: peak traced memory {peak / MB:.2f} MB")
    # a size said up front above the limit is refused at the first chunk
    dropper._process_event(chunk("huge.csv", 1, 400, block))
    assert "huge.csv is larger than" in dropper.refused and dropper.partial_bytes() == 0
    dropper.discard()


def test_unfinished_and_out_of_order_uploads_are_dropped():
    dropper = StreamedFileDropper(limit_bytes=100 * MB, chunk_size=MB, idle_seconds=60)
    for n in range(30):  # 30 uploads that never complete
        dropper._process_event(chunk(f"stalled-{n}.csv", 1, 10, b"y" * MB))
    assert dropper.partial_bytes() == 30 * MB
    import time

    assert sorted(dropper.drop_idle(now=time.monotonic() + 61)) == sorted(
        f"stalled-{n}.csv" for n in range(30))
    assert dropper.partial_bytes() == 0 and list(dropper.folder.iterdir()) == []
    dropper._process_event(chunk("skip.csv", 1, 3, b"a"))
    dropper._process_event(chunk("skip.csv", 3, 3, b"c"))  # chunk 2 never came
    assert "out of order" in dropper.refused and dropper.files == {}
    dropper.discard()
