"""Run one scenario across values of one field or a grid of fields, optionally replicated.

A sweep is a list of independent runs, so it can run serially, on local processes or on any
``concurrent.futures.Executor`` (a Dask cluster's ``client.get_executor()`` included): each
run's scenario and seed are fixed before anything is submitted and results are put back in
order, so the table is the same whichever executor computes it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
import pandas as pd

from ..engine import run
from ..scenario import Scenario
from .intervals import mean_interval

#: Called after each run with (runs done, runs in all).
Progress = Callable[[int, int], None]
SEED_LIMIT = 2**63 - 1  # the largest seed a scenario accepts


def replication_seed(seed: int, replication: int) -> int:
    """The seed of replication ``replication`` of a run whose scenario has ``seed``.

    Replication 0 keeps the scenario's own seed, so one replication is exactly one ordinary
    run. Replication r ≥ 1 takes the first 63 bits of the state of
    ``numpy.random.SeedSequence(seed).spawn(r + 1)[r]`` (spawned children are independent
    streams by construction). It depends only on ``seed`` and ``r``: 16 replications
    start with the same 4 runs as 4 replications.
    """
    if replication == 0:
        return seed
    child = np.random.SeedSequence(seed, spawn_key=(replication,))
    return int(child.generate_state(1, np.uint64)[0]) & SEED_LIMIT


def grid_points(path_or_grid: str | Mapping[str, Iterable[Any]],
                values: Iterable[Any] | None = None) -> list[dict[str, Any]]:
    """The points of a sweep, each a ``{dotted path: value}`` dict, in sweep order.

    A path with ``values`` gives one point per value; a grid ``{path: values, ...}`` gives
    the cartesian product, the first field changing slowest (like nested loops).
    """
    if isinstance(path_or_grid, str):
        if values is None:
            raise TypeError(f"sweep over {path_or_grid!r}: give the values to try, "
                            f"e.g. sweep(scenario, {path_or_grid!r}, [100, 1000])")
        grid = {path_or_grid: list(values)}
    elif isinstance(path_or_grid, Mapping):
        if values is not None:
            raise TypeError("sweep over a grid: the values go in the dict "
                            "({'tiers.0.capacity': [...], ...}), not in `values`")
        if not path_or_grid:
            raise ValueError("sweep grid {}: name at least one field and its values")
        grid = {str(k): list(v) for k, v in path_or_grid.items()}
    else:
        raise TypeError(f"sweep: expected a dotted field path or a dict of path -> values, "
                        f"got {type(path_or_grid).__name__}")
    fields = list(grid)
    return [dict(zip(fields, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _summary(scenario: Scenario) -> dict[str, Any]:
    """One run's summary (module level, so that worker processes can unpickle it)."""
    return run(scenario).summary


def _executor(executor: Executor | int | str | None) -> tuple[Executor | None, bool]:
    """(the executor to use or None for serial, whether this sweep owns and closes it)."""
    if executor is None or executor == "serial":
        return None, False
    if isinstance(executor, Executor):
        return executor, False
    if executor == "processes":
        return ProcessPoolExecutor(max_workers=os.cpu_count() or 1), True
    if isinstance(executor, int) and not isinstance(executor, bool) and executor >= 1:
        return (None, False) if executor == 1 else (ProcessPoolExecutor(executor), True)
    raise ValueError(f"executor = {executor!r}: None (serial), 'processes', a number of "
                     "worker processes >= 1, or a concurrent.futures.Executor (for Dask: "
                     "client.get_executor())")


def _run_all(scenarios: list[Scenario], executor: Executor | int | str | None,
             progress: Progress | None) -> list[dict[str, Any]]:
    """The summaries of ``scenarios``, in their order, computed on ``executor``."""
    pool, owned = _executor(executor)
    total = len(scenarios)
    summaries: list[dict[str, Any] | None] = [None] * total
    try:
        if pool is None:
            for i, scenario in enumerate(scenarios):
                summaries[i] = _summary(scenario)
                if progress is not None:
                    progress(i + 1, total)
        else:
            futures = {pool.submit(_summary, s): i for i, s in enumerate(scenarios)}
            for done, future in enumerate(as_completed(futures), start=1):
                summaries[futures[future]] = future.result()
                if progress is not None:
                    progress(done, total)
    finally:
        if owned:
            pool.shutdown(cancel_futures=True)
    return summaries  # type: ignore[return-value]


def sweep_runs(scenario: Scenario, path_or_grid: str | Mapping[str, Iterable[Any]],
               values: Iterable[Any] | None = None, *, replications: int = 1,
               executor: Executor | int | str | None = None,
               progress: Progress | None = None, **fixed: Any) -> pd.DataFrame:
    """One row per run: the swept fields, ``replication``, ``run_seed``, then its summary.

    Arguments as for :func:`sweep`. Rows are ordered by point, then replication. Every
    point is built (and validated) before the first run, so a bad path or value raises its
    one-line :class:`~simcache.ScenarioError` at once.
    """
    if isinstance(replications, bool) or not isinstance(replications, int | np.integer) \
            or replications < 1:
        raise ValueError(f"replications = {replications!r}: a whole number >= 1")
    base = scenario.with_values({k.replace("__", "."): v for k, v in fixed.items()})
    points = grid_points(path_or_grid, values)
    scenarios, keys = [], []
    for point in points:
        at = base.with_values(point)
        for r in range(int(replications)):
            seed = replication_seed(at.seed, r)
            scenarios.append(at if r == 0 else at.with_values({"seed": seed}))
            keys.append({**point, "replication": r, "run_seed": seed})
    summaries = _run_all(scenarios, executor, progress)
    return pd.DataFrame([{**key, **summary} for key, summary in zip(keys, summaries,
                                                                     strict=True)])


def confidence_intervals(runs: pd.DataFrame, by: str | list[str],
                         confidence: float = 0.95) -> pd.DataFrame:
    """Per group of ``runs`` (a :func:`sweep_runs` table): each figure's mean and interval.

    Columns: ``by``, ``replications``, then for each numeric summary key ``k``: ``k`` (the
    mean over replications), ``k_ci_low`` and ``k_ci_high`` (a Student-t interval at
    ``confidence``; NaN with a single replication). Groups keep their order in ``runs``.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence = {confidence!r}: a fraction between 0 and 1, e.g. 0.95")
    by = [by] if isinstance(by, str) else list(by)
    skip = {*by, "replication", "run_seed"}
    metrics = [c for c in runs.columns if c not in skip]
    rows = []
    for key, group in runs.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row["replications"] = len(group)
        for metric in metrics:
            column = group[metric]
            if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
                row[metric] = column.iloc[0]
                continue
            mean, low, high = mean_interval(column.to_numpy(dtype=float), confidence)
            row[metric], row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = mean, low, high
        rows.append(row)
    return pd.DataFrame(rows)


def sweep(scenario: Scenario, path_or_grid: str | Mapping[str, Iterable[Any]],
          values: Iterable[Any] | None = None, *, replications: int = 1,
          executor: Executor | int | str | None = None, progress: Progress | None = None,
          confidence: float = 0.95, **fixed: Any) -> pd.DataFrame:
    """One row per value of the dotted field ``path`` (or per point of a grid): the swept
    value(s), then the run's summary.

    ``sweep(s, "tiers.0.capacity", [100, 1000])`` varies one field;
    ``sweep(s, {"tiers.0.capacity": [100, 1000], "tiers.0.ttl_s": [5, 60]})`` runs the
    cartesian product, the first field changing slowest. ``fixed`` sets other fields for
    every run; write dots as double underscores (``workload__zipf_alpha=0.8``) or pass a
    dict as ``**{"workload.zipf_alpha": 0.8}``.

    With ``replications=1`` (the default) every run uses the scenario's seed, so rows differ
    only by the swept values. With ``replications=R`` each point runs R times, replication
    0 with the scenario's seed and the others with seeds derived from it
    (:func:`replication_seed`; the same R seeds at every point, so points differ by their
    values, not their luck); the table then has a ``replications`` column and, for each
    numeric figure ``k``, the mean ``k`` and a ``confidence`` (95 %) Student-t interval
    ``k_ci_low``, ``k_ci_high``. One row per run: :func:`sweep_runs`.

    ``executor``: None (serial, in this process), ``"processes"`` (one worker process per
    CPU), a number of worker processes, or any ``concurrent.futures.Executor``, such as
    a Dask cluster's ``client.get_executor()``; the table is the same on every one.
    ``progress(done, total)`` is called after each run.
    """
    runs = sweep_runs(scenario, path_or_grid, values, replications=replications,
                      executor=executor, progress=progress, **fixed)
    if replications == 1 or runs.empty:
        return runs.drop(columns=["replication", "run_seed"], errors="ignore")
    fields = [path_or_grid] if isinstance(path_or_grid, str) else [str(k) for k in path_or_grid]
    return confidence_intervals(runs, fields, confidence)
