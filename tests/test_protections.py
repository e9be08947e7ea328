"""Protections against stampedes and penetration, checked against what theory predicts.

A stampede: one key, read thousands of times a second, expires; its reload takes δ.
Without protection every read arriving during the reload queries the database too
(1 + λδ queries per expiry); a lock or a lease makes it one, single-flight one per app
server; XFetch recomputes early, about e^(1/β) times per expiry (Vattani et al., VLDB
2015); stale-while-revalidate serves the old value and reloads once. Penetration: reads
of keys that do not exist; a negative cache answers a key's repeats for its TTL (the TTL
formula λT/(1 + λT) per key), a Bloom filter answers all but its false positives,
(1 − e^(−kn/m))^k of them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_consistency import racing, run

import simcache as sc
from simcache.engine import Simulation
from simcache.protections.bloom import false_positive_ratio

RATE = 5_000.0      # reads per second, all of one key
DELTA_S = 0.010     # its reload time: constant, with connections to spare


def stampede(*protections: dict, servers: int = 1, ttl_s: float = 0.2, **changes) -> dict:
    """One key at 5,000 reads/s with a 0.2 s TTL for 60 s: about 300 expiries."""
    data = {
        "seed": 11,
        "workload": {"keys": 1, "rate_rps": RATE, "requests": 300_000,
                     "warmup_requests": 5_000, "app_servers": servers},
        "tiers": [{"name": "redis", "capacity": 10, "ttl_s": ttl_s, "latency_ms": 0.5}],
        "database": {"latency_ms": DELTA_S * 1000, "concurrency": 256, "service": "constant"},
        "protections": list(protections),
    }
    return run(data, **changes)


def test_without_protection_every_read_during_the_reload_queries_the_database():
    s = stampede(**{"metrics.peak_window_s": DELTA_S})
    assert s["hot_key_reloads"] > 250
    # The first miss, then every read arriving in the δ its load takes: 1 + λδ = 51.
    assert s["hot_key_reads_per_reload"] == pytest.approx(1 + RATE * DELTA_S, rel=0.05)
    # For δ the database sees every read: measured over δ, the peak is the read rate.
    assert s["peak_db_reads_per_s"] >= RATE * 0.9
    locked = stampede({"kind": "lock"}, **{"metrics.peak_window_s": DELTA_S})
    assert locked["peak_db_reads_per_s"] <= 2 / DELTA_S


@pytest.mark.parametrize("kind", ["lock", "lease"])
def test_a_lock_or_a_lease_makes_each_expiry_one_database_read(kind):
    for servers in (1, 4):
        s = stampede({"kind": kind}, servers=servers)
        assert s["hot_key_reloads"] > 250
        assert s["hot_key_reads_per_reload"] == pytest.approx(1.0, abs=0.02)
        # the other readers of each expiry waited for the one load instead
        assert s["waits"] == pytest.approx(s["hot_key_reloads"] * RATE * DELTA_S, rel=0.1)


def test_single_flight_makes_it_one_read_per_expiry_per_app_server():
    one = stampede({"kind": "single-flight"})
    assert one["hot_key_reads_per_reload"] == pytest.approx(1.0, abs=0.02)
    # With S servers each sees λδ/S reads during the reload: each of the other S - 1
    # loads too unless none of its readers arrives in that time.
    servers = 4
    s = stampede({"kind": "single-flight"}, servers=servers)
    expected = 1 + (servers - 1) * (1 - math.exp(-RATE * DELTA_S / servers))
    assert s["hot_key_reads_per_reload"] == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_xfetch_recomputes_about_e_to_the_one_over_beta_times_per_expiry(beta):
    """λδ = 50 reads per reload time (the paper's "high request rate"); nothing waits."""
    s = stampede({"kind": "xfetch", "beta": beta})
    assert s["hot_key_reloads"] > 250
    assert s["hot_key_reads_per_reload"] == pytest.approx(math.exp(1 / beta), rel=0.15)
    assert s["waits"] == 0 and s["hit_ratio"] > 0.99  # recomputed before expiry


def test_stale_while_revalidate_serves_every_read_and_reloads_once_per_expiry():
    s = stampede({"kind": "stale-while-revalidate", "swr_s": 1.0})
    assert s["hot_key_reads_per_reload"] == 1.0
    assert s["misses"] == 0 and s["latency_p99_ms"] == pytest.approx(0.5, rel=0.02)
    assert s["refreshes"] == s["hot_key_db_reads"]


def test_a_lease_closes_the_cache_aside_race_and_a_lock_does_not():
    """The race: a slow read of the old row stores it after a write deleted the key.
    With a lease, the write invalidates the reader's lease and its set is refused, so
    nothing is ever staler than the write path's own gap (one 0.5 ms round trip)."""
    leased = run(racing(), protections=[{"kind": "lease"}])
    locked = run(racing(), protections=[{"kind": "lock"}])
    assert leased["staleness_max_s"] <= 0.0005 + 1e-12
    assert locked["staleness_max_s"] > 1.0


def slow_database(on_timeout: str) -> dict:
    """A hot key whose reload takes 200 ms while waiters give up after 50 ms."""
    return stampede({"kind": "lock", "lock_timeout_ms": 50.0, "on_timeout": on_timeout,
                     "poll_ms": 5.0}, ttl_s=1.0, **{"database.latency_ms": 200.0})


def test_a_lock_waiter_that_times_out_does_what_on_timeout_says():
    error, load, stale = (slow_database(k) for k in ("error", "load", "stale"))
    # error: the waiters fail at 50 ms; load: they query the database themselves.
    # (a read's latency: the lookup and the write-back round trips, 1 ms, then the wait)
    assert error["timeouts"] > 100 and error["hot_key_reads_per_reload"] == pytest.approx(1.0)
    assert error["latency_p99_ms"] == pytest.approx(1.0 + 50.0, rel=0.02)
    assert load["timeouts"] == 0 and load["hot_key_reads_per_reload"] > 10
    # stale: the expired value is served at 50 ms, and only the holder reads the database.
    assert stale["timeouts"] == 0 and stale["hot_key_reads_per_reload"] == pytest.approx(1.0)
    assert stale["latency_p99_ms"] == pytest.approx(1.0 + 50.0, rel=0.02)


def test_every_read_is_answered_exactly_once_under_every_protection():
    for kind in ("lock", "lease", "single-flight", "xfetch", "stale-while-revalidate"):
        scenario = sc.Scenario.from_dict({
            "seed": 2, "workload": {"keys": 50, "rate_rps": 3_000.0, "requests": 20_000,
                                    "warmup_requests": 2_000, "app_servers": 3,
                                    "write_ratio": 0.05},
            "tiers": [{"name": "local", "capacity": 10, "ttl_s": 0.3, "scope": "per-server"},
                      {"name": "redis", "capacity": 40, "ttl_s": 0.5}],
            "database": {"latency_ms": 20.0, "concurrency": 4, "timeout_ms": 100.0},
            "protections": [{"kind": kind}]})
        sim = Simulation(scenario)
        s = sim.run().summary
        assert sim.recorder.total.latency.n == s["reads"], kind
        assert s["hits"] + s["misses"] == s["reads"], kind


# -- penetration --------------------------------------------------------------------------

def penetration(*protections: dict, **workload) -> dict:
    data = {
        "seed": 5,
        "workload": {"keys": 2_000, "rate_rps": 2_000.0, "requests": 200_000,
                     "warmup_requests": 20_000, "missing_ratio": 0.3, "missing_keys": 2_000,
                     **workload},
        "tiers": [{"name": "redis", "capacity": 10_000, "ttl_s": 600.0}],
        "database": {"latency_ms": 5.0, "concurrency": 64},
        "protections": list(protections),
    }
    return run(data)


def test_reads_of_missing_keys_all_reach_the_database_without_protection():
    s = penetration()
    missing_reads = s["reads"] * 0.3
    assert s["db_not_found"] == pytest.approx(missing_reads, rel=0.03)
    assert s["db_reads"] - s["db_not_found"] < 2_000  # the keys that exist are cached


def test_a_negative_cache_cuts_missing_key_reads_by_the_ttl_formula():
    ttl = 5.0
    plain = penetration()
    s = penetration({"kind": "negative-cache", "negative_ttl_s": ttl})
    per_key = 2_000.0 * 0.3 / 2_000  # reads per second of each missing id
    expected = 1 / (1 + per_key * ttl)  # the share that still misses: 1 - λT/(1 + λT)
    assert s["db_not_found"] / plain["db_not_found"] == pytest.approx(expected, rel=0.05)


def test_a_bloom_filter_lets_through_only_its_false_positives():
    plain = penetration(missing_keys=200_000)
    for bits, hashes in ((10.0, 7), (4.0, 2)):
        s = penetration({"kind": "bloom", "bits_per_key": bits, "hashes": hashes},
                        missing_keys=200_000)
        theory = false_positive_ratio(bits, hashes)
        assert s["bloom_false_positive_ratio"] == pytest.approx(theory, rel=0.2)
        assert s["db_not_found"] / plain["db_not_found"] == pytest.approx(theory, rel=0.25)
        assert s["bloom_rejected"] > 0.6 * plain["db_not_found"]
        assert s["tier.redis.lookups"] == s["reads"] - s["bloom_rejected"]


# -- hot keys: tiers with nodes -----------------------------------------------------------

def clustered(keys: int = 1_000, **tier) -> sc.Result:
    """Capacity for every key, no TTL, no writes: after warm-up nearly every read is a
    lookup at a node of the one shared tier that hits."""
    return sc.run(sc.Scenario.from_dict({
        "seed": 8,
        "workload": {"keys": keys, "zipf_alpha": 1.0, "rate_rps": 8_000.0,
                     "requests": 200_000, "warmup_requests": 20_000},
        "tiers": [{"name": "redis", "capacity": 1_000, "latency_ms": 0.5, **tier}],
    }))


def test_a_node_queues_like_m_d_1():
    """One node serving 10,000 lookups/s, Poisson arrivals at 8,000/s: the mean wait is
    Pollaczek-Khinchine's ρ/(2μ(1 − ρ)) = 0.2 ms for constant service."""
    result = clustered(keys=100, nodes=1, node_ops_per_s=10_000.0)
    rho, mu = 0.8, 10_000.0
    wait_ms = 1000 * rho / (2 * mu * (1 - rho))
    assert result.summary["hit_ratio"] == 1.0
    assert result.summary["latency_mean_ms"] == pytest.approx(0.5 + wait_ms, rel=0.05)
    node = result.nodes.iloc[0]
    assert node["ops_per_s"] == pytest.approx(8_000.0, rel=0.02)
    assert node["utilization"] == pytest.approx(rho, rel=0.02)


def test_a_hot_key_saturates_its_node_and_slows_every_key_on_it():
    result = clustered(nodes=8, node_ops_per_s=1_500.0)
    nodes = result.nodes.set_index("node")
    hot = result.nodes["ops_per_s"].idxmax()  # key 0's node (ids 0..7 are the rows)
    assert nodes.loc[hot, "utilization"] > 0.9
    assert nodes.loc[hot, "latency_p99_ms"] > 10 * nodes.drop(hot)["latency_p99_ms"].max()
    assert set(result.nodes.columns) == {"tier", "node", "ops_per_s", "utilization",
                                         "latency_p99_ms"}
    assert f"busiest is node {hot}" in result.table()


def test_keys_spread_over_nodes_by_a_hash_not_in_stripes():
    """Consecutive ids (popularity ranks) must not land on consecutive nodes in turn."""
    from simcache.model.tiers import Nodes
    spec = sc.Tier(name="r", nodes=8, node_ops_per_s=1_000.0)
    nodes = Nodes(spec, 1, 10_000)
    placed = [nodes.node_of(key) for key in range(10_000)]
    assert placed[:8] != [key % 8 for key in range(8)]
    counts = np.bincount(placed, minlength=8)
    assert counts.min() > 0.9 * 10_000 / 8  # and evenly, over many keys


@pytest.mark.parametrize("spread", ["hot_key_split", "hot_key_replicas"])
def test_splitting_or_replicating_a_hot_key_spreads_its_load_evenly(spread):
    """One key only: with S shards (or replicas) on S of the nodes, each gets 1/S."""
    result = sc.run(sc.Scenario.from_dict({
        "seed": 8, "workload": {"keys": 1, "rate_rps": 8_000.0, "requests": 100_000,
                                "warmup_requests": 1_000},
        "tiers": [{"name": "redis", "capacity": 10, "nodes": 6, "node_ops_per_s": 4_000.0,
                   "hot_keys": 1, spread: 4}]}))
    ops = result.nodes["ops_per_s"]
    busy = ops[ops > 0]
    assert len(busy) == 4
    assert busy.to_numpy() == pytest.approx([2_000.0] * 4, rel=0.03)


def test_a_local_tier_in_front_takes_the_hot_keys_off_the_nodes():
    bare = clustered(nodes=8, node_ops_per_s=1_500.0)
    local = clustered(nodes=8, node_ops_per_s=1_500.0).scenario.with_values({})
    shielded = sc.run(local.model_copy(update={"tiers": (
        sc.Tier(name="local", capacity=50, latency_ms=0.05),
        *local.tiers)}))
    assert shielded.nodes["utilization"].max() < 0.6 < bare.nodes["utilization"].max()
    assert shielded.summary["latency_p99_ms"] < bare.summary["latency_p99_ms"] / 5


def test_the_theory_helpers_give_the_formulas_the_tests_above_use():
    from simcache.analysis import theory
    assert theory.stampede_reads_per_reload(RATE, DELTA_S) == 1 + RATE * DELTA_S
    assert theory.stampede_reads_per_reload(RATE, DELTA_S, servers=1, coalesced=True) == 1.0
    assert theory.xfetch_recomputations_per_expiry(1.0) == pytest.approx(math.e)
    assert theory.bloom_false_positive_ratio(10, 7) == false_positive_ratio(10, 7)
    assert theory.md1_wait_s(8_000, 10_000) == pytest.approx(0.0002)
    assert theory.md1_wait_s(10_000, 10_000) == math.inf


def test_the_failure_presets_show_their_failure_and_a_protection_fixes_it():
    stampede = sc.preset("stampede")
    s = sc.run(stampede).summary
    assert s["hot_key_reads_per_reload"] > 10
    locked = sc.run(stampede.with_values({"protections": [{"kind": "lock"}]})).summary
    assert locked["hot_key_reads_per_reload"] == pytest.approx(1.0, abs=0.05)
    penetration = sc.preset("penetration")
    s = sc.run(penetration).summary
    assert s["db_not_found"] > 0.25 * s["reads"]
    bloomed = sc.run(penetration.with_values({"protections": [{"kind": "bloom"}]})).summary
    assert bloomed["db_not_found"] < 0.02 * s["db_not_found"]
    hot = sc.run(sc.preset("hot-key"))
    assert hot.nodes["utilization"].max() > 0.8


def test_a_lease_is_invalidated_by_every_write_that_touches_the_cache():
    """Write-behind stores the new value instead of deleting it: a reader holding a lease
    from before must not overwrite it with the old row it read."""
    for write in ("invalidate", "write-through", "write-behind"):
        leased = run(racing(write), protections=[{"kind": "lease"}])
        assert leased["staleness_max_s"] <= 0.0005 + 1e-12, write


def test_the_peak_counts_each_fine_window_in_its_own_interval_and_never_warm_up():
    """A batch warmed during warm-up (1,000 rows in one query at 0 s) is no peak of the
    measured run, even when no read follows it for seconds."""
    result = sc.run(sc.Scenario.from_dict({
        "seed": 1, "workload": {"keys": 1_000, "rate_rps": 1_000.0, "requests": 30_000,
                                "warmup_requests": 2_000},
        "tiers": [{"name": "redis", "capacity": 1_000, "ttl_s": 10.0}],
        "faults": [{"kind": "warm", "top_k": 1_000, "at_s": 0.0}],
        "metrics": {"peak_window_s": 0.05}}))
    ts = result.timeseries
    assert result.summary["peak_db_reads_per_s"] < 1_000 / 0.05 / 10
    assert result.summary["peak_db_reads_per_s"] == ts["peak_db_reads_per_s"].max()
    # the first reloads come when the warmed entries expire at 10 s, not before
    assert (ts.loc[ts["time_s"] < 9.5, "peak_db_reads_per_s"] == 0).all()
