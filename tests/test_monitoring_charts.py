"""Notebook 09's monitoring pieces: the dashboard draws every figure with its thresholds and
faults, the Redis INFO names come from the catalog, counters difference back into rates,
alerts and recovery times read the time series right, and the real-Redis INFO helpers
work on fakeredis (typical figures) and on a real server (measured, cleaned up)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from redis_fixtures import lab_fixture  # noqa: F401 (a fixture)

import simcache as sc
from simcache.course import monitoring as mon
from simcache.metrics.catalog import METRICS
from simcache.redis_lab.monitoring import (
    INFO_FIELDS,
    TYPICAL_BYTES_PER_KEY,
    info_deltas,
    info_samples,
    memory_per_key,
)

BASE = sc.Scenario.from_dict({
    "seed": 3,
    "workload": {"keys": 2_000, "zipf_alpha": 1.0, "rate_rps": 2_000, "requests": 50_000,
                 "warmup_requests": 20_000},
    "tiers": [{"name": "redis", "capacity": 1_500, "eviction": "lru", "latency_ms": 0.5}],
    "database": {"latency_ms": 10.0, "concurrency": 4},
    "metrics": {"interval_s": 0.5},
})


@pytest.fixture(scope="module")
def healthy() -> sc.Result:
    return sc.run(BASE)


@pytest.fixture(scope="module")
def slowed() -> sc.Result:
    return sc.run(BASE.with_values({"faults": [
        {"kind": "db-slowdown", "at_s": 14.0, "until_s": 18.0, "factor": 10.0}]}))


# -- the dashboard ----
def test_dashboard_has_every_figure_with_its_redis_name(healthy):
    fig = mon.dashboard(healthy)
    assert type(fig) is go.Figure  # never a FigureWidget
    names = [t.name for t in fig.data]
    for expected in ("hit ratio", "miss ratio", "p50", "p99",
                     "used memory [used_memory]", "evictions/s [evicted_keys]",
                     "expirations/s [expired_keys]", "misses/s [keyspace_misses]",
                     "DB reads/s", "DB utilisation"):
        assert expected in names, expected
    titles = [a.text for a in fig.layout.annotations][:6]
    assert titles == [p[0] for p in mon.PANELS]
    assert fig.layout.yaxis2.type == "log"  # latency
    assert len(fig.to_json()) < 150_000


def test_thresholds_are_dashed_lines_at_their_values(healthy):
    fig = mon.dashboard(healthy, mon.Thresholds(hit_ratio_min=0.85, p99_ms_max=40.0,
                                                db_utilization_max=0.7))
    lines = {t.name: t for t in fig.data if t.line.dash == "dash"}
    assert set(lines) >= {"target: hit ratio ≥ 85%", "SLO: p99 ≤ 40 ms",
                          "alert: utilisation > 70%", "full cache", mon.POOL}
    assert list(lines["target: hit ratio ≥ 85%"].y) == [0.85, 0.85]
    assert list(lines["SLO: p99 ≤ 40 ms"].y) == [40.0, 40.0]
    # the SLO lies inside the latency axis, whose range is in log10 units
    low, high = fig.layout.yaxis2.range
    assert 10 ** low < 40 < 10 ** high
    # a full cache: capacity × (value_bytes + entry_overhead_bytes)
    tier = BASE.tiers[0]
    full = tier.capacity * (BASE.workload.value_bytes + tier.entry_overhead_bytes)
    assert lines["full cache"].y[0] == full
    assert lines[mon.POOL].y[0] == pytest.approx(4 / 0.010)
    off = mon.dashboard(healthy, mon.Thresholds(None, None, None))
    assert not [t.name for t in off.data if t.name.startswith(("target", "SLO", "alert"))]


def test_a_memory_line_never_passes_the_full_cache(healthy):
    fig = mon.dashboard(healthy)
    memory = next(t for t in fig.data if t.name.startswith("used memory"))
    full = next(t for t in fig.data if t.name == "full cache")
    assert np.nanmax(memory.y) <= full.y[0]


def test_a_slowdown_is_shaded_and_lowers_the_pools_capacity(slowed):
    fig = mon.dashboard(slowed)
    spans = [s for s in fig.layout.shapes if s.type == "rect"]
    assert spans and all(s.x0 == 14.0 and s.x1 == 18.0 for s in spans)
    assert len(spans) == 6  # one per panel
    pool = next(t for t in fig.data if t.name == mon.POOL)
    assert min(pool.y) == pytest.approx(400 / 10) and max(pool.y) == pytest.approx(400)
    slow = [x for x, y in zip(pool.x, pool.y, strict=True) if y < 400]
    assert min(slow) == 14.0 and max(slow) == 18.0
    assert "DB ×10 slower" in fig.layout.title.subtitle.text


def test_an_instant_fault_is_a_line():
    flushed = sc.run(BASE.with_values({"faults": [{"kind": "flush", "tier": "redis",
                                                   "at_s": 15.0}]}))
    fig = mon.dashboard(flushed)
    lines = [s for s in fig.layout.shapes if s.type == "line" and s.x0 == 15.0]
    assert len(lines) == 6


def test_an_empty_time_series_is_refused(healthy):
    empty = sc.Result(healthy.scenario, healthy.summary, healthy.timeseries.iloc[:0])
    with pytest.raises(ValueError, match="time series is empty"):
        mon.dashboard(empty)



def test_a_warm_batch_is_one_query_on_the_database_panel():
    """Notebook 09 says the batch makes no spike: it is one read, not top_k of them."""
    flush = {"kind": "flush", "tier": "redis", "at_s": 14.0}
    warm = {"kind": "warm", "top_k": 1_000, "at_s": 14.01}
    cold = sc.run(BASE.with_values({"faults": [flush]}))
    warmed = sc.run(BASE.with_values({"faults": [flush, warm]}))
    assert warmed.summary["db_reads"] < cold.summary["db_reads"]
    reads = next(t for t in mon.dashboard(warmed).data if t.name == "DB reads/s")
    assert max(reads.y) < mon.db_capacity_per_s(BASE)

# -- Redis names, counters and rates ----
def test_redis_names_come_from_the_catalog():
    table = mon.redis_names()
    expected = {m.key: m.redis for m in METRICS if m.redis}
    top = table[~table["simcache figure"].str.startswith("tier.")]
    assert dict(zip(top["simcache figure"], top["Redis INFO field"], strict=True)) == expected
    assert {"keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys",
            "used_memory"} <= set(table["Redis INFO field"])
    assert mon.redis_name("hits") == "keyspace_hits"
    assert mon.redis_name("tier.redis.evictions") == "evicted_keys"
    assert mon.redis_name("latency_p99_ms") is None


def test_info_counters_only_grow_and_difference_back_to_the_rows(healthy):
    info = mon.as_info(healthy)
    ts = healthy.timeseries
    assert len(info) == len(ts) + 1 and set(INFO_FIELDS) <= set(info.columns)
    for counter in ("keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys"):
        assert (np.diff(info[counter]) >= 0).all()
    assert info["keyspace_hits"].iloc[-1] == healthy.summary["hits"]
    rates = mon.rates_from_info(healthy)
    assert np.allclose(rates["hit_ratio"], ts["hit_ratio"])
    assert np.allclose(rates["evicted_keys/s"], ts["evictions"] / ts["interval_s"])
    assert np.allclose(rates["used_memory"], ts["used_memory"])


def test_info_deltas_of_two_samples():
    samples = pd.DataFrame([
        {"t_s": 0.0, "keyspace_hits": 9_000, "keyspace_misses": 1_000, "evicted_keys": 5,
         "expired_keys": 0, "used_memory": 10},
        {"t_s": 2.0, "keyspace_hits": 9_800, "keyspace_misses": 1_200, "evicted_keys": 25,
         "expired_keys": 4, "used_memory": 12}])
    (row,) = info_deltas(samples).to_dict("records")
    assert row["hit_ratio"] == pytest.approx(800 / 1_000)  # not 9,800 / 11,000
    assert row["evicted_keys/s"] == 10 and row["expired_keys/s"] == 2
    assert row["used_memory"] == 12
    with pytest.raises(ValueError, match="at least two samples"):
        info_deltas(samples.iloc[:1])
    with pytest.raises(ValueError, match="missing columns used_memory"):
        info_deltas(samples.drop(columns="used_memory"))


# -- alerts, recovery, queueing ----
def test_alerts_name_the_rows_over_a_threshold(healthy, slowed):
    assert mon.alerts(healthy, mon.Thresholds(0.5, 10_000, 1.01)).empty
    fired = mon.alerts(slowed)
    p99 = fired[fired["alert"] == "p99 over SLO"]
    assert not p99.empty and (p99["value"] > 50).all()
    during = p99[(p99["end_s"] > 14.0) & (p99["start_s"] < 18.0)]
    assert len(during) >= 6  # most of the 8 rows of the fault
    assert p99["end_s"].max() > 18.0  # and it outlasts the fault


def test_recovery_outlasts_a_slowdown_about_as_queueing_predicts(slowed):
    lam = BASE.workload.rate_rps * (1 - mon.level_before(slowed, "hit_ratio", 14.0))
    predicted = mon.drain_s(lam, mon.db_capacity_per_s(BASE), 10.0, 4.0)
    measured = mon.recovery_s(slowed, "db_utilization", 18.0, 0.8, higher_is_better=False)
    assert measured is not None and predicted > 0.5
    row = BASE.metrics.interval_s
    assert abs(measured - predicted) <= 2 * row + 0.3 * predicted


def test_recovery_is_none_when_the_run_ends_first(slowed):
    never = mon.recovery_s(slowed, "hit_ratio", 14.0, 1.01)
    assert never is None


def test_level_before_needs_a_measured_row(healthy):
    with pytest.raises(ValueError, match="no row ends by then"):
        mon.level_before(healthy, "hit_ratio", 1.0)


def test_drain_time_formula():
    # 100/s arrive; 400/s capacity, 10x slower for 10 s: the queue grows 60/s, then
    # shrinks at 300/s: 600 queries drain in 2 s.
    assert mon.drain_s(100, 400, 10, 10) == pytest.approx(2.0)
    assert mon.drain_s(30, 400, 10, 10) == 0.0  # the slow database still kept up
    assert math.isinf(mon.drain_s(500, 400, 2, 1))


# -- the real-Redis helpers ----
def test_info_samples_measure_or_say_typical(lab):
    series = info_samples(lab, rounds=3, requests=300, keys=200, pause_s=0.05)
    deltas = series.deltas()
    assert len(deltas) == len(series.samples) - 1 >= 1
    if lab.is_fake:
        assert not series.measured and "fakeredis has no INFO" in series.note
    else:
        assert series.measured and len(series.samples) == 4
        seen = (deltas["Δkeyspace_hits"] + deltas["Δkeyspace_misses"]).sum()
        assert seen >= 900  # server-wide: other clients may add their own reads
        assert sum(series.client_hits) <= deltas["Δkeyspace_hits"].sum()
    assert list(lab.scan("monitor:*")) == []  # its keys are gone


def test_info_samples_refuse_an_expiry_past_the_safety_ttl(lab):
    with pytest.raises(ValueError, match="ttl_s"):
        info_samples(lab, ttl_s=lab.safety_ttl_s + 1)


def test_memory_per_key_measures_or_gives_the_typical_figure(lab):
    found = memory_per_key(lab, keys=2_000)
    if lab.is_fake:
        assert not found.measured and found.bytes_per_key == TYPICAL_BYTES_PER_KEY
        assert found.overhead_bytes == TYPICAL_BYTES_PER_KEY - 100
    else:
        assert found.measured and found.with_expiry
        assert 100 < found.bytes_per_key < 1_000  # server-wide, so only roughly
    assert list(lab.scan("mem:*")) == []
