"""Invariants that hold for every scenario, checked on many small random ones (Hypothesis)."""

from __future__ import annotations

import contextlib
import copy
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simcache as sc
from simcache.metrics.recorder import AUTO_ROW_LIMIT
from simcache.scenario import field_rule

FAST = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TIER_NAMES = ["local", "redis", "cdn", "edge-1", "L2_b"]
SECTION_FIELDS = {
    "workload": ["keys", "popularity", "zipf_alpha", "hot_key_fraction", "hot_traffic_fraction",
                 "rate_rps", "requests", "duration_s", "warmup_requests", "write_ratio",
                 "app_servers"],
    "database": ["latency_ms", "concurrency", "service", "timeout_ms"],
    "strategy": ["read", "write"],
    "metrics": ["interval_s"],
}
TIER_FIELDS = ["name", "capacity", "eviction", "ttl_s", "ttl_jitter", "latency_ms", "samples",
               "lru_clock_ms", "scope", "inherit_ttl"]


def _float(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def valid_dicts(draw, max_requests: int = 1_500):
    """A complete, valid scenario dict, small enough to run in a few milliseconds."""
    n_tiers = draw(st.integers(0, 3))
    names = draw(st.lists(st.sampled_from(TIER_NAMES), min_size=n_tiers, max_size=n_tiers,
                          unique=True))
    tiers = [{
        "name": name,
        "capacity": draw(st.integers(0, 300)),
        "eviction": draw(st.sampled_from(list(sc.POLICIES))),
        "ttl_s": draw(st.none() | _float(0.001, 5.0)),
        "ttl_jitter": draw(st.just(0.0) | _float(0.0, 1.0)),
        "latency_ms": draw(_float(0.0, 5.0)),
        "samples": draw(st.integers(1, 64)),
        "lru_clock_ms": draw(st.sampled_from([0.0, 1000.0]) | _float(0.0, 5_000.0)),
        "scope": draw(st.sampled_from(["shared", "per-server"])),
        "inherit_ttl": draw(st.booleans()),
    } for name in names]
    rate = draw(_float(50.0, 5_000.0))
    if draw(st.booleans()):
        requests = draw(st.integers(2, max_requests))
        length = {"requests": requests, "duration_s": None,
                  "warmup_requests": draw(st.integers(0, requests - 1))}
    else:
        # At least 40 arrivals expected; warm-up at most a quarter of them, so running out
        # of arrivals before the warm-up ends is a ~1e-8 event.
        duration = draw(_float(40.0 / rate, max_requests / rate))
        length = {"requests": None, "duration_s": duration,
                  "warmup_requests": draw(st.integers(0, int(rate * duration / 4)))}
    span_s = (length["requests"] or 0) / rate + (length["duration_s"] or 0)
    faults = []
    if names and draw(st.booleans()):
        faults.append({"kind": "flush", "at_s": draw(_float(0.0, span_s)),
                       "tier": draw(st.sampled_from(names))})
    if draw(st.booleans()):
        start = draw(_float(0.0, span_s))
        faults.append({"kind": "db-slowdown", "at_s": start,
                       "until_s": start + draw(_float(0.001, span_s + 0.001)),
                       "factor": draw(_float(0.1, 20.0))})
    return {
        "seed": draw(st.integers(0, 2**32)),
        "workload": {
            "keys": draw(st.integers(1, 500)),
            "popularity": draw(st.sampled_from(["zipf", "uniform", "hotspot"])),
            "zipf_alpha": draw(_float(0.0, 2.5)),
            "hot_key_fraction": draw(_float(0.01, 1.0)),
            "hot_traffic_fraction": draw(_float(0.0, 1.0)),
            "rate_rps": rate,
            **length,
            "write_ratio": draw(st.just(0.0) | _float(0.0, 1.0)),
            "app_servers": draw(st.integers(1, 3)),
        },
        "tiers": tiers,
        "database": {"latency_ms": draw(_float(0.01, 30.0)),
                     "concurrency": draw(st.integers(1, 16)),
                     "service": draw(st.sampled_from(["exponential", "constant"])),
                     "timeout_ms": draw(st.none() | _float(0.1, 100.0))},
        "strategy": {"read": "cache-aside", "write": "invalidate"},
        "metrics": {"interval_s": draw(st.none() | _float(0.05, 2.0))},
        "protections": [],
        "faults": faults,
    }


def check_invariants(scenario: sc.Scenario, result: sc.Result) -> None:
    s, ts = result.summary, result.timeseries
    assert s["hits"] + s["misses"] == s["reads"]
    assert s["reads"] + s["writes"] == s["requests"]
    assert 0.0 <= s["hit_ratio"] <= 1.0
    # cache-aside: every miss is one database read, every write one database write. The
    # database counts queries it starts while measuring: warm-up's queries still waiting
    # then count too, and queries that time out before starting do not.
    warmup = scenario.workload.warmup_requests
    assert s["misses"] - s["timeouts"] <= s["db_reads"] <= s["misses"] + warmup
    assert s["writes"] - s["timeouts"] <= s["db_writes"] <= s["writes"] + warmup
    if scenario.database.timeout_ms is None:
        assert s["timeouts"] == 0
    assert 0 <= s["timeouts"] <= s["requests"]
    assert 0 <= s["stale_reads"] <= s["reads"]
    if scenario.workload.write_ratio == 0:
        assert s["writes"] == 0
        assert s["stale_reads"] == 0
    if scenario.workload.requests is not None:
        assert s["requests"] == scenario.workload.requests - scenario.workload.warmup_requests
    lookups, tier_hits, evictions, expirations = s["reads"], 0, 0, 0
    for tier in scenario.tiers:
        p = f"tier.{tier.name}."
        assert s[p + "lookups"] == lookups  # a tier sees what the nearer tiers missed
        assert 0 <= s[p + "hits"] <= lookups
        instances = scenario.workload.app_servers if tier.scope == "per-server" else 1
        assert 0 <= s[p + "entries"] <= tier.capacity * instances
        if tier.ttl_s is None and not tier.inherit_ttl:  # (a copy can inherit a TTL)
            assert s[p + "expirations"] == 0
        lookups -= s[p + "hits"]
        tier_hits += s[p + "hits"]
        evictions += s[p + "evictions"]
        expirations += s[p + "expirations"]
        if len(ts):
            assert ts[p + "entries"].between(0, tier.capacity * instances).all()
            assert (ts[p + "evictions"] >= 0).all()
    assert tier_hits == s["hits"]
    assert lookups == s["misses"]
    assert (s["evictions"], s["expirations"]) == (evictions, expirations)
    if not scenario.tiers:
        assert s["hits"] == 0
    for key in ("latency_mean_ms", "latency_p50_ms", "latency_p99_ms", "db_wait_mean_ms",
                "db_utilization", "duration_s"):
        assert math.isfinite(s[key]) and s[key] >= 0, key
    assert s["db_utilization"] <= 1.0 + 1e-9  # busy time fits in connections x elapsed time
    if s["reads"]:
        assert s["latency_p50_ms"] <= s["latency_p95_ms"] <= s["latency_p99_ms"]
        assert s["latency_p99_ms"] <= s["latency_max_ms"] * 1.0000001
    # The time series adds up to the summary, row by row, and its rows are aligned:
    # row i starts exactly at t0 + i * interval.
    if len(ts):
        for column in ("requests", "reads", "writes", "hits", "misses", "stale_reads",
                       "evictions", "expirations", "timeouts"):
            assert ts[column].sum() == s[column], column
        for rate, total in (("db_reads_per_s", "db_reads"), ("db_writes_per_s", "db_writes")):
            per_row = (ts[rate] * ts["interval_s"]).fillna(0).round()
            assert per_row.sum() == s[total], rate
        assert (ts["hits"] + ts["misses"] == ts["reads"]).all()
        t0 = ts["time_s"].iloc[0]
        width = ts["time_s"].iloc[1] - t0 if len(ts) > 1 else ts["interval_s"].iloc[0]
        ends = ts["time_s"] + ts["interval_s"]
        assert np.allclose(ts["interval_s"].iloc[:-1], width, rtol=1e-9, atol=1e-12)
        assert np.allclose(ts["time_s"], [t0 + i * width for i in range(len(ts))],
                           rtol=1e-12, atol=1e-12)
        assert np.allclose(ends.iloc[:-1], ts["time_s"].iloc[1:], rtol=1e-12, atol=1e-12)
        assert ts["interval_s"].iloc[-1] <= width * (1 + 1e-9)
        if scenario.metrics.interval_s is None:
            assert len(ts) < AUTO_ROW_LIMIT
    else:
        assert s["requests"] == 0


@FAST
@given(data=valid_dicts())
def test_valid_scenarios_run_and_keep_every_invariant(data):
    scenario = sc.Scenario.from_dict(data)
    assert sc.Scenario.from_dict(scenario.to_dict()) == scenario
    check_invariants(scenario, sc.run(scenario))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=valid_dicts(max_requests=800))
def test_same_seed_gives_identical_summary_and_timeseries(data):
    scenario = sc.Scenario.from_dict(data)
    first, second = sc.run(scenario), sc.run(sc.Scenario.from_dict(data))
    assert first.summary == second.summary
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)


@FAST
@given(data=valid_dicts(), write_ratio=_float(0.05, 0.6))
def test_stale_reads_stay_within_reads_when_there_are_writes(data, write_ratio):
    data["workload"]["write_ratio"] = write_ratio
    scenario = sc.Scenario.from_dict(data)
    result = sc.run(scenario)
    check_invariants(scenario, result)
    s = result.summary
    assert s["stale_reads"] <= s["reads"]
    assert 0.0 <= s["stale_ratio"] <= 1.0


# -- invalid input ------------------------------------------------------------------------

def _bad_values(path: str) -> list:
    """Values that the field at ``path`` must refuse, from its own validation rule."""
    if path == "seed":
        return [-1, 2**63, 1.5, True, None, "7"]
    if path.endswith(".name"):
        return ["", "9lives", "has space", "x" * 33, 5, None]
    rule = field_rule(path)
    bad: list = [[1], {"a": 1}]
    if not rule.optional:
        bad.append(None)
    if rule.kind is bool:
        return [*bad, "yes", 1, 0.0]
    if rule.kind is str:
        return [*bad, "no-such-choice", 3, True]
    bad += [True, False, "1"]
    if rule.low is not None:
        bad.append(rule.low if rule.low_open else rule.low - 1)
    if rule.high is not None:
        bad.append(rule.high + 1 if rule.kind is int else rule.high * 1.5 + 1)
    if rule.kind is int:
        bad.append((rule.low or 0) + 1.5)  # in range, but not whole
    else:
        bad += [math.nan, math.inf, -math.inf]
    return bad


@st.composite
def corrupted_dicts(draw):
    """A valid dict with exactly one thing wrong, and the field path the error must name."""
    data = draw(valid_dicts())
    paths = ["seed"] + [f"{section}.{name}" for section, names in SECTION_FIELDS.items()
                        for name in names]
    paths += [f"tiers.{i}.{name}" for i in range(len(data["tiers"])) for name in TIER_FIELDS]
    kind = draw(st.sampled_from(["value", "value", "value", "unknown key", "shape"]))
    if kind == "value":
        path = draw(st.sampled_from(paths))
        value = draw(st.sampled_from(_bad_values(path)))
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
        return data, path
    if kind == "unknown key":
        places = ["", *SECTION_FIELDS, *(f"tiers.{i}" for i in range(len(data["tiers"])))]
        place = draw(st.sampled_from(places))
        name = draw(st.sampled_from(["zipf_alpa", "capacty", "ttl", "colour", "Seed"]))
        node = data
        for part in place.split(".") if place else []:
            node = node[int(part)] if part.isdigit() else node[part]
        node[name] = 1
        return data, f"{place}.{name}" if place else name
    # The wrong shape: a section that is not a table, tiers that are not a list, or a
    # second tier with an existing name.
    choice = draw(st.sampled_from(["section", "tiers", "tier item", "duplicate"]))
    if choice == "section":
        section = draw(st.sampled_from(list(SECTION_FIELDS)))
        data[section] = draw(st.sampled_from([[1, 2], "text", 3]))
        return data, section
    if choice == "tiers":
        data["tiers"] = draw(st.sampled_from([{"name": "a"}, "redis", 5]))
        return data, "tiers"
    if choice == "tier item":
        data["tiers"].append(draw(st.sampled_from([3, "redis", [1]])))
        return data, f"tiers.{len(data['tiers']) - 1}"
    data["tiers"] = [{"name": "dup"}, {"name": "dup"}]
    return data, "tiers.1.name"


@settings(max_examples=300, deadline=None)
@given(case=corrupted_dicts())
def test_invalid_scenarios_raise_scenario_error_naming_the_field(case):
    data, path = case
    original = copy.deepcopy(data)
    try:
        sc.Scenario.from_dict(data)
    except sc.ScenarioError as err:
        assert err.field == path, (str(err), path)
        assert str(err).startswith(path)
    else:
        raise AssertionError(f"accepted a bad value at {path}: {data}")
    assert data == original or any(  # from_dict never changes its input (NaN != NaN)
        isinstance(v, float) and math.isnan(v) for v in _leaves(data))


def _leaves(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _leaves(v)
    elif isinstance(node, list):
        for v in node:
            yield from _leaves(v)
    else:
        yield node


@settings(max_examples=60, deadline=None)
@given(junk=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["seed", "workload", "tiers", "keys", "name", "capacity", "x"]),
        inner, max_size=3),
    max_leaves=8))
def test_arbitrary_junk_is_either_a_scenario_or_a_scenario_error(junk):
    with contextlib.suppress(sc.ScenarioError):  # any other exception fails the test
        sc.Scenario.from_dict(junk)
