"""Load test of the clinic stack: visits per minute through nginx with 1, then 2 app processes.

``python benchmarks/clinic_load.py`` starts a throwaway PostgreSQL on 127.0.0.1, writes a
demo clinic into it (``--patients`` 200 x ``--days`` 1095, five therapists), then for each
``--processes`` count starts that many ``fibro serve --hosted`` behind nginx
(``deploy/stack.py``) and lets ``--sessions`` headless Chromium contexts visit for
``--seconds``: sign in as a therapist, wait for their first page, open Overview, wait until
its three plots have drawn data, leave.  It prints, per process count: visits per minute,
the median and 95th percentile of a visit, errors, the app processes' CPU seconds per
visit and their memory.  Everything stays on loopback and is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

from run import CHROMIUM, CHROMIUM_ARGS, OFFSITE, PAGE_JS, TIMEOUT_MS  # noqa: E402
from stack import ClinicStack, ThrowawayPostgres  # noqa: E402

from dashboard.demo import write_clinic  # noqa: E402
from dashboard.store import Store  # noqa: E402

PASSWORD = "load test password"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def visit(browser, address: str, therapist: str) -> float:
    """One visit, start to plots drawn, in seconds; the context is closed after."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        await context.route(OFFSITE, lambda route: route.abort())
        await context.add_init_script(PAGE_JS)
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        started = time.perf_counter()
        await page.goto(f"{address}/app")
        await page.fill("#name", therapist)
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.locator(".bk-tab", has_text="Overview").click()
        await page.wait_for_function("() => window.fibroReady()", polling=100)
        return time.perf_counter() - started
    finally:
        await context.close()


async def load(address: str, therapists: list[str], sessions: int, seconds: float) -> tuple:
    """``sessions`` visitors in parallel until ``seconds`` have passed: visit times, errors."""
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        launch = {"args": CHROMIUM_ARGS, **({"executable_path": CHROMIUM}
                                            if Path(CHROMIUM).exists() else {})}
        browser = await p.chromium.launch(**launch)
        await visit(browser, address, therapists[0])  # warm-up: first imports, caches
        deadline = time.perf_counter() + seconds

        async def visitor(index: int) -> None:
            while time.perf_counter() < deadline:
                try:
                    times.append(await visit(browser, address, therapists[index % len(therapists)]))
                except Exception as error:  # noqa: BLE001 - counted and shown, the run goes on
                    errors.append(f"{type(error).__name__}: {str(error)[:120]}")

        started = time.perf_counter()
        await asyncio.gather(*(visitor(i) for i in range(sessions)))
        elapsed = time.perf_counter() - started
        await browser.close()
    return times, errors, elapsed


def measure(db_url: str, processes: int, therapists: list[str], sessions: int,
            seconds: float) -> dict:
    with ClinicStack(processes, db_url=db_url) as stack:
        pids = [app.pid for app in stack.apps]
        cpu_before = [cpu_seconds(pid) for pid in pids]
        times, errors, elapsed = asyncio.run(load(stack.address, therapists, sessions, seconds))
        cpu = sum(cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before))
        memory = [rss_mb(pid) for pid in pids]
    done = len(times)
    return {
        "processes": processes, "visits": done, "per_minute": done / elapsed * 60,
        "p50": statistics.median(times) if times else float("nan"),
        "p95": statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else float("nan"),
        "errors": errors, "cpu_per_visit": cpu / done if done else float("nan"),
        "rss_mb": memory,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sessions", type=int, default=4, help="visitors at once")
    parser.add_argument("--seconds", type=float, default=60, help="per process count")
    args = parser.parse_args(argv)

    with ThrowawayPostgres() as postgres:
        db_url = postgres.create_database("clinic")
        store = Store(db_url)
        started = time.perf_counter()
        clinic = write_clinic(store, patients=args.patients, days=args.days, therapists=5,
                              password=PASSWORD)
        store.close()
        print(f"demo clinic: {args.patients} patients x {args.days} days, "
              f"{sum(clinic.created.values())} records, {time.perf_counter() - started:.0f} s")
        rows = [measure(db_url, n, clinic.therapists, args.sessions, args.seconds)
                for n in args.processes]
    print(f"\n{args.sessions} visitors at once, {args.seconds:.0f} s per row; a visit = sign in "
          "as a therapist, open Overview, three plots drawn")
    print("| app processes | visits | visits/min | p50 visit s | p95 visit s | errors "
          "| app CPU s/visit | app RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['processes']} | {r['visits']} | {r['per_minute']:.1f} | {r['p50']:.2f} "
              f"| {r['p95']:.2f} | {len(r['errors'])} | {r['cpu_per_visit']:.2f} "
              f"| {' + '.join(f'{m:.0f}' for m in r['rss_mb'])} |")
    for r in rows:
        for error in sorted(set(r["errors"]))[:5]:
            print(f"  {r['processes']} process(es): {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
