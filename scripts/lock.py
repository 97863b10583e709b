"""Write ``constraints.txt``: the exact versions of everything ``.[test]`` installs here.

Run it after the suite has passed (``python scripts/lock.py``); the README's commands
install with ``-c constraints.txt``, so a newcomer gets the versions the tests ran with.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "fibro-dashboard"
EXTRAS = ("test",)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(project: str, extras: tuple[str, ...]) -> dict[str, str]:
    """Installed name -> version of every distribution ``project[extras]`` needs."""
    found: dict[str, str] = {}
    todo = [(project, set(extras))]
    while todo:
        name, wanted_extras = todo.pop()
        dist = metadata.distribution(name)
        key = canonical(dist.metadata["Name"])
        if key in found and not wanted_extras:
            continue
        found[key] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            env = default_environment()
            if req.marker is not None and not any(
                    req.marker.evaluate({**env, "extra": extra}) for extra in wanted_extras | {""}):
                continue
            if canonical(req.name) not in found:
                todo.append((req.name, set(req.extras)))
    found.pop(canonical(project))
    return dict(sorted(found.items()))


def main() -> int:
    pins = closure(PROJECT, EXTRAS)
    lines = ["# Exact versions the test suite passed with (python scripts/lock.py writes this).",
             f"# Python {sys.version_info.major}.{sys.version_info.minor}; used as pip -c constraints.txt",
             *(f"{name}=={version}" for name, version in pins.items())]
    (ROOT / "constraints.txt").write_text("\n".join(lines) + "\n")
    print(f"constraints.txt: {len(pins)} packages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
