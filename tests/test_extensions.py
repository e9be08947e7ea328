"""The contract every read strategy, write strategy and protection keeps.

Each registered one (and two small protections defined here, for the hooks the shipped
ones do not use yet) must: give the same summary for the same seed, keep the counts
consistent (hits + misses = reads, each tier sees what the nearer ones missed, rows add
up to the summary), and leave plain hits without any simpy event.
"""

from __future__ import annotations

from typing import Literal

import pytest
from measure import EventCounter

import simcache as sc
from simcache.engine import Simulation
from simcache.protections import PROTECTIONS, Protection, ProtectionOptions
from simcache.strategies import READ_STRATEGIES, WRITE_STRATEGIES

# -- two protections for tests ----------------------------------------------------------


class RefuseOddOptions(ProtectionOptions):
    kind: Literal["test-refuse-odd"] = "test-refuse-odd"


class RefuseOdd(Protection):
    """Test only: refuses to cache odd keys (an admission filter on fill)."""

    name = "test-refuse-odd"
    Options = RefuseOddOptions

    def on_fill(self, key, version, server, now):
        return key % 2 == 0


class CoalesceOptions(ProtectionOptions):
    kind: Literal["test-coalesce"] = "test-coalesce"


class Coalesce(Protection):
    """Test only: concurrent misses of one key wait for the load already in flight."""

    name = "test-coalesce"
    Options = CoalesceOptions

    def on_miss(self, key, t, server, measured):
        if self.ctx.flights.join(key, (t, measured)):
            return True  # a waiter: the load in flight will answer it
        self.ctx.flights.begin(key, t)
        return False     # the read strategy loads it

    def on_fill(self, key, version, server, now):
        for t0, measured in self.ctx.flights.end(key):
            self.ctx.read_done(key, t0, now, version, measured)
        return True


@pytest.fixture(autouse=True, scope="module")
def test_protections():
    for cls in (RefuseOdd, Coalesce):
        PROTECTIONS.register(cls)
    yield
    for cls in (RefuseOdd, Coalesce):
        PROTECTIONS.unregister(cls.name)


def scenario(read="cache-aside", write="invalidate", protections=(), tiers=None, **changes):
    base = {
        "seed": 9,
        "workload": {"keys": 300, "rate_rps": 2_000.0, "requests": 6_000,
                     "warmup_requests": 1_000, "write_ratio": 0.1, "app_servers": 2},
        "tiers": [{"name": "local", "capacity": 30, "scope": "per-server"},
                  {"name": "shared", "capacity": 150, "eviction": "redis-lru", "ttl_s": 1.0}],
        "database": {"latency_ms": 5.0, "concurrency": 4},
        "strategy": {"read": read, "write": write},
        "protections": [{"kind": k} for k in protections],
    }
    if tiers is not None:
        base["tiers"] = tiers
    for path, value in changes.items():
        section, name = path.split("__")
        base[section][name] = value
    return sc.Scenario.from_dict(base)


def count_events(monkeypatch, scenario: sc.Scenario) -> tuple[dict, int]:
    """Run ``scenario``; return its summary and the simpy events scheduled after warm-up."""
    counter = EventCounter(monkeypatch)
    summary = sc.run(scenario).summary
    return summary, counter.after_warmup


def check_counts(scenario: sc.Scenario, result: sc.Result) -> None:
    s, ts = result.summary, result.timeseries
    assert s["hits"] + s["misses"] == s["reads"]
    assert s["reads"] + s["writes"] == s["requests"] == 5_000
    lookups = s["reads"]
    lookups -= s["bloom_rejected"]  # answered before any tier was asked
    for tier in scenario.tiers:
        assert s[f"tier.{tier.name}.lookups"] == lookups
        lookups -= s[f"tier.{tier.name}.hits"]
    assert lookups == s["misses"] - s["bloom_rejected"]
    for column in ("requests", "hits", "misses", "writes", "stale_reads", "evictions",
                   "db_not_found"):
        assert ts[column].sum() == s[column], column
    assert 0 <= s["stale_reads"] <= s["reads"]


READS = list(READ_STRATEGIES)
WRITES = list(WRITE_STRATEGIES)


def protection_cases() -> list[tuple[str, ...]]:
    return [(), *((name,) for name in PROTECTIONS), ("test-coalesce", "test-refuse-odd"),
            ("bloom", "negative-cache", "lock"), ("stale-while-revalidate", "single-flight"),
            ("xfetch", "lease", "negative-cache")]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("read", READS)
def test_every_strategy_pair_keeps_the_contract(read, write, monkeypatch):
    chosen = scenario(read, write)
    first = sc.run(chosen)
    assert sc.run(scenario(read, write)).summary == first.summary  # same seed, same run
    check_counts(chosen, first)
    # The event budget: a database query costs one event (its service time); a write one
    # more (its tiers updated a round trip later) and one per pub/sub delivery; hits none.
    summary, events = count_events(monkeypatch, chosen)
    assert events <= (summary["db_reads"] + summary["db_writes"] + 2 * summary["writes"]
                      + summary["refreshes"])
    assert summary["hits"] > 1_000
    cached, events = count_events(monkeypatch, all_cached(read=read, write=write))
    assert cached["hits"] == cached["reads"] and events == 0


@pytest.mark.parametrize("names", protection_cases(), ids=lambda n: "+".join(n) or "none")
def test_every_protection_keeps_the_contract(names, monkeypatch):
    # 5 % of reads ask for keys that do not exist, for the protections against them.
    chosen = scenario(protections=names, workload__missing_ratio=0.05)
    sim = Simulation(chosen)
    first = sim.run()
    assert sc.run(scenario(protections=names, workload__missing_ratio=0.05)).summary \
        == first.summary
    check_counts(chosen, first)
    # every read is answered exactly once (its latency recorded), whoever answers it
    assert sim.recorder.total.latency.n == first.summary["reads"]
    # The event budget: a query one, a write two, and a reader that waits for another's
    # load at most one (its wake-up).
    summary, events = count_events(monkeypatch, chosen)
    assert events <= (summary["db_reads"] + summary["db_writes"] + 2 * summary["writes"]
                      + summary["waits"])
    # With every key cached, the only events are the loads a protection forces (none,
    # unless it refuses fills): hits themselves cost nothing.
    cached, events = count_events(monkeypatch, all_cached(protections=names))
    assert events == cached["db_reads"]


def all_cached(read="cache-aside", write="invalidate", protections=()) -> sc.Scenario:
    """100 equally popular keys, all cached by the end of warm-up, no writes: every
    measured read is a plain hit, and must schedule no event."""
    return scenario(read, write, protections,
                    tiers=[{"name": "local", "capacity": 100, "scope": "per-server"},
                           {"name": "shared", "capacity": 100}],
                    workload__keys=100, workload__popularity="uniform",
                    workload__write_ratio=0.0, workload__warmup_requests=3_000)


def test_hooks_run_where_they_should():
    plain = sc.run(scenario()).summary
    odd = sc.run(scenario(protections=["test-refuse-odd"])).summary
    # Odd keys are never stored, so every read of one misses: the hit ratio drops.
    assert odd["hit_ratio"] < plain["hit_ratio"] - 0.1
    assert odd["tier.local.entries"] > 0


def test_coalescing_on_the_flights_table_cuts_database_reads_under_a_burst():
    """No cache, few keys, a slow database: many misses of one key overlap, and with
    coalescing only the first of each loads; the others wait at no event's cost."""
    burst = dict(tiers=[], workload__keys=20, workload__rate_rps=5_000.0,
                 workload__write_ratio=0.0, database__latency_ms=50.0, database__concurrency=64)
    plain = sc.run(scenario(**burst)).summary
    sim = Simulation(scenario(protections=["test-coalesce"], **burst))
    coalesced = sim.run().summary
    assert coalesced["misses"] == pytest.approx(plain["misses"], rel=0.2)
    assert coalesced["db_reads"] < plain["db_reads"] / 3
    assert sim.flights.joined > coalesced["misses"] / 2 and len(sim.flights) == 0
    # every waiter was answered: its latency counts like any other read's
    assert coalesced["reads"] == coalesced["hits"] + coalesced["misses"]


def test_unknown_kinds_and_names_are_scenario_errors():
    with pytest.raises(sc.ScenarioError) as err:
        scenario(protections=["test-coalesse"])
    assert err.value.field == "protections.0.kind"
    assert "did you mean 'test-coalesce'" in str(err.value)
    with pytest.raises(sc.ScenarioError) as err:
        scenario(read="read-behind")
    assert err.value.field == "strategy.read"
    with pytest.raises(sc.ScenarioError) as err:
        sc.Scenario.from_dict({"protections": [{"kind": "test-refuse-odd", "x": 1}]})
    assert err.value.field == "protections.0.x"
