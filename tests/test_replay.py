"""Eviction-only replay: the same hits as libCacheSim, and careful input checks."""

from __future__ import annotations

import numpy as np
import pytest

import simcache as sc


def zipf_trace(n_keys: int, length: int, alpha: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = np.arange(1, n_keys + 1, dtype=float) ** -alpha
    return rng.choice(n_keys, size=length, p=p / p.sum())


def libcachesim_hits(cls, keys, capacity: int) -> int:
    """Replay through libCacheSim one request at a time: every object is 1 byte, so a
    cache of ``capacity`` bytes holds exactly ``capacity`` objects."""
    import libcachesim

    cache = cls(capacity)
    hits = 0
    request = libcachesim.Request(obj_size=1)
    for key in keys:
        request.obj_id = key + 1  # ids from 1, as in libCacheSim's own traces
        hits += bool(cache.get(request))
    assert cache.get_n_obj() <= capacity
    return hits


@pytest.mark.parametrize("policy", ["lru", "fifo"])
@pytest.mark.parametrize("capacity", [1, 7, 100, 1_000, 4_000])
def test_replay_hits_equal_libcachesim(policy, capacity):
    libcachesim = pytest.importorskip(
        "libcachesim", reason="libcachesim is not installed (pip install libcachesim; "
                              "no wheels for Windows)")
    keys = zipf_trace(5_000, 40_000, 0.9, seed=12).tolist()
    reference = libcachesim_hits({"lru": libcachesim.LRU, "fifo": libcachesim.FIFO}[policy],
                                 keys, capacity)
    ours = sc.replay(keys, policy, capacity)
    assert ours.hits == reference
    assert ours.misses == len(keys) - reference
    # The check has teeth: LRU and FIFO disagree on this trace whenever 1 < C < N.
    if capacity > 1:
        other = "fifo" if policy == "lru" else "lru"
        assert sc.replay(keys, other, capacity).hits != reference


def test_replay_agrees_with_libcachesim_on_a_trace_file(tmp_path):
    """The same comparison through libCacheSim's own trace reader (csv: time,id,size)."""
    libcachesim = pytest.importorskip("libcachesim", reason="libcachesim is not installed")
    keys = zipf_trace(2_000, 20_000, 1.1, seed=5)
    path = tmp_path / "trace.csv"
    path.write_text("".join(f"{t},{k + 1},1\n" for t, k in enumerate(keys.tolist())),
                    encoding="utf-8")
    params = libcachesim.ReaderInitParam(has_header=False, delimiter=",")
    params.time_field, params.obj_id_field, params.obj_size_field = 1, 2, 3  # 1-based
    reader = libcachesim.TraceReader(trace=str(path), trace_type=libcachesim.TraceType.CSV_TRACE,
                                     reader_init_params=params)
    assert reader.get_num_of_req() == len(keys)
    for policy, cls in (("lru", libcachesim.LRU), ("fifo", libcachesim.FIFO)):
        reader.reset()
        miss_ratio, _ = cls(150).process_trace(reader)
        ours = sc.replay(keys, policy, 150)
        assert ours.requests == len(keys)
        assert ours.misses == round(miss_ratio * len(keys))


def test_replay_accepts_lists_arrays_generators_and_strings():
    keys = [3, 1, 3, 2, 1, 3]
    expected = sc.replay(keys, "lru", 2)
    assert sc.replay(np.array(keys), "lru", 2) == expected
    assert sc.replay(iter(keys), "lru", 2) == expected
    assert sc.replay([str(k) for k in keys], "lru", 2).hits == expected.hits


def test_hit_ratio_arithmetic_on_a_hand_worked_trace():
    # capacity 2, LRU: a b a c b a -> miss miss hit miss(evict b) miss(evict a) miss(evict c)
    result = sc.replay(list("abacba"), "lru", 2)
    assert (result.hits, result.misses, result.requests) == (1, 5, 6)
    assert result.hit_ratio == pytest.approx(1 / 6)
    assert (result.policy, result.capacity) == ("lru", 2)


def test_hit_ratio_of_an_empty_trace_is_zero():
    result = sc.replay([], "fifo", 10)
    assert (result.hits, result.misses, result.hit_ratio) == (0, 0, 0.0)


def test_capacity_zero_never_hits_and_infinite_cache_only_misses_cold():
    keys = zipf_trace(300, 5_000, 1.0, seed=2)
    assert sc.replay(keys, "lru", 0).hits == 0
    for policy in sc.POLICIES:
        result = sc.replay(keys, policy, 300)
        assert result.misses == len(np.unique(keys)), policy


@pytest.mark.parametrize("policy", ["lruu", "LRU", "", "belady"])
def test_replay_rejects_an_unknown_policy(policy):
    with pytest.raises(ValueError, match="policy") as info:
        sc.replay([1, 2, 3], policy, 10)
    assert "lru" in str(info.value)  # names what is allowed


@pytest.mark.parametrize("capacity", [-1, 2.5, "10", True, None])
def test_replay_rejects_a_bad_capacity(capacity):
    with pytest.raises(ValueError, match="capacity"):
        sc.replay([1, 2, 3], "lru", capacity)


def test_replay_accepts_a_numpy_integer_capacity():
    assert sc.replay([1, 2, 1], "lru", np.int64(5)).hits == 1


def test_replay_of_random_policies_is_seeded():
    keys = zipf_trace(1_000, 10_000, 0.8, seed=9)
    for policy in ("random", "redis-lru"):
        assert sc.replay(keys, policy, 50, seed=4) == sc.replay(keys, policy, 50, seed=4)
    assert sc.replay(keys, "random", 50, seed=4).hits != sc.replay(keys, "random", 50,
                                                                     seed=5).hits
