"""Layering: the simulator core never imports presentation or Redis code (DESIGN.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import simcache

PACKAGE = Path(simcache.__file__).parent
# Presentation and real-Redis modules sit on top of the core and may import anything.
# redis_demos.py (live-Redis demonstrations built on redis_lab) belongs to the Redis layer.
NOT_CORE = {"plots.py", "widgets.py", "notebook.py", "redis_lab.py", "redis_demos.py",
            "doctor.py", "course.py", "bench.py"}
FORBIDDEN = {"plotly", "ipywidgets", "redis", "fakeredis", "IPython"}
# What the core may import besides the standard library and itself.
ALLOWED_THIRD_PARTY = {"simpy", "numpy", "pandas", "tomli_w"}

CORE = sorted(p for p in PACKAGE.rglob("*.py")
              if p.name not in NOT_CORE or p.parent != PACKAGE)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def relative_targets(path: Path) -> set[str]:
    """Dotted names of the simcache modules a file imports (relative or absolute)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(
        ".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "simcache":
                stem = node.module
            else:
                continue
            targets.add(stem)
            targets.update(f"{stem}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            targets.update(a.name for a in node.names if a.name.split(".")[0] == "simcache")
    return targets


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every absolute import in a file, including function-level ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def test_the_core_modules_are_found():
    names = {p.relative_to(PACKAGE).as_posix() for p in CORE}
    assert {"scenario.py", "engine.py", "policies/lru.py", "theory.py"} <= names
    assert not names & NOT_CORE


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_module_imports_only_the_allowed_layers(path):
    names = imported_modules(path)
    assert not names & FORBIDDEN, f"{path.name} imports {sorted(names & FORBIDDEN)}"
    outside = names - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY - {"simcache"}
    assert not outside, f"{path.name} imports {sorted(outside)} (core: stdlib, simpy, numpy, " \
                        f"pandas, tomli_w only)"


NOT_CORE_MODULES = {f"simcache.{name[:-3]}" for name in NOT_CORE}


# The CLI is itself a front end (DESIGN.md: Result -> plots, widgets, CLI): it may load
# `doctor` lazily for its `doctor` subcommand, but its third-party imports are checked above.
SIMULATOR_CORE = [p for p in CORE if p != PACKAGE / "cli.py"]


@pytest.mark.parametrize("path", SIMULATOR_CORE,
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_module_imports_no_presentation_or_redis_module_of_simcache(path):
    bad = relative_targets(path) & NOT_CORE_MODULES
    assert not bad, f"{path.name} imports {sorted(bad)}, which sit above the core"


def test_importing_every_core_module_loads_nothing_forbidden():
    names = [module_name(p) for p in CORE]
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n    importlib.import_module(name)\n"
            f"loaded = [m for m in {sorted(FORBIDDEN)!r} if m in sys.modules]\n"
            f"above = [m for m in {sorted(NOT_CORE_MODULES)!r} if m in sys.modules]\n"
            "assert not loaded and not above, (loaded, above)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_import_scanner_sees_nested_and_from_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os.path\nfrom plotly import graph_objects\n"
                      "def f():\n    import redis.client\n    from . import sibling\n",
                      encoding="utf-8")
    assert imported_modules(sample) == {"os", "plotly", "redis"}
    assert relative_targets(PACKAGE / "engine.py") >= {"simcache.metrics", "simcache.policies"}
    assert "simcache.redis_lab" in relative_targets(PACKAGE / "redis_demos.py")


def test_importing_simcache_loads_no_presentation_or_redis_module():
    code = ("import simcache, sys; "
            f"loaded = [m for m in {sorted(FORBIDDEN)!r} if m in sys.modules]; "
            "assert not loaded, loaded")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_running_a_scenario_loads_no_presentation_or_redis_module():
    code = ("import sys, simcache as sc; "
            "sc.run(sc.Scenario.from_dict({'workload': {'requests': 2000, "
            "'warmup_requests': 100}})); sc.replay([1, 2, 1], 'lru', 1); "
            f"loaded = [m for m in {sorted(FORBIDDEN)!r} if m in sys.modules]; "
            "assert not loaded, loaded")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
