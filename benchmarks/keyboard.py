"""Keys pressed to log a day, a massage and a dose with the keyboard alone, as a table.

``python benchmarks/keyboard.py`` runs the Log page's keyboard test in headless Chromium
(``tests/ui/test_log_ui.py::test_each_form_can_be_filled_with_the_keyboard_alone``: it
presses the keys a person would, counts each one and saves the forms), then prints its
counts from ``test-artifacts/keyboard_timings.json`` as a Markdown table for
benchmarks/README.md.  ``--report-only`` prints the table of the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "test-artifacts" / "keyboard_timings.json"
TEST = "tests/ui/test_log_ui.py::test_each_form_can_be_filled_with_the_keyboard_alone"
WHAT = {"daily": "a full day (8 ratings, hours asleep, a note)",
        "sessions": "a massage (yesterday 10:00, deep, 2 areas, technique, therapist, pain before/after)",
        "doses": "a dose (Ibuprofen 400 mg now, a reason)"}
COLUMNS = ("Tab", "other keys", "typed characters", "keystrokes", "free-text characters",
           "keystrokes besides free text", "seconds")


def run_test() -> None:
    env = {**os.environ, "FIBRO_SKIP_POSTGRES": os.environ.get("FIBRO_SKIP_POSTGRES", "1")}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST],
                   cwd=ROOT, env=env, check=True)


def table(results: dict) -> str:
    lines = ["| entry | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for kind, counts in results.items():
        lines.append(f"| {WHAT.get(kind, kind)} | "
                     + " | ".join(str(counts.get(column, "")) for column in COLUMNS) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="print the last run's table")
    args = parser.parse_args(argv)
    if not args.report_only:
        run_test()
    print(table(json.loads(RESULTS.read_text())))


if __name__ == "__main__":
    main()
