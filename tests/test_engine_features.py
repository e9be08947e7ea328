"""What the engine gained with its extension points, each checked on a small run:
exact and bounded time series, timeouts, warm-up accounting, faults, app servers with
per-server tiers, entries that keep their load time, and the metrics catalog."""

from __future__ import annotations

import math

import numpy as np
import pytest
from measure import peak_bytes

import simcache as sc
from simcache.engine import Simulation
from simcache.metrics import METRICS, TIER_METRICS
from simcache.metrics.catalog import MERGES
from simcache.metrics.recorder import AUTO_ROW_LIMIT
from simcache.model.tiers import build
from simcache.model.workload import requests


def run(data: dict) -> sc.Result:
    return sc.run(sc.Scenario.from_dict(data))


# -- time series ------------------------------------------------------------------------------

def test_rows_start_exactly_at_t0_plus_i_intervals_and_add_up_to_the_summary():
    result = run({"seed": 4, "workload": {"keys": 200, "requests": 6_000,
                                          "warmup_requests": 1_000, "write_ratio": 0.1},
                  "tiers": [{"name": "c", "capacity": 50}], "metrics": {"interval_s": 0.1}})
    ts, s = result.timeseries, result.summary
    t0 = ts["time_s"].iloc[0]
    # computed as t0 + i * 0.1, never by adding 0.1 again and again
    assert ts["time_s"].tolist() == [t0 + i * 0.1 for i in range(len(ts))]
    for column in ("requests", "reads", "writes", "hits", "misses", "evictions", "stale_reads"):
        assert ts[column].sum() == s[column], column
    db_reads = (ts["db_reads_per_s"] * ts["interval_s"]).round().sum()
    assert db_reads == s["db_reads"]


OVERLOADED = {
    "seed": 6,
    # 1,000 reads/s on 4 connections of 10 ms: 2.5 times what the database can serve.
    "workload": {"keys": 100_000, "popularity": "uniform", "rate_rps": 1_000.0,
                 "requests": 20_000, "warmup_requests": 0},
    "tiers": [],
    "database": {"latency_ms": 10.0, "concurrency": 4, "service": "constant"},
}


def _overloaded(requests: int, timeout_ms: float | None) -> sc.Scenario:
    return sc.Scenario.from_dict(OVERLOADED).with_values(
        {"workload.requests": requests, "database.timeout_ms": timeout_ms})


def test_without_a_timeout_a_long_backlog_still_gives_about_100_rows():
    """The backlog takes 1.5 times as long to drain as the arrivals took: rows are merged
    in pairs (their width doubled) so the table stays short, and still adds up."""
    for n in (20_000, 80_000):
        result = sc.run(_overloaded(n, None))
        ts = result.timeseries
        assert len(ts) < AUTO_ROW_LIMIT
        assert ts["requests"].sum() == result.summary["requests"] == n
        assert ts["time_s"].iloc[-1] + ts["interval_s"].iloc[-1] > 2.4 * n / 1_000


def test_a_timeout_fails_requests_that_waited_too_long_and_counts_them_at_the_timeout():
    result = sc.run(_overloaded(20_000, timeout_ms=50.0))
    s = result.summary
    # The database serves 400 of the 1,000 reads/s; the rest time out.
    assert s["timeouts"] == pytest.approx(12_000, rel=0.05)
    assert s["timeout_ratio"] == pytest.approx(s["timeouts"] / s["requests"])
    assert s["db_reads"] + s["timeouts"] == s["misses"] == s["reads"]
    # A failed read counts in the latency histogram at the timeout: with 60 % failing,
    # the median read took exactly the timeout.
    assert s["latency_p50_ms"] == pytest.approx(50.0, rel=0.01)
    assert s["latency_max_ms"] <= 50.0 + 10.0 + 1e-9  # waited at most 50 ms, then 10 ms
    assert result.timeseries["timeouts"].sum() == s["timeouts"]


@pytest.mark.slow
def test_an_overloaded_run_with_a_timeout_uses_the_same_memory_at_4x_the_requests():
    """Waiters that gave up are dropped, not kept until their turn: the queue holds at most
    timeout x arrival rate queries, whatever the length of the run."""
    # 5 s and 20 s of arrivals: the automatic interval (0.05 s, 0.2 s) gives 100 rows each.
    short, long = _overloaded(5_000, 50.0), _overloaded(20_000, 50.0)
    # the same rows, but for the last partial one or two that the short drain adds
    assert abs(len(sc.run(short).timeseries) - len(sc.run(long).timeseries)) <= 1
    small, large = peak_bytes(short), peak_bytes(long)
    assert large <= 1.2 * small, (small, large)


def test_measuring_counts_the_database_work_done_after_warmup_even_for_warmup_queries():
    """One connection, always busy (constant 10 ms queries, 150 arrivals/s): when warm-up
    ends, a warm-up query is running and others wait. The database is busy every moment
    of the measured time, so its utilisation is exactly 1: the part of the running query
    after t0 and the queries that started after t0 all count."""
    s = run({"seed": 1, "workload": {"keys": 10_000, "rate_rps": 150.0, "requests": 3_000,
                                     "warmup_requests": 1_000, "popularity": "uniform"},
             "tiers": [], "database": {"latency_ms": 10.0, "concurrency": 1,
                                       "service": "constant"}}).summary
    assert s["db_utilization"] == pytest.approx(1.0, abs=1e-9)
    assert s["db_reads"] > s["misses"]  # warm-up's backlog was served while measuring


# -- faults -------------------------------------------------------------------------------

def _with_faults(*faults: dict, capacity: int = 1_000) -> dict:
    return {"seed": 3, "workload": {"keys": 1_000, "popularity": "uniform", "requests": 30_000,
                                    "warmup_requests": 5_000, "rate_rps": 1_000.0},
            "tiers": [{"name": "redis", "capacity": capacity}],
            "database": {"latency_ms": 5.0, "concurrency": 16},
            "metrics": {"interval_s": 1.0}, "faults": list(faults)}


def test_a_flush_empties_the_tier_at_its_time_and_the_hit_ratio_recovers():
    """1,000 keys read uniformly, all cached: a flush at 15 s turns the next second's reads
    into first reads, so about 1 - (1 - e^-1) = 37 % of them hit."""
    ts = run(_with_faults({"kind": "flush", "at_s": 15.0, "tier": "redis"})).timeseries
    row = int(np.searchsorted(ts["time_s"], 15.0, side="right") - 1)
    assert ts["time_s"].iloc[row] == pytest.approx(15.0, abs=1.0)
    before, after = ts.iloc[row - 1], ts.iloc[row + 1]
    assert before["hit_ratio"] > 0.99 and before["tier.redis.entries"] == 1_000
    assert after["hit_ratio"] < 0.6
    assert ts["hit_ratio"].iloc[-2] > 0.99  # refilled


def test_a_database_slowdown_raises_latency_only_while_it_lasts():
    """Half the reads miss (500 keys of 1,000 cached): p99 is a miss's latency, 10 times
    longer from 10 s to 20 s, and back to normal once the backlog has drained."""
    plain = run(_with_faults(capacity=500)).timeseries
    slow = run(_with_faults({"kind": "db-slowdown", "at_s": 10.0, "until_s": 20.0,
                             "factor": 10.0}, capacity=500)).timeseries
    during = (slow["time_s"] >= 11) & (slow["time_s"] < 19)
    assert (slow.loc[during, "latency_p99_ms"] > 5 * plain.loc[during, "latency_p99_ms"]).all()
    whole = np.isclose(slow["interval_s"], 1.0)
    for rows in (slow["time_s"] < 9, (slow["time_s"] >= 23) & whole):
        ratio = slow.loc[rows, "latency_p99_ms"].mean() / plain.loc[rows, "latency_p99_ms"].mean()
        assert 0.8 < ratio < 1.25


@pytest.mark.parametrize(("fault", "field", "text"), [
    ({"kind": "flush", "at_s": 1.0, "tier": "redsi"}, "faults.0.tier", "must name a tier"),
    ({"kind": "flush", "at_s": -1.0, "tier": "redis"}, "faults.0.at_s", ">= 0"),
    ({"kind": "db-slowdown", "at_s": 5.0, "until_s": 5.0, "factor": 2.0}, "faults.0.until_s",
     "after at_s"),
    ({"kind": "db-slowdown", "at_s": 5.0, "factor": 2.0}, "faults.0.until_s", "required"),
    ({"kind": "flsh", "at_s": 1.0}, "faults.0.kind", "did you mean 'flush'"),
    ({"at_s": 1.0}, "faults.0.kind", "allowed: "),
])
def test_bad_faults_name_their_field(fault, field, text):
    with pytest.raises(sc.ScenarioError) as err:
        sc.Scenario.from_dict(_with_faults(fault))
    assert err.value.field == field and text in str(err.value)


# -- app servers and per-server tiers ------------------------------------------------------

def _servers(n: int, scope: str = "per-server") -> dict:
    return {"seed": 12, "workload": {"keys": 50, "rate_rps": 200.0, "requests": 20_000,
                                     "warmup_requests": 2_000, "write_ratio": 0.1,
                                     "app_servers": n},
            "tiers": [{"name": "local", "capacity": 100, "scope": scope, "latency_ms": 0.01}],
            # one connection: no read overlaps a write, so the cache-aside race cannot
            # happen and every stale read comes from another server's local copy
            "database": {"latency_ms": 1.0, "concurrency": 1}}


def test_per_server_tiers_have_one_instance_per_server_and_go_stale_on_others_writes():
    one = run(_servers(1))
    three = run(_servers(3))
    shared = run(_servers(3, scope="shared"))
    assert one.summary["stale_reads"] == 0
    assert shared.summary["stale_reads"] == 0
    # a write deletes the key from the writer's own local cache only
    assert three.summary["stale_reads"] > 0.05 * three.summary["reads"]
    tiers = three.tiers.set_index("tier")
    assert tiers.loc["local", "instances"] == 3
    assert tiers.loc["local", "capacity_total"] == 300
    assert 100 < three.summary["tier.local.entries"] <= 150  # up to 50 keys in each


def test_requests_spread_evenly_over_the_app_servers():
    scenario = sc.Scenario.from_dict(_servers(4))
    servers = [s for chunk in requests(scenario.workload, scenario.seed) for s in chunk.servers]
    counts = np.bincount(servers, minlength=4)
    # 20,000 requests over 4 servers: 5,000 each, binomial sd 61; 5 sd is 306.
    assert (abs(counts - 5_000) < 306).all()
    assert next(requests(sc.Workload(app_servers=1), 1)).servers is None


# -- entries keep their load time -------------------------------------------------------

@pytest.mark.parametrize("inherit", [False, True])
def test_a_copy_from_a_lower_tier_keeps_the_load_time_and_optionally_the_ttl(inherit):
    """A value read from the database at 1.0 s, found in the far tier at 2.0 s, where it
    expires at 5.0 s: the near copy keeps the load time, and with inherit_ttl the far
    copy's expiry instead of its own 100 s."""
    specs = [sc.Tier(name="near", capacity=5, ttl_s=100.0, inherit_ttl=inherit),
             sc.Tier(name="far", capacity=5, ttl_s=4.0)]
    _, (chain,) = build(specs, servers=1, seed=0)
    chain.fill(7, version=3, loaded_at=1.0, now=2.0, levels=1, below_expires=5.0)
    assert chain.stores[0].get(7, 2.0) == (3, 5.0 if inherit else 102.0, 1.0)
    assert 7 not in chain.stores[1]  # only the nearer tiers are filled
    chain.fill(8, version=1, loaded_at=2.0, now=2.0)  # from the database: every tier
    assert chain.stores[0].get(8, 2.0) == (1, 102.0, 2.0)
    assert chain.stores[1].get(8, 2.0) == (1, 6.0, 2.0)


def test_far_tier_hits_copy_their_load_time_in_a_run():
    sim = Simulation(sc.Scenario.from_dict({
        "seed": 2, "workload": {"keys": 20, "rate_rps": 100.0, "requests": 2_000,
                                "warmup_requests": 0},
        "tiers": [{"name": "near", "capacity": 2}, {"name": "far", "capacity": 20}],
        "database": {"latency_ms": 1.0}}))
    sim.run()
    near, far = sim.chains[0].stores
    for key, entry in near._data.items():
        assert entry[2] == far._data[key][2]  # the same load, however copied


# -- the catalog ----------------------------------------------------------------------------

def test_summary_timeseries_and_tier_table_come_from_the_catalog():
    result = run({"tiers": [{"name": "a", "capacity": 10}, {"name": "b", "capacity": 100}],
                  "workload": {"requests": 3_000, "warmup_requests": 500}})
    tier_keys = [f"tier.{t}.{m.key}" for t in ("a", "b") for m in TIER_METRICS]
    assert list(result.summary) == [m.key for m in METRICS] + tier_keys
    series = ["time_s", "interval_s", *(m.key for m in METRICS if m.series),
              *(f"tier.{t}.{m.key}" for t in ("a", "b") for m in TIER_METRICS if m.series)]
    assert list(result.timeseries.columns) == series
    table = result.tiers.set_index("tier")
    for t in ("a", "b"):
        for m in TIER_METRICS:
            assert table.loc[t, m.key] == result.summary[f"tier.{t}.{m.key}"]
    for m in METRICS:
        assert m.merge in tuple(MERGES), m.key
        assert m.unit and m.about, m.key
    for line in ("hit ratio", "latency p99", "tier a"):
        assert line in result.table()


def test_a_run_without_tiers_has_an_empty_tier_table():
    result = run({"tiers": [], "workload": {"requests": 2_000, "warmup_requests": 0}})
    assert result.tiers.empty and "tier" in result.tiers.columns
    assert math.isfinite(result.summary["latency_p50_ms"])


def test_the_simulation_keeps_to_29_attributes():
    """Strategies read the context's attributes on every miss and write. CPython 3.11
    keeps up to 29 attributes in the instance itself (LOAD_ATTR_INSTANCE_VALUE); from
    the 30th on every lookup searches a dict (LOAD_ATTR_WITH_HINT), and the 30th
    attribute cost about 1 % of a run in instruction counts."""
    sim = Simulation(sc.Scenario.from_dict({
        "workload": {"app_servers": 2, "write_ratio": 0.1},
        "tiers": [{"name": "local", "capacity": 10, "scope": "per-server"},
                  {"name": "redis", "capacity": 100}],
        "invalidation": {"pubsub": True}, "metrics": {"trace_keys": [1]}}))
    assert len(vars(sim)) <= 29


def test_a_run_pauses_the_garbage_collector_and_restores_it():
    import gc

    small = sc.Scenario().with_values({"workload.requests": 2_000, "workload.warmup_requests": 0})
    assert gc.isenabled()
    sc.run(small)
    assert gc.isenabled()
    gc.disable()
    try:
        sc.run(small)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


# -- pages of several lookups, and a request-level cache ----------------------------------

def test_a_page_makes_fanout_lookups_and_a_request_cache_looks_each_key_up_once():
    """F lookups drawn independently by popularity p: a page has Σ 1 - (1 - pᵢ)^F
    distinct keys on average; a request-level cache answers the rest in-process."""
    from simcache.model.workload import popularity
    data = {"seed": 4, "workload": {"keys": 500, "zipf_alpha": 1.0, "rate_rps": 200.0,
                                    "requests": 6_000, "warmup_requests": 1_000,
                                    "fanout": 20, "write_ratio": 0.1},
            "tiers": [{"name": "redis", "capacity": 100}]}
    plain = run(data)
    cached = run({**data, "workload": {**data["workload"], "request_cache": True}})
    s, c = plain.summary, cached.summary
    assert s["reads"] == pytest.approx(20 * s["writes"] * 9, rel=0.1)  # 20 per read page
    p = popularity(cached.scenario.workload)
    distinct = float(np.sum(1 - (1 - p) ** 20))
    pages = c["reads"] / distinct
    assert c["request_cache_hits"] == pytest.approx(pages * (20 - distinct), rel=0.03)
    # warm-up counts pages (requests that arrive), so both runs measure the same pages
    assert c["reads"] + c["request_cache_hits"] == s["reads"]
    assert c["writes"] == s["writes"]
    assert c["db_reads"] < s["db_reads"]  # repeats no longer miss twice
    assert cached.timeseries["requests"].sum() == c["requests"]
