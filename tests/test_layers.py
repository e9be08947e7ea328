"""Layering by folder: data flows one way, and the core never imports what sits above it.

The folders read like the data flow (DESIGN.md): ``scenario`` describes a run; ``model``
holds what is simulated (workload, stores and policies, database); ``strategies``,
``protections`` and ``faults`` plug into it; ``engine`` runs it; ``metrics`` and
``analysis`` read the results. Above the core: ``course`` (notebook helpers, plots,
widgets), ``redis_lab`` (the real-Redis lab), ``cli`` and ``bench``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import simcache

PACKAGE = Path(simcache.__file__).parent
FOUNDATION = {"errors", "fields", "registry", "rng"}
# What each core folder may import from simcache (besides itself and the foundation).
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "strategies": {"model"},
    "protections": {"model"},
    "faults": {"model"},
    "scenario": {"model", "strategies", "protections", "faults"},
    "metrics": {"model", "scenario"},
    "engine": {"model", "strategies", "protections", "faults", "scenario", "metrics"},
    "analysis": {"model", "strategies", "protections", "faults", "scenario", "metrics",
                 "engine"},
}
CORE_FOLDERS = set(ALLOWED)
ABOVE = {"course", "redis_lab", "redis_demos", "http_lab", "private", "cli", "bench", "__main__"}
FORBIDDEN = {"plotly", "ipywidgets", "redis", "fakeredis", "IPython"}
# What the core may import besides the standard library and itself.
ALLOWED_THIRD_PARTY = {"simpy", "numpy", "pandas", "tomli_w", "pydantic", "pydantic_core",
                       "annotated_types", "probables"}


def part_of(path: Path) -> str:
    """The layer a file belongs to: its top folder, or its module name at the top level."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


CORE = sorted(p for p in PACKAGE.rglob("*.py")
              if part_of(p) in CORE_FOLDERS | FOUNDATION)


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return [n for n in ast.walk(tree) if id(n) not in skip]


def simcache_targets(path: Path) -> set[str]:
    """Dotted names of the simcache modules a file imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(
        ".")[0]
    targets: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "simcache":
                stem = node.module
            else:
                continue
            if node.module:
                targets.add(stem)
            else:  # from . import x: the target is x
                targets.update(f"{stem}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            targets.update(a.name for a in node.names if a.name.split(".")[0] == "simcache")
    return targets


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every absolute import in a file, including function-level ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def layer_of(target: str) -> str:
    """``simcache.model.policies.lru`` -> ``model``; ``simcache`` -> ``simcache``."""
    parts = target.split(".")
    return parts[1] if len(parts) > 1 else "simcache"


def test_every_file_belongs_to_a_known_layer():
    unknown = sorted({part_of(p) for p in PACKAGE.rglob("*.py")}
                     - CORE_FOLDERS - FOUNDATION - ABOVE - {"__init__"})
    assert not unknown, f"add these to a layer in this test: {unknown}"
    names = {p.relative_to(PACKAGE).as_posix() for p in CORE}
    assert {"scenario/schema.py", "engine/simulation.py", "model/policies/lru.py",
            "analysis/theory.py"} <= names


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_module_imports_only_the_standard_library_and_the_core_dependencies(path):
    names = imported_modules(path)
    assert not names & FORBIDDEN, f"{path.name} imports {sorted(names & FORBIDDEN)}"
    outside = names - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY - {"simcache"}
    assert not outside, f"{path.name} imports {sorted(outside)} (core: stdlib, " \
                        f"{', '.join(sorted(ALLOWED_THIRD_PARTY))} only)"


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_module_imports_only_the_layers_below_it(path):
    own = part_of(path)
    allowed = FOUNDATION | {own} | ALLOWED.get(own, set())
    if own in FOUNDATION:
        allowed = set(FOUNDATION)
    bad = sorted(t for t in simcache_targets(path) if layer_of(t) not in allowed)
    assert not bad, f"{path.relative_to(PACKAGE)} ({own}) imports {bad}; allowed: " \
                    f"{sorted(allowed)}"


def test_strategies_and_protections_never_import_the_engine():
    for folder in ("strategies", "protections", "faults", "model"):
        assert "engine" not in ALLOWED[folder]
        assert "metrics" not in ALLOWED[folder]


def test_importing_every_core_module_loads_nothing_forbidden():
    names = [module_name(p) for p in CORE]
    above = [f"simcache.{name}" for name in ABOVE]
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n    importlib.import_module(name)\n"
            f"loaded = [m for m in {sorted(FORBIDDEN)!r} if m in sys.modules]\n"
            f"above = [m for m in {sorted(above)!r} if m in sys.modules]\n"
            "assert not loaded and not above, (loaded, above)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_import_scanner_sees_nested_and_from_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os.path\nfrom plotly import graph_objects\n"
                      "from typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    import pandas\n"
                      "def f():\n    import redis.client\n    from . import sibling\n",
                      encoding="utf-8")
    assert imported_modules(sample) == {"os", "plotly", "redis", "typing"}
    assert simcache_targets(PACKAGE / "engine" / "simulation.py") >= {
        "simcache.metrics", "simcache.model.database", "simcache.strategies"}
    assert layer_of("simcache.model.policies.lru") == "model"


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
