"""Sweeps: grids, replications with confidence intervals, and the same table on every executor.

Nothing here checks a timing.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import simcache as sc
from simcache import bench
from simcache.analysis.intervals import (
    betainc,
    mean_interval,
    paired_interval,
    t_cdf,
    t_quantile,
)
from simcache.analysis.sweep import (
    confidence_intervals,
    grid_points,
    replication_seed,
    sweep_runs,
)
from simcache.cli.main import main as cli

#: A run of a few thousand requests: tens of milliseconds, and a hit ratio that moves with
#: the seed by about a percentage point.
SMALL = sc.Scenario.from_dict({
    "seed": 5,
    "workload": {"keys": 500, "zipf_alpha": 0.9, "rate_rps": 1_000, "requests": 2_000,
                 "warmup_requests": 200},
    "tiers": [{"name": "local", "capacity": 50, "eviction": "lru", "latency_ms": 0.1}],
    "database": {"latency_ms": 5, "concurrency": 4},
    "metrics": {"interval_s": None},
})
GRID = {"tiers.0.capacity": [20, 80], "tiers.0.ttl_s": [None, 2]}


# -- the t quantile -----------------------------------------------------------------------
@pytest.mark.parametrize(("df", "expected"), [
    # Two-sided 95 % factors from published t tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)
    (1, 12.706204736), (2, 4.302652730), (3, 3.182446305), (4, 2.776445105),
    (9, 2.262157163), (19, 2.093024054), (29, 2.045229642), (60, 2.000297822),
    (120, 1.979930405),
])
def test_t_quantile_matches_the_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, rel=1e-8)


def test_t_quantile_matches_the_closed_forms_and_the_normal_limit():
    """df = 1 is Cauchy, df = 2 has a closed form, and a huge df is the normal 1.95996…."""
    for p in (0.6, 0.75, 0.9, 0.99, 0.999):
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-9)
        two = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
        assert t_quantile(p, 2) == pytest.approx(two, rel=1e-9)
        assert t_quantile(1 - p, 7) == pytest.approx(-t_quantile(p, 7), rel=1e-12)
    z, df = 1.959963984540054, 1e5  # Cornish-Fisher: z + (z³ + z)/4ν + (5z⁵ + 16z³ + 3z)/96ν²
    expansion = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    assert t_quantile(0.975, df) == pytest.approx(expansion, rel=1e-11)
    assert t_quantile(0.5, 3) == 0.0
    for df in (1, 3, 10):  # the CDF and the quantile invert each other
        assert t_cdf(t_quantile(0.9, df), df) == pytest.approx(0.9, abs=1e-12)
    assert betainc(2, 3, 0.4) == pytest.approx(0.5248, abs=1e-12)  # 1 - sum of binomials


@pytest.mark.parametrize("bad", [(0.0, 3), (1.0, 3), (0.9, 0)])
def test_t_quantile_refuses_what_has_no_answer(bad):
    with pytest.raises(ValueError):
        t_quantile(*bad)


def test_mean_interval_of_known_values():
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 4.0])
    half = 3.182446305 * math.sqrt(5 / 3) / 2  # t(3) · sd / √n, sd² = 5/3
    assert (mean, low, high) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    assert math.isnan(mean_interval([3.0])[1]) and mean_interval([3.0])[0] == 3.0
    assert mean_interval([2.0, float("nan"), 2.0]) == (2.0, 2.0, 2.0)


def test_a_paired_interval_sees_a_difference_that_two_intervals_hide():
    """Two designs' runs share each replication's luck: apart, their intervals overlap;
    paired by replication, the difference (always +0.1 here) is shown at once."""
    luck = [0.80, 0.95, 0.70, 0.90, 0.85]
    a, b = [x + 0.1 for x in luck], luck
    _, a_low, a_high = mean_interval(a)
    _, b_low, b_high = mean_interval(b)
    assert a_low < b_high  # the separate intervals overlap
    mean, low, high = paired_interval(a, b)
    assert (mean, low, high) == pytest.approx((0.1, 0.1, 0.1))
    with pytest.raises(ValueError):
        paired_interval([1.0, 2.0], [1.0])


# -- grids and backward compatibility -----------------------------------------------------
def test_one_replication_is_the_old_table():
    """sweep(s, path, values) gives a row per value: the value, then that run's summary."""
    values = [20, 80]
    frame = sc.sweep(SMALL, "tiers.0.capacity", iter(values), workload__zipf_alpha=0.8)
    expected = pd.DataFrame([
        {"tiers.0.capacity": v, **sc.run(SMALL.with_values(
            {"workload.zipf_alpha": 0.8, "tiers.0.capacity": v})).summary}
        for v in values])
    pd.testing.assert_frame_equal(frame, expected)
    assert "replications" not in frame and "hit_ratio_ci_low" not in frame


def test_a_grid_is_the_cartesian_product_first_field_slowest():
    frame = sc.sweep(SMALL, GRID)
    assert list(frame.columns[:2]) == list(GRID)
    pairs = list(zip(frame["tiers.0.capacity"], frame["tiers.0.ttl_s"], strict=True))
    assert [(c, None if pd.isna(t) else t) for c, t in pairs] == [
        (20, None), (20, 2), (80, None), (80, 2)]
    assert grid_points({"a.b": [1, 2, 3], "c.d": ["x", "y"]})[:3] == [
        {"a.b": 1, "c.d": "x"}, {"a.b": 1, "c.d": "y"}, {"a.b": 2, "c.d": "x"}]
    # Each row is the run at that point.
    at = SMALL.with_values({"tiers.0.capacity": 80, "tiers.0.ttl_s": 2})
    assert frame.iloc[3]["hit_ratio"] == sc.run(at).summary["hit_ratio"]


@pytest.mark.parametrize(("args", "kwargs", "field"), [
    (("tiers.0.capacity", [10, -1]), {}, "tiers.0.capacity"),
    (("tiers.0.nope", [1]), {}, "tiers.0.nope"),
    (({"tiers.0.capacity": [10], "tiers.0.eviction": ["lru", "nope"]},), {"replications": 3},
     "tiers.0.eviction"),
])
def test_bad_paths_and_values_raise_the_scenario_error_before_any_run(args, kwargs, field):
    calls = []
    with pytest.raises(sc.ScenarioError) as err:
        sc.sweep(SMALL, *args, progress=lambda done, total: calls.append(done), **kwargs)
    assert err.value.field == field and "\n" not in str(err.value)
    assert calls == []  # validated up front: nothing ran


@pytest.mark.parametrize(("args", "kwargs", "error"), [
    (("tiers.0.capacity",), {}, TypeError),                 # no values
    ((GRID, [1, 2]), {}, TypeError),                        # a grid and values
    (({},), {}, ValueError),                                # an empty grid
    (("tiers.0.capacity", [10]), {"replications": 0}, ValueError),
    (("tiers.0.capacity", [10]), {"replications": 2.5}, ValueError),
    (("tiers.0.capacity", [10]), {"executor": "gpu"}, ValueError),
    (("tiers.0.capacity", [10]), {"executor": 0}, ValueError),
])
def test_bad_sweep_arguments_say_what_is_accepted(args, kwargs, error):
    with pytest.raises(error):
        sc.sweep(SMALL, *args, **kwargs)


# -- replications -------------------------------------------------------------------------
def test_replication_seeds_are_spawned_from_the_scenario_seed():
    children = np.random.SeedSequence(5).spawn(4)
    assert replication_seed(5, 0) == 5
    for r in (1, 2, 3):
        state = int(children[r].generate_state(1, np.uint64)[0]) & (2**63 - 1)
        assert replication_seed(5, r) == state
    seeds = {replication_seed(5, r) for r in range(50)}
    assert len(seeds) == 50 and all(0 <= s < 2**63 for s in seeds)


def test_replicated_sweep_reports_the_mean_and_interval_of_its_runs():
    runs = sweep_runs(SMALL, "tiers.0.capacity", [20, 80], replications=4)
    assert list(runs["replication"]) == [0, 1, 2, 3] * 2
    assert runs["run_seed"].iloc[0] == SMALL.seed  # replication 0 is the ordinary run
    assert runs.iloc[0]["hit_ratio"] == sc.run(SMALL.with_values(
        {"tiers.0.capacity": 20})).summary["hit_ratio"]
    assert runs["hit_ratio"].iloc[:4].nunique() == 4  # the seeds really differ
    frame = sc.sweep(SMALL, "tiers.0.capacity", [20, 80], replications=4)
    assert list(frame["replications"]) == [4, 4]
    for i, capacity in enumerate([20, 80]):
        values = runs.loc[runs["tiers.0.capacity"] == capacity, "hit_ratio"]
        mean, low, high = mean_interval(values.to_list())
        row = frame.iloc[i]
        assert (row["hit_ratio"], row["hit_ratio_ci_low"], row["hit_ratio_ci_high"]) == \
            pytest.approx((mean, low, high))
        assert low < mean < high
    pd.testing.assert_frame_equal(frame, confidence_intervals(runs, "tiers.0.capacity"))


def test_intervals_shrink_like_one_over_root_r():
    """Quadrupling the replications halves the standard error, sd/√R.

    The half-width is t(R-1)·sd/√R: its t factor changes with R too (3.18 at R = 4, 2.13 at
    16), so the check divides it out and compares standard errors. A sample sd from four
    runs is itself noisy (±40 %), so the sd is pooled over eight points of one grid (24
    degrees of freedom at R = 4, about ±15 %); the tolerance is about three times that.
    Replications 0-3 are the first four of the sixteen, so the two tables share runs.
    """
    grid = {"tiers.0.capacity": [20, 40, 80, 160], "workload.zipf_alpha": [0.8, 1.0]}
    runs = sweep_runs(SMALL, grid, replications=16)

    def pooled_standard_error(r: int) -> float:
        table = confidence_intervals(runs[runs["replication"] < r], list(grid))
        half = (table["hit_ratio_ci_high"] - table["hit_ratio_ci_low"]) / 2
        se = half / t_quantile(0.975, r - 1)
        return float(np.sqrt((se ** 2).mean()))

    ratio = pooled_standard_error(4) / pooled_standard_error(16)
    assert 2 / 1.45 < ratio < 2 * 1.45, ratio


# -- executors ----------------------------------------------------------------------------
def test_the_same_table_on_every_local_executor():
    serial = sc.sweep(SMALL, GRID, replications=3)
    progress: list[tuple[int, int]] = []
    on_processes = sc.sweep(SMALL, GRID, replications=3, executor=2,
                            progress=lambda d, t: progress.append((d, t)))
    pd.testing.assert_frame_equal(serial, on_processes)
    assert progress == [(i, 12) for i in range(1, 13)]
    with ThreadPoolExecutor(3) as pool:  # any concurrent.futures.Executor, left open
        pd.testing.assert_frame_equal(serial, sc.sweep(SMALL, GRID, replications=3,
                                                       executor=pool))
        assert pool.submit(int, "7").result() == 7
    pd.testing.assert_frame_equal(serial, sc.sweep(SMALL, GRID, replications=3, executor=1))


def test_the_same_table_on_a_local_dask_cluster():
    """Two worker processes of a real Dask cluster, through ``client.get_executor()``."""
    distributed = pytest.importorskip("distributed")
    serial = sc.sweep(SMALL, GRID, replications=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = sc.sweep(SMALL, GRID, replications=3, executor=client.get_executor())
    pd.testing.assert_frame_equal(serial, on_dask)


# -- the command line ---------------------------------------------------------------------
SMALL_CLI = ["--set", "workload.requests=1500", "--set", "workload.warmup_requests=100",
             "--set", "metrics.interval_s=none"]


def test_cli_sweep_with_replications_and_workers_prints_intervals(capsys):
    assert cli(["sweep", *SMALL_CLI, "--vary", "tiers.0.capacity=50,500",
                "--vary", "tiers.0.eviction=lru,fifo", "--replications", "3",
                "--workers", "2", "--columns", "hit_ratio"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "3 replications per point" in out[1]
    rows = out[3:]
    assert len(rows) == 4 and all("±" in row for row in rows)


def test_cli_sweep_json_has_the_interval_bounds(capsys):
    import json

    assert cli(["sweep", *SMALL_CLI, "--vary", "tiers.0.capacity=50", "--replications", "3",
                "--columns", "hit_ratio", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert set(row) == {"tiers.0.capacity", "replications", "hit_ratio", "hit_ratio_ci_low",
                        "hit_ratio_ci_high"}
    assert row["hit_ratio_ci_low"] < row["hit_ratio"] < row["hit_ratio_ci_high"]


@pytest.mark.parametrize(("args", "message"), [
    (["--replications", "0"], "--replications"),
    (["--workers", "two"], "--workers"),
    (["--workers", "2", "--scheduler", "tcp://x:1"], "one or the other"),
])
def test_cli_sweep_bad_options_are_one_line(capsys, args, message):
    assert cli(["sweep", *SMALL_CLI, "--vary", "tiers.0.capacity=50", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_scheduler_without_dask_is_one_line(capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    assert cli(["sweep", *SMALL_CLI, "--vary", "tiers.0.capacity=50",
                "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    err = capsys.readouterr().err
    assert "simcache[scale]" in err and err.count("\n") == 1


# -- the benchmark section ----------------------------------------------------------------
def test_sweep_bench_section_runs_and_renders():
    sizes = bench.Sizes(sweep_requests=300)
    data = bench.bench_sweep(sizes, repeat=1)
    assert data["points"] == 40 and data["runs"] == 120 and data["same_table"]
    text = bench.render_sweep(data)
    assert "40 points x 3 replications" in text and "2 worker processes" in text
    assert data["spare_cores_ratio"] > 0 and "control: pure-Python" in text


# -- the course layer: bands and the progress bar -----------------------------------------
def test_bands_draw_one_band_and_line_per_design():
    from simcache.course import plots

    frame = sc.sweep(SMALL, {"tiers.0.eviction": ["lru", "fifo"],
                             "tiers.0.capacity": [20, 80]}, replications=3)
    fig = plots.bands(frame, "tiers.0.capacity", "hit_ratio", by="tiers.0.eviction")
    fills = [t for t in fig.data if t.fill == "toself"]
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert len(fills) == 2 and [t.name for t in lines] == ["lru", "fifo"]
    lru = frame[frame["tiers.0.eviction"] == "lru"]
    assert list(fills[0].y) == [*lru["hit_ratio_ci_high"], *lru["hit_ratio_ci_low"][::-1]]
    curve = plots.curve(lru, "tiers.0.capacity", "hit_ratio")  # curve draws the band too
    assert [t.fill for t in curve.data] == ["toself", None]
    with pytest.raises(ValueError, match="replications >= 2"):
        plots.bands(sc.sweep(SMALL, "tiers.0.capacity", [20]), "tiers.0.capacity", "hit_ratio")


def test_progress_bar_widget_counts_the_runs():
    from simcache.course.progress import progress_bar

    bar = progress_bar(backend="widget")
    assert bar._bar is None  # nothing shown until the first run ends
    sc.sweep(SMALL, "tiers.0.capacity", [20, 80], replications=2, progress=bar)
    assert (bar.done, bar.total, bar._bar.value, bar._bar.max) == (4, 4, 4, 4)
    assert bar._bar.bar_style == "success"
    with pytest.raises(ValueError, match="backend"):
        progress_bar(backend="tk")
