"""Course notebooks: committed clean, opened the same way, with exercises that really check.

The conventions (DESIGN.md, "Notebook conventions"):

- a notebook is saved without outputs, execution counts or widget state, and names the
  ``python3`` kernel so JupyterLab never asks which one to use;
- its first cell is markdown saying what you will learn, the prerequisites and the time;
- an exercise is a code cell tagged ``exercise``; each answer is a line
  ``name = None  # your answer`` and the cell ends with a ``check(...)`` expression. It may
  use names defined by the notebook's first code cell and by cells tagged
  ``exercise-setup``, nothing else;
- every exercise has a solution value and a wrong value in
  ``notebooks/solutions/answers.py``: the check must accept the first and reject the second
  (and reject each of the optional ``also_wrong`` values).

nbval runs the notebooks themselves (``make test``); this file checks what nbval cannot.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import nbformat
import pytest

from simcache import redis_lab
from simcache.course import Check

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
ANSWERS = NOTEBOOK_DIR / "solutions" / "answers.py"

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
NAME = re.compile(r"^\d\d-[a-z0-9]+(-[a-z0-9]+)*\.ipynb$")
ANSWER_LINE = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=\s*None\s*#\s*your answer\b.*$",
                         re.MULTILINE)
MAX_BYTES = 150_000  # committed without outputs, a notebook is text: keep it small

ALL_NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
COURSE = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def _read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _exercises(path: Path) -> list[Any]:
    return [c for c in _read(path).cells if c.cell_type == "code" and "exercise" in _tags(c)]


def _solutions() -> dict[tuple[str, str], dict[str, dict[str, object]]]:
    spec = importlib.util.spec_from_file_location("course_answers", ANSWERS)
    assert spec is not None and spec.loader is not None, f"cannot load {_rel(ANSWERS)}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SOLUTIONS


EXERCISES = [(p.stem, c.id) for p in COURSE for c in _exercises(p)]


def test_the_course_is_there():
    names = [p.name for p in COURSE]
    for first in ("00-start-here.ipynb", "01-measure-why-caching-pays.ipynb"):
        assert first in names, f"notebooks/{first} is missing"
    assert EXERCISES, "no exercise cells found (code cells tagged 'exercise')"


# -- how a notebook is committed ----------------------------------------------------------
@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_rel)
def test_committed_clean(path: Path):
    """No outputs, execution counts, run timings or widget state: `make strip` removes them."""
    nb = _read(path)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, f"{_rel(path)}: saved widget state; run `make strip`"
    for i, cell in enumerate(nb.cells):
        where = f"{_rel(path)} cell {i} ({cell.get('id', '?')})"
        assert "execution" not in cell.metadata, f"{where}: run timings saved; `make strip`"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{where}: has outputs; run `make strip`"
            assert cell.execution_count is None, f"{where}: has an execution count"
    assert path.stat().st_size < MAX_BYTES, f"{_rel(path)}: {path.stat().st_size:,} bytes"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_rel)
def test_names_its_kernel(path: Path):
    """JupyterLab opens it without asking for a kernel."""
    meta = _read(path).metadata
    assert dict(meta.get("kernelspec", {})) == KERNELSPEC, _rel(path)
    assert meta.get("language_info", {}).get("name") == "python", _rel(path)


@pytest.mark.parametrize("path", COURSE, ids=_rel)
def test_named_and_opened_like_the_others(path: Path):
    assert NAME.match(path.name), f"{path.name}: name it NN-verb-phrase.ipynb"
    cells = _read(path).cells
    assert cells and cells[0].cell_type == "markdown", f"{path.name}: open with markdown"
    first = cells[0].source.lower()
    for word in ("learn", "prerequisite", "time"):
        assert word in first, f"{path.name}: the first cell should say {word!r}"


@pytest.mark.parametrize("path", COURSE, ids=_rel)
def test_has_self_checking_exercises(path: Path):
    exercises = _exercises(path)
    assert exercises, f"{path.name}: no code cell tagged 'exercise'"
    for cell in exercises:
        assert ANSWER_LINE.search(cell.source), (
            f"{path.name} {cell.id}: an exercise needs a line `answer = None  # your answer`")
        assert "check(" in cell.source, f"{path.name} {cell.id}: no check(...) call"


def test_every_exercise_has_a_solution_and_no_solution_is_orphaned():
    solutions = _solutions()
    missing = sorted(set(EXERCISES) - set(solutions))
    orphans = sorted(set(solutions) - set(EXERCISES))
    assert not missing, f"add these to {_rel(ANSWERS)}: {missing}"
    assert not orphans, f"{_rel(ANSWERS)} names exercise cells that do not exist: {orphans}"


# -- exercises check what they claim ------------------------------------------------------
#: The environment a notebook's set-up cells see here: fakeredis, whatever Redis the
#: developer has exported (the real-Redis runs are nbval's and test_foreign_keys').
PRELUDE_ENV = {"SIMCACHE_REDIS_URL": "fakeredis://"}
_PRELUDE_LABS: list[redis_lab.Lab] = []


@cache
def _prelude(stem: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Names the notebook's exercises may use, and each exercise cell's source by id."""
    nb = _read(NOTEBOOK_DIR / f"{stem}.ipynb")
    code = [c for c in nb.cells if c.cell_type == "code"]
    namespace: dict[str, Any] = {"__name__": f"notebook_{stem.replace('-', '_')}"}
    with mock.patch.dict(os.environ, PRELUDE_ENV):
        os.environ.pop("REDIS_URL", None)  # patch.dict puts it back afterwards
        for cell in code:
            if cell is code[0] or "exercise-setup" in _tags(cell):
                exec(compile(cell.source, f"{stem}:{cell.id}", "exec"), namespace)
    _PRELUDE_LABS.extend(v for v in namespace.values() if isinstance(v, redis_lab.Lab))
    return namespace, {c.id: c.source for c in code if "exercise" in _tags(c)}


@pytest.fixture(scope="module", autouse=True)
def _close_prelude_labs() -> Iterator[None]:
    """Close the labs the notebooks' set-up cells opened, once this module is done."""
    yield
    for lab in _PRELUDE_LABS:
        lab.close()
    _PRELUDE_LABS.clear()
    _prelude.cache_clear()


def _run_exercise(stem: str, cell_id: str, values: dict[str, object] | None) -> Check:
    base, sources = _prelude(stem)
    source = sources[cell_id]
    names = {m["name"] for m in ANSWER_LINE.finditer(source)}
    if values is not None:
        assert set(values) == names, f"{stem} {cell_id}: answers.py gives {sorted(values)}, " \
                                     f"the cell asks for {sorted(names)}"
        source = ANSWER_LINE.sub(lambda m: f"{m['name']} = {values[m['name']]!r}", source)
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    assert last is not None, f"{stem} {cell_id}: the cell must end with check(...)"
    namespace = dict(base)
    exec(compile(tree, f"{stem}:{cell_id}", "exec"), namespace)
    verdict = eval(compile(ast.Expression(last.value), f"{stem}:{cell_id}", "eval"), namespace)
    assert isinstance(verdict, Check), f"{stem} {cell_id}: ends with {type(verdict).__name__}"
    return verdict


@pytest.mark.parametrize(("stem", "cell_id"), EXERCISES, ids=lambda v: str(v))
def test_exercise_asks_to_be_filled_in_as_committed(stem: str, cell_id: str):
    verdict = _run_exercise(stem, cell_id, None)
    assert verdict.status == "missing" and not verdict, verdict.message


@pytest.mark.parametrize(("stem", "cell_id"), EXERCISES, ids=lambda v: str(v))
def test_exercise_accepts_the_solution(stem: str, cell_id: str):
    entry = _solutions().get((stem, cell_id))
    assert entry is not None, f"no solution for {stem} {cell_id} in {_rel(ANSWERS)}"
    verdict = _run_exercise(stem, cell_id, entry["solution"])
    assert verdict, f"{stem} {cell_id}: the solution {entry['solution']} fails: {verdict}"
    assert verdict.message.startswith("✅"), verdict.message


@pytest.mark.parametrize(("stem", "cell_id"), EXERCISES, ids=lambda v: str(v))
def test_exercise_rejects_a_wrong_answer_with_a_hint(stem: str, cell_id: str):
    entry = _solutions().get((stem, cell_id))
    assert entry is not None, f"no solution for {stem} {cell_id} in {_rel(ANSWERS)}"
    for wrong in [entry["wrong"], *entry.get("also_wrong", [])]:
        verdict = _run_exercise(stem, cell_id, wrong)
        assert not verdict, f"{stem} {cell_id}: the wrong answer {wrong} passes"
        assert verdict.status in ("high", "low", "wrong", "invalid"), verdict.status
        assert len(verdict.message) > 40, f"{stem} {cell_id}: say more than {verdict.message!r}"


# -- links a learner can click ------------------------------------------------------------------
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_rel)
def test_links_to_files_lead_somewhere(path: Path):
    """A link to a notebook or file that is not there yet opens an error dialog in
    JupyterLab: name a coming notebook in plain text instead."""
    for cell in _read(path).cells:
        if cell.cell_type != "markdown":
            continue
        for target in LINK.findall(cell.source):
            if "://" in target or target.startswith(("#", "mailto:")):
                continue
            file = (path.parent / target.split("#", 1)[0]).resolve()
            assert file.exists(), f"{_rel(path)} {cell.get('id', '?')}: broken link {target}"
