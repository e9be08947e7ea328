"""Notebook 06's helpers: real memoisation counts what the simulator's replay counts,
a request-scoped memo loads each key once per request, and the sizing formulas."""

from __future__ import annotations

import functools

import cachetools
import numpy as np
import pytest

import simcache as sc
from simcache.course import patterns
from simcache.model.workload import popularity

ZIPF = sc.Scenario.from_dict({"seed": 3, "workload": {"keys": 500, "zipf_alpha": 0.9,
                                                      "requests": 4_000, "warmup_requests": 0,
                                                      "write_ratio": 0.1}})


def test_key_sequence_is_the_simulators_reads_in_order():
    keys = patterns.key_sequence(ZIPF)
    s = sc.run(ZIPF.with_values({"tiers": []})).summary
    assert len(keys) == s["reads"]
    assert patterns.key_sequence(ZIPF, 10) == keys[:10]
    timed = patterns.timed_keys(ZIPF, 50)
    assert [k for _, k in timed] == keys[:50]
    assert all(a < b for (a, _), (b, _) in zip(timed, timed[1:], strict=False))


@pytest.mark.parametrize("maxsize", [1, 10, 64, 300])
def test_functools_lru_cache_hits_what_the_lru_replay_hits(maxsize):
    keys = patterns.key_sequence(ZIPF)

    @functools.lru_cache(maxsize=maxsize)
    def load(key):
        return key

    for key in keys:
        load(key)
    assert load.cache_info().hits == sc.replay(keys, "lru", maxsize).hits


@pytest.mark.parametrize(("cls", "policy"), [(cachetools.LRUCache, "lru"),
                                             (cachetools.LFUCache, "lfu"),
                                             (cachetools.FIFOCache, "fifo")])
def test_cachetools_hits_what_the_replay_of_the_same_policy_hits(cls, policy):
    keys = patterns.key_sequence(ZIPF)
    for decorate in (patterns.cached_with_info, patterns.counting_cached):
        @decorate(cls(maxsize=50))
        def load(key):
            return key

        for key in keys:
            load(key)
        info = load.cache_info()
        assert info.hits == sc.replay(keys, policy, 50).hits
        assert info.hits + info.misses == len(keys)
        assert info.maxsize == 50 and info.currsize == 50


def test_a_ttl_cache_on_a_fake_clock_expires_at_insert_plus_ttl():
    clock = patterns.FakeClock()
    backend = patterns.Backend()

    @patterns.cached_with_info(cachetools.TTLCache(maxsize=10, ttl=10, timer=clock))
    def load(key):
        return backend.load(key)

    for t in (0, 5, 9.99, 10, 12, 21):
        clock.now = t
        load("a")
    assert load.cache_info().hits == 3  # 5, 9.99 and 12: reads do not extend the life
    assert backend.calls == 3
    assert clock.advance(1.5) == 22.5
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)


def test_backend_counts_queries_and_rows():
    backend = patterns.Backend()
    backend.load(1)
    assert backend.load_many([1, 2, 2, 3]) == {k: f"value of {k}" for k in (1, 2, 3)}
    assert (backend.calls, backend.rows) == (2, 4)
    backend.reset()
    assert (backend.calls, backend.rows) == (0, 0)
    with pytest.raises(ValueError):
        patterns.Backend(delay_s=-1)


def test_request_memo_loads_each_key_once_per_request():
    backend = patterns.Backend()
    memo = patterns.RequestMemo(backend.load)
    for key in [1, 2, 1, 1, 3, 2]:
        assert memo.get(key) == f"value of {key}"
    assert (memo.hits, memo.misses, len(memo), backend.calls) == (3, 3, 3, 3)


def test_pages_are_the_simulators_and_a_request_memo_matches_its_request_cache():
    paged = ZIPF.with_values({"workload.fanout": 8, "workload.write_ratio": 0.0,
                              "workload.requests": 500})
    pages = patterns.page_keys(paged, 500)
    assert len(pages) == 500 and all(len(page) == 8 for page in pages)
    distinct = sum(len(set(page)) for page in pages)
    run = sc.run(paged.with_values({"workload.request_cache": True})).summary
    assert run["reads"] == distinct  # no warm-up: every page is measured
    assert run["request_cache_hits"] == 8 * 500 - distinct
    backend = patterns.Backend()
    assert patterns.serve_pages(pages, backend, memo=True) == 8 * 500
    assert backend.calls == distinct
    backend.reset()
    patterns.serve_pages(pages, backend, memo=False)
    assert backend.calls == 8 * 500
    with pytest.raises(ValueError, match="fanout"):
        patterns.page_keys(ZIPF, 3)


def test_warm_up_counts_pages_so_page_keys_lines_up_with_what_is_measured():
    # workload.warmup_requests counts requests that arrive, a page of `fanout` lookups being
    # one, like workload.requests; the summary's reads count lookups (notebook 06, PAGE).
    paged = ZIPF.with_values({"workload.fanout": 8, "workload.write_ratio": 0.0,
                              "workload.requests": 500, "workload.warmup_requests": 100,
                              "workload.request_cache": True})
    pages = patterns.page_keys(paged, 500)
    measured = pages[100:]
    s = sc.run(paged).summary
    assert s["reads"] == sum(len(set(page)) for page in measured)
    assert s["request_cache_hits"] == sum(len(page) - len(set(page)) for page in measured)


def test_a_warm_batch_is_one_read_query():
    # Notebook 06 says so: the batch counts one in db_reads and in peak_db_reads_per_s,
    # however many keys it loads. Here it ends before the first read arrives, so every read
    # hits and the batch is the only query.
    scenario = sc.Scenario.from_dict({
        "seed": 1, "workload": {"keys": 100, "rate_rps": 10, "requests": 50, "warmup_requests": 0},
        "tiers": [{"name": "redis", "capacity": 100}],
        "database": {"latency_ms": 0.001, "service": "constant"},
        "faults": [{"kind": "warm", "top_k": 100, "at_s": 0.0}]})
    s = sc.run(scenario).summary
    assert s["hits"] == s["reads"] == 50
    assert s["db_reads"] == 1
    assert s["peak_db_reads_per_s"] == pytest.approx(1 / scenario.metrics.peak_window_s)


def test_page_keys_skips_writes():
    mixed = ZIPF.with_values({"workload.fanout": 4})
    pages = patterns.page_keys(mixed, 200)
    assert len(pages) == 200 and all(len(page) == 4 for page in pages)


def test_expected_distinct_keys_per_page():
    assert patterns.expected_distinct(np.full(10, 0.1), 1) == pytest.approx(1.0)
    assert patterns.expected_distinct(np.array([1.0, 0.0]), 5) == pytest.approx(1.0)
    p = popularity(ZIPF.workload)
    paged = ZIPF.with_values({"workload.fanout": 20, "workload.write_ratio": 0.0,
                              "workload.requests": 3_000})
    pages = patterns.page_keys(paged, 3_000)
    measured = np.mean([len(set(page)) for page in pages])
    assert measured == pytest.approx(patterns.expected_distinct(p, 20), rel=0.02)
    with pytest.raises(ValueError):
        patterns.expected_distinct(p, -1)


def test_top_k_share_and_its_inverse():
    p = np.array([0.5, 0.2, 0.2, 0.1])
    assert patterns.top_k_share(p, 1) == pytest.approx(0.5)
    assert patterns.top_k_share(p[::-1], 2) == pytest.approx(0.7)  # sorts first
    assert patterns.top_k_for(p, 0.7) == 2
    assert patterns.top_k_for(p, 0.71) == 3
    assert patterns.top_k_for(p, 1.0) == 4
    assert patterns.top_k_for(p, 0.0) == 0
    zipf = popularity(ZIPF.workload)
    for share in (0.3, 0.5, 0.8):
        k = patterns.top_k_for(zipf, share)
        assert patterns.top_k_share(zipf, k) >= share > patterns.top_k_share(zipf, k - 1)
    with pytest.raises(ValueError):
        patterns.top_k_for(p, 1.5)
