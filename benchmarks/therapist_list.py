"""Server time of a therapist's patient list at clinic scale, on SQLite and PostgreSQL.

``python benchmarks/therapist_list.py`` writes the demo clinic (``--patients`` 200 x
``--days`` 1095) into a temporary SQLite file and into a throwaway PostgreSQL on 127.0.0.1,
gives one more therapist a grant on ``--listed`` (60) of the patients, and times what the
server does when that therapist's list is shown: ``DiarySession.patient_list`` (scopes,
the two set-based reads, the pure trend) and the table's HTML.  It prints one row per
engine: the first call, then the median and 95th percentile of ``--repeats`` more.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

from stack import ThrowawayPostgres  # noqa: E402

from dashboard.accounts import Accounts  # noqa: E402
from dashboard.demo import write_clinic  # noqa: E402
from dashboard.session import DiarySession  # noqa: E402
from dashboard.store import Store  # noqa: E402
from dashboard.ui.hosted import patient_list_html  # noqa: E402

PASSWORD = "list benchmark password"


def time_list(store: Store, patients: int, days: int, listed: int, repeats: int) -> dict:
    started = time.perf_counter()
    write_clinic(store, patients=patients, days=days, therapists=5, password=PASSWORD)
    written = time.perf_counter() - started
    accounts = Accounts(store)
    accounts.add_user("lee", "therapist", PASSWORD)
    for name in store.patients()["name"][:listed]:
        accounts.add_grant(name, "lee", "read")
    session = DiarySession.hosted(store, accounts.sign_in("lee", PASSWORD))
    times, rows = [], 0
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        frame = session.patient_list()
        patient_list_html(frame)
        times.append(time.perf_counter() - t0)
        rows = len(frame)
    rest = times[1:]
    return {"written_s": written, "rows": rows, "first_ms": times[0] * 1000,
            "median_ms": statistics.median(rest) * 1000,
            "p95_ms": statistics.quantiles(rest, n=20)[-1] * 1000,
            "trends": int(frame["trend"].notna().sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--listed", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    results = {}
    for engine in args.engines:
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                store = Store(Path(folder) / "clinic.sqlite")
                results[engine] = time_list(store, args.patients, args.days, args.listed,
                                            args.repeats)
                store.close()
        else:
            with ThrowawayPostgres() as postgres:
                store = Store(postgres.create_database("clinic"))
                results[engine] = time_list(store, args.patients, args.days, args.listed,
                                            args.repeats)
                store.close()
    print(f"\nA therapist's list of {args.listed} patients on a {args.patients} x {args.days}-day "
          "clinic: DiarySession.patient_list + the table's HTML, server time")
    print("| engine | patients listed | with a trend | first ms | median ms | p95 ms | demo written s |")
    print("|---|---|---|---|---|---|---|")
    for engine, r in results.items():
        print(f"| {engine} | {r['rows']} | {r['trends']} | {r['first_ms']:.0f} | {r['median_ms']:.0f} "
              f"| {r['p95_ms']:.0f} | {r['written_s']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
