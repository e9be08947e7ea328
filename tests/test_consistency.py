"""Serving the right data: stale reads and their age, the cache-aside race and its
mitigations, write-behind's losses, coalescing, and pub/sub invalidation."""

from __future__ import annotations

import pytest

import simcache as sc
from simcache.engine import Simulation


def run(data: dict, **changes) -> dict:
    return sc.run(sc.Scenario.from_dict(data).with_values(changes)).summary


def racing(write: str = "invalidate", latency_ms: float = 0.5, **invalidation) -> dict:
    """One app server, one tier, 20 keys read 9 times and written once a second, 20 ms
    database reads: the cache-aside race happens dozens of times."""
    return {
        "seed": 4,
        "workload": {"keys": 20, "popularity": "uniform", "rate_rps": 200.0,
                     "requests": 30_000, "warmup_requests": 2_000, "write_ratio": 0.1},
        "tiers": [{"name": "redis", "capacity": 100, "ttl_s": 30.0, "latency_ms": latency_ms}],
        "database": {"latency_ms": 20.0, "concurrency": 32},
        "strategy": {"write": write},
        "invalidation": invalidation,
    }


@pytest.mark.parametrize("write", ["invalidate", "write-through"])
def test_with_the_version_check_no_value_is_staler_than_the_write_paths_gap(write):
    """The write updates the tier one round trip (0.5 ms) after its commit; a read in
    between gets the old value. With the version check, a slow read's fill never puts an
    older value back, so nothing is ever staler than that gap."""
    checked = run(racing(write, set_check="version"))
    assert checked["staleness_max_s"] <= 0.0005 + 1e-12
    unchecked = run(racing(write))
    if write == "invalidate":
        # Without it, the race stores old values that stay until the next write deletes
        # them or the TTL ends: stale for seconds, not a fraction of a millisecond.
        assert unchecked["stale_reads"] > 10 * checked["stale_reads"] > 0
        assert unchecked["staleness_max_s"] > 1.0


@pytest.mark.parametrize("write", ["invalidate", "write-through"])
def test_with_no_gap_and_the_version_check_no_read_is_stale(write):
    assert run(racing(write, latency_ms=0.0, set_check="version"))["stale_reads"] == 0


def test_the_race_preset_is_stale_without_mitigation_and_the_mitigations_help():
    race = sc.preset("cache-aside-race")
    plain = sc.run(race).summary
    short_ttl = sc.run(race.with_values({"tiers.0.ttl_s": 2.0})).summary
    again = sc.run(race.with_values({"invalidation.delete_delay_ms": 100.0})).summary
    checked = sc.run(race.with_values({"invalidation.set_check": "version"})).summary
    assert plain["stale_reads"] > 100 and plain["staleness_max_s"] > 2.0
    assert short_ttl["staleness_max_s"] <= 2.0 * 1.01 + 0.0005
    assert again["stale_reads"] < plain["stale_reads"] / 3
    assert again["staleness_max_s"] <= 0.1 + 1e-9
    assert checked["staleness_max_s"] <= 0.0005 + 1e-12


def test_the_trace_shows_the_race_step_by_step():
    trace = sc.run(sc.preset("cache-aside-race")).trace
    assert set(trace["key"]) == {0}
    assert trace["time_s"].is_monotonic_increasing
    events = trace["event"].tolist()
    first_stale = events.index("stale hit")
    window = trace.iloc[:first_stale + 1]
    fill = window[window["event"] == "fill"].iloc[-1]
    # the last fill before the first stale hit stored a version older than committed
    assert fill["version"] < fill["committed"]
    start = window[(window["event"] == "db read starts")
                   & (window["version"] == fill["version"])].iloc[-1]
    commits = window[(window["event"] == "write commits")
                     & (window["time_s"] > start["time_s"])
                     & (window["time_s"] < fill["time_s"])]
    assert len(commits) >= 1  # a write committed while the old row was being read


def test_write_around_leaves_cached_copies_stale_until_their_ttl():
    data = racing("write-around")
    s = run(data)
    assert s["stale_ratio"] > 0.2
    assert 20.0 < s["staleness_max_s"] <= 30.0 * 1.01  # up to the 30 s TTL


def test_write_behind_coalesces_and_loses_exactly_the_unflushed_writes_in_a_crash():
    data = {
        "seed": 5,
        "workload": {"keys": 50, "rate_rps": 1_000.0, "requests": 20_000,
                     "warmup_requests": 0, "write_ratio": 0.5},
        "tiers": [{"name": "redis", "capacity": 100}],
        "database": {"latency_ms": 2.0, "concurrency": 8},
        "strategy": {"write": "write-behind", "flush_interval_s": 1.0, "flush_batch": 1_000},
    }
    calm = run(data)
    assert calm["lost_writes"] == 0
    assert calm["db_writes"] < calm["writes"] / 10  # 50 keys, ~500 writes a second
    assert calm["write_latency_p99_ms"] < 1.0       # a cache round trip, no database
    # Flushing only every 1,000 s: nothing reaches the database before the crash at 5 s,
    # so every write acknowledged until then is lost, and none after.
    sim = Simulation(sc.Scenario.from_dict(data).with_values({
        "strategy.flush_interval_s": 1_000.0,
        "faults": [{"kind": "crash", "at_s": 5.0, "tier": "redis"}]}))
    crashed = sim.run().summary
    times = [t for chunk in sc.model.workload.requests(sim.scenario.workload, 5)
             for t, w in zip(chunk.times, chunk.writes, strict=True) if w]
    assert crashed["lost_writes"] == sum(1 for t in times if t < 5.0)
    assert sim.db.pending == {}  # the others were flushed at the end


def test_write_behind_writes_in_flight_at_a_crash_land_afterwards_and_versions_move_on():
    """A write is queued when its value reaches the tier: one still on its way (a 50 ms
    round trip here) when the tier crashes lands in the emptied tier and is flushed
    later, not lost; lost versions are never issued again."""
    data = {
        "seed": 5,
        "workload": {"keys": 20, "rate_rps": 1_000.0, "requests": 10_000,
                     "warmup_requests": 0, "write_ratio": 0.5},
        "tiers": [{"name": "redis", "capacity": 100, "latency_ms": 50.0}],
        "database": {"latency_ms": 2.0, "concurrency": 8},
        "strategy": {"write": "write-behind", "flush_interval_s": 1_000.0},
        "faults": [{"kind": "crash", "at_s": 5.0, "tier": "redis"}],
        "metrics": {"trace_keys": list(range(20))},
    }
    sim = Simulation(sc.Scenario.from_dict(data))
    result = sim.run()
    times = [t for chunk in sc.model.workload.requests(sim.scenario.workload, 5)
             for t, w in zip(chunk.times, chunk.writes, strict=True) if w]
    in_flight = sum(1 for t in times if 4.95 < t < 5.0)
    assert in_flight > 10
    assert result.summary["lost_writes"] == sum(1 for t in times if t + 0.05 < 5.0)
    for _key, events in result.trace.groupby("key"):
        sets = events[events.event == "set"]
        assert sets.version.is_monotonic_increasing and sets.version.is_unique
    assert sim.db.pending == {}


def test_lost_pubsub_messages_leave_local_copies_stale_until_their_ttl():
    data = {
        "seed": 6,
        "workload": {"keys": 30, "popularity": "uniform", "rate_rps": 300.0,
                     "requests": 20_000, "warmup_requests": 2_000, "write_ratio": 0.05,
                     "app_servers": 3},
        "tiers": [{"name": "local", "capacity": 100, "scope": "per-server", "ttl_s": 5.0,
                   "latency_ms": 0.0},
                  {"name": "redis", "capacity": 100, "latency_ms": 0.0}],
        "database": {"latency_ms": 1.0, "concurrency": 8},
        "invalidation": {"pubsub": True, "pubsub_delay_ms": 2.0, "set_check": "version"},
    }
    delivered = run(data)
    lost = run(data, **{"invalidation.pubsub_loss": 1.0})
    off = run(data, **{"invalidation.pubsub": False})
    assert delivered["staleness_max_s"] <= 0.002 + 1e-9  # at most the delivery delay
    assert lost["stale_reads"] > 20 * max(delivered["stale_reads"], 1)
    assert 3.0 < lost["staleness_max_s"] <= 5.0 * 1.01  # until the 5 s TTL
    assert lost["stale_reads"] == pytest.approx(off["stale_reads"], rel=0.05)
    outage = run(data, faults=[{"kind": "pubsub-outage", "at_s": 30.0, "until_s": 40.0}])
    assert delivered["stale_reads"] < outage["stale_reads"] < lost["stale_reads"]


def test_a_namespace_bump_orphans_every_entry_at_once():
    data = {
        "seed": 7,
        "workload": {"keys": 500, "popularity": "uniform", "rate_rps": 500.0,
                     "requests": 30_000, "warmup_requests": 5_000},
        "tiers": [{"name": "redis", "capacity": 800}],
        "metrics": {"interval_s": 1.0},
        "faults": [{"kind": "namespace-bump", "at_s": 30.0}],
    }
    ts = sc.run(sc.Scenario.from_dict(data)).timeseries
    before = ts[ts["time_s"] < 29].iloc[-1]
    after = ts[ts["time_s"] >= 30].iloc[0]
    assert before["hit_ratio"] > 0.99 and before["tier.redis.orphans"] == 0
    assert ts["hit_ratio"].min() < 0.6  # every key misses once more
    assert after["tier.redis.orphans"] > 200  # the old entries still take room
    assert ts["tier.redis.orphans"].iloc[-1] < after["tier.redis.orphans"]  # evicted in time


def test_refresh_ahead_reloads_hot_keys_before_they_expire():
    data = {
        "seed": 8,
        "workload": {"keys": 200, "rate_rps": 1_000.0, "requests": 40_000,
                     "warmup_requests": 5_000},
        "tiers": [{"name": "redis", "capacity": 1_000, "ttl_s": 2.0}],
        "database": {"latency_ms": 5.0},
    }
    aside = run(data)
    ahead = run(data, **{"strategy.read": "refresh-ahead", "strategy.refresh_fraction": 0.3})
    assert ahead["refreshes"] > 1_000
    assert ahead["hit_ratio"] > aside["hit_ratio"] + 0.02
    assert ahead["db_reads"] >= ahead["misses"] + ahead["refreshes"] - 50  # reloads are queries


def test_refreshes_count_as_they_start_and_those_still_queued_at_the_end_are_dropped():
    # One worker and 30 ms reloads cannot keep up with 500 keys at a 0.5 s TTL: a backlog
    # of refreshes builds. Once the last request has arrived nobody reads them, so the
    # queued ones are dropped; the one running finishes.
    data = {
        "seed": 8,
        "workload": {"keys": 500, "popularity": "uniform", "rate_rps": 2_000.0,
                     "requests": 20_000, "warmup_requests": 0},
        "tiers": [{"name": "redis", "capacity": 1_000, "ttl_s": 0.5}],
        "database": {"latency_ms": 30.0, "service": "constant", "concurrency": 64},
        "strategy": {"read": "refresh-ahead", "refresh_fraction": 0.5, "refresh_workers": 1},
    }
    sim = Simulation(sc.Scenario.from_dict(data))
    summary = sim.run().summary
    assert len(sim.read.queue) == 0 and sim.read.busy == 0 and not sim.read.pending
    assert summary["db_reads"] == summary["misses"] + summary["refreshes"]  # both at start
    # the database stops within one 30 ms query of the last arrival (measured from 0)
    assert sim.clock.now <= summary["duration_s"] + 0.030 + 1e-9


def test_read_through_collapses_a_burst_of_misses_into_one_load_per_key():
    data = {
        "seed": 9,
        "workload": {"keys": 50, "rate_rps": 5_000.0, "requests": 20_000,
                     "warmup_requests": 0},
        "tiers": [{"name": "redis", "capacity": 100, "ttl_s": 0.5}],
        "database": {"latency_ms": 30.0, "concurrency": 64},
    }
    aside = run(data)
    through = run(data, **{"strategy.read": "read-through"})
    assert aside["db_reads"] == aside["misses"]  # every miss its own query
    assert through["db_reads"] < through["misses"] / 3  # waiters share the one load
