"""Hand-worked checks of the model's rules, each of which a plausible bug would break."""

from __future__ import annotations

import numpy as np
import pytest

import simcache as sc
from simcache.analysis import theory
from simcache.metrics import Histogram
from simcache.model.policies import make_store
from simcache.model.workload import popularity, requests


def _keys(scenario: sc.Scenario) -> list[int]:
    return [k for chunk in requests(scenario.workload, scenario.seed) for k in chunk.keys]


def test_a_hit_in_a_far_tier_fills_the_near_one_and_pays_both_latencies():
    """Two keys; the near tier holds one. After warm-up both live in the far tier, so a
    read hits near exactly when it repeats the previous key, and otherwise hits far and
    moves its key into near. Near hits cost 1 ms; far hits 1 + 2 ms to look up, plus 1 ms
    for cache-aside to write the value back to near."""
    scenario = sc.Scenario.from_dict({
        "seed": 5,
        "workload": {"keys": 2, "popularity": "uniform", "requests": 3_000,
                     "warmup_requests": 100},
        "tiers": [{"name": "near", "capacity": 1, "latency_ms": 1.0},
                  {"name": "far", "capacity": 10, "latency_ms": 2.0}],
        "database": {"latency_ms": 0.001},
    })
    keys = _keys(scenario)
    measured = range(100, len(keys))
    near = sum(1 for i in measured if keys[i] == keys[i - 1])
    s = sc.run(scenario).summary
    assert s["misses"] == 0
    assert s["tier.near.hits"] == near
    assert s["tier.far.hits"] == len(measured) - near
    expected_mean = (near * 1.0 + (len(measured) - near) * 4.0) / len(measured)
    assert s["latency_mean_ms"] == pytest.approx(expected_mean, rel=1e-12)


@pytest.mark.parametrize(("read", "expected_ms"), [("cache-aside", 2 + 3 + 10 + 2 + 3),
                                                   ("read-through", 2 + 3 + 10)])
def test_a_miss_pays_every_tier_lookup_plus_the_database(read, expected_ms):
    """Cache-aside also writes the value back to each tier (a round trip each); with
    read-through the tiers load it themselves (and the rare reader that finds its key
    already being loaded waits less than a whole query)."""
    scenario = sc.Scenario.from_dict({
        "workload": {"keys": 1000, "rate_rps": 10, "requests": 500, "warmup_requests": 0},
        "tiers": [{"name": "a", "capacity": 0, "latency_ms": 2.0},
                  {"name": "b", "capacity": 0, "latency_ms": 3.0}],
        "database": {"latency_ms": 10.0, "service": "constant", "concurrency": 50},
        "strategy": {"read": read},
    })
    s = sc.run(scenario).summary
    assert s["misses"] == s["reads"] == 500
    assert s["db_wait_mean_ms"] == 0.0
    if read == "cache-aside":
        assert s["latency_mean_ms"] == pytest.approx(expected_ms, rel=1e-9)
    else:
        assert expected_ms - 0.1 < s["latency_mean_ms"] <= expected_ms
    assert s["latency_p99_ms"] == pytest.approx(expected_ms, rel=1e-9)


@pytest.mark.parametrize("tiers", [[], [{"name": "c", "capacity": 50}],
                                   [{"name": "l", "capacity": 5}, {"name": "r", "capacity": 50}]])
def test_one_connection_serves_stale_reads_only_while_a_write_deletes(tiers):
    """With a single connection no read query overlaps a write: every read sees the latest
    commit, and every fill happens before the next write commits. A write must commit
    before it hands its connection to the next query in line. What remains is the write's
    own gap: its deletes land a round trip per tier after the commit, and a hit in between
    returns the old value, never older than that gap."""
    scenario = sc.Scenario.from_dict({
        "seed": 2,
        "workload": {"keys": 3, "rate_rps": 150, "requests": 6_000, "warmup_requests": 500,
                     "write_ratio": 0.4},
        "tiers": tiers,
        "database": {"latency_ms": 5.0, "concurrency": 1, "service": "constant"},
    })
    s = sc.run(scenario).summary
    assert s["db_wait_mean_ms"] > 1.0  # queries do queue for the connection
    gap_s = sum(t.latency_ms for t in scenario.tiers) / 1000.0
    assert s["staleness_max_s"] <= gap_s * (1 + 1e-9)
    if not tiers:
        assert s["stale_reads"] == 0


def test_overlapping_writes_do_cause_stale_reads():
    """The control for the test above: with many connections reads overlap writes."""
    scenario = sc.Scenario.from_dict({
        "seed": 2,
        "workload": {"keys": 3, "rate_rps": 150, "requests": 6_000, "warmup_requests": 500,
                     "write_ratio": 0.4},
        "tiers": [{"name": "c", "capacity": 50}],
        "database": {"latency_ms": 5.0, "concurrency": 8, "service": "constant"},
    })
    assert sc.run(scenario).summary["stale_reads"] > 0


def test_time_series_rows_cover_the_run_and_their_rates_add_up():
    result = sc.run(sc.Scenario())
    ts = result.timeseries
    assert (ts["interval_s"] > 0.01).all()  # the last row too
    assert np.allclose(ts["db_reads_per_s"] * ts["interval_s"], ts["misses"])
    assert ts["requests"].sum() == result.summary["requests"]
    assert ts["evictions"].sum() == result.summary["evictions"]  # warm-up left out of both
    covered = ts["interval_s"].sum()
    assert covered >= result.summary["duration_s"] - 1e-9


def test_a_duration_run_reads_and_writes_as_toml(tmp_path):
    scenario = sc.Scenario().with_values({"workload.duration_s": 20.0})
    assert scenario.workload.requests is None
    path = tmp_path / "run.toml"
    path.write_text(scenario.to_toml())
    assert sc.Scenario.load(path) == scenario
    assert sc.Scenario.from_toml("[workload]\nduration_s = 20").workload.duration_s == 20.0
    back = scenario.with_values({"workload.requests": 30_000})
    assert (back.workload.requests, back.workload.duration_s) == (30_000, None)
    with pytest.raises(sc.ScenarioError) as err:
        sc.Scenario.from_dict({"workload": {"requests": 100, "duration_s": 5}})
    assert err.value.field == "workload.duration_s"


def test_a_run_too_fine_grained_or_too_large_is_refused():
    with pytest.raises(sc.ScenarioError) as err:
        sc.Scenario().with_values({"metrics.interval_s": 1e-6})
    assert err.value.field == "metrics.interval_s" and "100,000" in str(err.value)
    with pytest.raises(sc.ScenarioError) as err:
        sc.Scenario().with_values({"workload.keys": 10**10})
    assert err.value.field == "workload.keys"


@pytest.mark.parametrize("policy", list(sc.POLICIES))
def test_making_room_by_dropping_an_expired_entry_is_an_expiration(policy):
    store = make_store(policy, 2, np.random.default_rng(0))
    store.put("a", 1, expires_at=1.0, now=0.0)
    store.put("b", 1, expires_at=1.0, now=0.0)
    store.put("c", 1, expires_at=9.0, now=5.0)  # a and b are past their TTL at t = 5
    assert (store.evictions, store.expirations) == (0, 1)
    store.put("d", 1, expires_at=9.0, now=5.0)
    assert store.evictions + store.expirations == 2 and len(store) == 2


def test_histogram_quantiles_are_within_one_percent():
    values = np.random.default_rng(1).lognormal(1.0, 1.2, 50_000)
    hist = Histogram()
    for v in values.tolist():
        hist.add(v)
    for q in (0.5, 0.9, 0.99, 0.999):
        assert hist.quantile(q) == pytest.approx(np.quantile(values, q), rel=0.01)
    assert hist.mean == pytest.approx(values.mean(), rel=1e-12)


def test_lru_capacity_for_is_the_smallest_capacity_that_reaches_the_target():
    p = popularity(sc.Workload(keys=2_000, zipf_alpha=0.9))
    for target in (0.5, 0.8, 0.9):
        c = theory.lru_capacity_for(p, target)
        assert theory.che_lru_hit_ratio(p, c) >= target > theory.che_lru_hit_ratio(p, c - 1)
