"""The versions the suite runs with are recorded and used: constraints.txt pins every
package ``.[test]`` installs, the README's commands install with it, and
environment.yml names the same packages as pyproject.toml at the pinned versions."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from lock import PROJECT, canonical, closure  # noqa: E402


def pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return {canonical(n): v for n, v in (l.split("==") for l in lines if "==" in l)}


def direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def test_every_requirement_is_pinned_within_its_range():
    pinned = pins()
    for req in direct_requirements():
        version = pinned.get(canonical(req.name))
        assert version is not None, f"{req.name} is not in constraints.txt"
        assert req.specifier.contains(version), f"{req.name}=={version} is outside {req.specifier}"


def test_the_lock_covers_what_is_installed_and_matches_it():
    """Every package the project needs here is pinned, at the version installed now (the
    suite runs with what the lock says, or this fails)."""
    pinned = pins()
    needed = closure(PROJECT, ("test",))
    assert set(needed) <= set(pinned), f"not pinned: {sorted(set(needed) - set(pinned))}"
    differ = {n: (v, pinned[n]) for n, v in needed.items() if pinned[n] != v}
    assert differ == {}, f"installed vs constraints.txt: {differ}"


def test_readme_and_test_script_install_with_the_constraints():
    readme = (ROOT / "README.md").read_text()
    first_commands = re.findall(r"```bash\n(.*?)```", readme, re.S)[:2]
    assert "-c constraints.txt" in first_commands[0]
    assert "bash scripts/test.sh" in first_commands[1]
    assert "-c constraints.txt" in (ROOT / "scripts" / "test.sh").read_text()


def test_environment_yml_agrees_with_pyproject_and_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for entry in env["dependencies"]:
        if isinstance(entry, str) and entry != "pip" and not entry.startswith("python="):
            name, version = entry.split("==")
            conda[canonical(name)] = version
    pinned = pins()
    assert conda == {canonical(r.name): pinned[canonical(r.name)] for r in direct_requirements()}
    python = next(e for e in env["dependencies"] if isinstance(e, str) and e.startswith("python="))
    assert python == f"python={sys.version_info.major}.{sys.version_info.minor}"
    assert metadata.version("panel") == conda["panel"]
