"""The set-up files agree with each other: pyproject, environment.yml, Makefile, README."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# conda-forge spells a few PyPI names differently.
CONDA_NAME = {"redis": "redis-py"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith("simcache")]
    return {_name(r) for r in reqs}


def _environment_names() -> set[str]:
    names = set()
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"\s*-\s+([A-Za-z0-9_.\-]+)", line)
        if m and m.group(1) not in ("pip", "python", "-e"):
            names.add(m.group(1).lower())
    return names


def test_environment_yml_mirrors_pyproject():
    env = _environment_names()
    missing = {CONDA_NAME.get(n, n) for n in _pyproject_requirements()} - env
    assert not missing, f"environment.yml lacks {sorted(missing)} that pyproject.toml declares"


def test_lua_for_fakeredis_locks_in_both():
    text = (ROOT / "pyproject.toml").read_text()
    assert "fakeredis[lua]" in text
    assert "lupa" in _environment_names()


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```", 2)[1]
    assert "make lab" in first_block and "make test" in first_block


def test_make_lab_allows_root_and_opens_start_here():
    makefile = (ROOT / "Makefile").read_text()
    assert "--allow-root" in makefile
    assert "notebooks/00-start-here.ipynb" in makefile


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
