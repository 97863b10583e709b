"""A server process's start: from launching ``panel serve dashboard/app.py`` until its first
page has been built and sent (HTTP 200 for /app), the CPU time the process has used by then,
and its memory (RSS and its peak). Medians with min-max; on a shared machine quote the CPU
and memory, which the load does not change much. Compares checkouts: ``python benchmarks/server_start.py OLD_CHECKOUT NEW_CHECKOUT``
serves each in turn (``PYTHONPATH`` and working directory set to it), ``--rounds`` times,
and prints each one's median, min and max. Used to measure dropping HoloViews from the
served app (README, "What draws what")."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_and_memory(pid: int) -> tuple[float, float, float]:
    """CPU seconds (user + system) a process has used, its RSS and peak RSS in MB, from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return cpu, int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def one_start(checkout: Path, db: Path) -> tuple[float, float, float, float]:
    """Seconds to the first page, the CPU seconds spent by then, RSS and peak RSS in MB."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(checkout), "FIBRO_DB": str(db)}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", "dashboard/app.py", "--port", str(port),
         "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"],
        cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/app", timeout=60).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() - started > 120:
                    raise RuntimeError(f"{checkout} did not serve")
                time.sleep(0.05)
        took = time.monotonic() - started
        return (took, *cpu_and_memory(process.pid))
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(args.checkouts[-1]))
    from dashboard.demo import write_demo
    from dashboard.store import Store

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "fibro.sqlite"
        store = Store(db)
        write_demo(store, days=365, seed=1, end=dt.date(2026, 6, 30))
        store.close()
        results = {c: [] for c in args.checkouts}
        for _ in range(args.rounds + 1):  # the first round warms the disk cache, not counted
            for checkout in args.checkouts:
                results[checkout].append(one_start(checkout.resolve(), db))
        print(f"{'checkout':<40} " + " ".join(f"{h:>22}" for h in (
            "first page s", "CPU s", "RSS MB", "peak RSS MB")))
        for checkout, rows in results.items():
            cells = []
            for column in zip(*rows[1:]):
                cells.append(f"{statistics.median(column):7.2f} ({min(column):.2f}-{max(column):.2f})")
            print(f"{str(checkout):<40} " + " ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
