"""Named scenarios that the notebooks and the CLI start from."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ScenarioError, did_you_mean
from .schema import Scenario, Tier, Workload, default_tiers


def _default() -> Scenario:
    return Scenario()


def _no_cache() -> Scenario:
    return Scenario(tiers=())


def _app_local() -> Scenario:
    return Scenario(tiers=(Tier(name="local", capacity=1_000, eviction="lru", latency_ms=0.05),))


def _two_tier() -> Scenario:
    return Scenario(tiers=default_tiers())


def _workshop() -> Scenario:
    workload = Workload(keys=5_000, requests=20_000, warmup_requests=5_000, rate_rps=1_000.0)
    return Scenario(workload=workload, tiers=(
        Tier(name="local", capacity=100, eviction="lru", latency_ms=0.05),
        Tier(name="redis", capacity=1_000, eviction="redis-lru", latency_ms=0.5),
    ))


def _cache_aside_race() -> Scenario:
    # 20 keys, each read 9 times and written once a second, and 20 ms reads: now and then a
    # write commits and deletes its key while a read of the old row is still running, and
    # the read then stores the old value, stale until the next write or its 60 s TTL.
    return Scenario.from_dict({
        "seed": 3,
        "workload": {"keys": 20, "popularity": "uniform", "rate_rps": 200.0,
                     "requests": 40_000, "warmup_requests": 2_000, "write_ratio": 0.1},
        "tiers": [{"name": "redis", "capacity": 100, "eviction": "lru", "ttl_s": 60.0,
                   "latency_ms": 0.5}],
        "database": {"latency_ms": 20.0, "concurrency": 32},
        "metrics": {"trace_keys": [0]},
    })


def _stampede() -> Scenario:
    # Key 0 takes about 13 % of 5,000 reads/s over four app servers, and every key expires
    # 2 s after it is loaded: each expiry of key 0 sends the reads arriving during its
    # reload (20 ms, always: a constant service time) to the database too, about
    # 1 + 670 × 0.02 = 14 per expiry.
    return Scenario.from_dict({
        "seed": 3,
        "workload": {"keys": 1_000, "zipf_alpha": 1.0, "rate_rps": 5_000.0,
                     "requests": 100_000, "warmup_requests": 10_000, "app_servers": 4},
        "tiers": [{"name": "redis", "capacity": 1_000, "ttl_s": 2.0, "latency_ms": 0.5}],
        "database": {"latency_ms": 20.0, "concurrency": 64, "service": "constant"},
        "metrics": {"peak_window_s": 0.02},
    })


def _penetration() -> Scenario:
    # 30 % of reads ask for one of 100,000 ids that have no row: each goes to the database.
    return Scenario.from_dict({
        "seed": 5,
        "workload": {"keys": 2_000, "rate_rps": 2_000.0, "requests": 60_000,
                     "warmup_requests": 10_000, "missing_ratio": 0.3,
                     "missing_keys": 100_000},
        "tiers": [{"name": "redis", "capacity": 5_000, "ttl_s": 600.0}],
        "database": {"latency_ms": 5.0, "concurrency": 16},
    })


def _hot_key() -> Scenario:
    # 8,000 lookups/s over a Redis cluster of 8 nodes of 2,000 lookups/s each: half busy on
    # average, but key 0 alone asks its node for about 1,000/s on top of its share of the
    # rest, so that node runs near its limit and every key on it waits.
    return Scenario.from_dict({
        "seed": 8,
        "workload": {"keys": 1_000, "zipf_alpha": 1.0, "rate_rps": 8_000.0,
                     "requests": 120_000, "warmup_requests": 40_000},
        "tiers": [{"name": "redis", "capacity": 1_000, "latency_ms": 0.5, "nodes": 8,
                   "node_ops_per_s": 2_000.0}],
    })


def _waterfall() -> Scenario:
    # A shop: hashed static assets (a new version is a new file name, and only a deploy
    # makes one, so they take no writes), a public product API that browsers keep 10 s
    # and the CDN 60 s, and private account pages; 300 browsers behind 3 CDN PoPs, each
    # 20 ms away and 60 ms from the application.
    return Scenario.from_dict({
        "seed": 2,
        "workload": {
            "keys": 2_000, "rate_rps": 500.0, "requests": 60_000, "warmup_requests": 10_000,
            "write_ratio": 0.01, "clients": 300, "value_bytes": 2_000,
            "content": [
                {"name": "static", "share": 0.3,
                 "cache_control": "public, max-age=31536000, immutable",
                 "versioned_url": True, "writable": False, "body_bytes": 20_000},
                {"name": "product", "share": 0.5,
                 "cache_control": "public, max-age=10, s-maxage=60",
                 "tags": ["product-{key}", "products"], "path": "/api/products/{key}"},
                {"name": "account", "share": 0.2, "cache_control": "private, no-store",
                 "etag": False, "body_bytes": 5_000}]},
        "tiers": [
            {"name": "browser", "scope": "per-client", "capacity": 200, "latency_ms": 0.0},
            {"name": "cdn", "scope": "per-pop", "pops": 3, "capacity": 1_000,
             "latency_ms": 20.0, "origin_latency_ms": 60.0},
            {"name": "local", "scope": "per-server", "capacity": 100, "ttl_s": 5.0,
             "latency_ms": 0.05},
            {"name": "redis", "capacity": 1_000, "eviction": "redis-lru", "ttl_s": 60.0,
             "latency_ms": 0.5}],
    })


#: name -> (one-line description, factory); the CLI and ``preset()`` read this table.
PRESETS: dict[str, tuple[str, Callable[[], Scenario]]] = {
    "default": ("the built-in Scenario(): 50k requests, local LRU → Redis → DB", _default),
    "no-cache": ("every read goes to the database: the baseline to beat", _no_cache),
    "app-local": ("one in-process LRU of 1,000 entries in front of the database", _app_local),
    "two-tier": ("in-process LRU (200) in front of Redis (2,000) in front of the DB", _two_tier),
    "workshop": ("small and fast (20k requests, 5k keys) for live sessions and tests",
                 _workshop),
    "cache-aside-race": ("slow reads racing frequent writes: old values stored after a "
                         "delete (traces key 0)", _cache_aside_race),
    "stampede": ("a hot key expiring every 2 s under 5,000 reads/s: add protections",
                 _stampede),
    "penetration": ("30 % of reads ask for keys that do not exist: add negative-cache or "
                    "bloom", _penetration),
    "hot-key": ("a Redis cluster of 8 nodes where the hottest key saturates its node",
                _hot_key),
    "waterfall": ("browser → CDN → in-process → Redis → DB for a shop's static assets, "
                  "product API and private pages", _waterfall),
}


def preset(name: str) -> Scenario:
    """The named scenario; an unknown name raises ScenarioError listing the names."""
    try:
        _, factory = PRESETS[name]
    except (KeyError, TypeError):
        raise ScenarioError("preset", name, f"unknown preset; {did_you_mean(name, PRESETS)}"
                            f"allowed: {', '.join(PRESETS)}") from None
    return factory()
