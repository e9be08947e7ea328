"""One-pass miss-ratio curves: the same hits as replaying every LRU capacity, and a SHARDS
sample close to the exact curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simcache as sc
from simcache.analysis.mrc import stack_distances
from simcache.analysis.theory import che_lru_hit_ratio


def zipf_trace(n_keys: int, length: int, alpha: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = np.arange(1, n_keys + 1, dtype=float) ** -alpha
    return rng.choice(n_keys, size=length, p=p / p.sum())


def naive_distances(keys) -> list[int]:
    """Stack distances by keeping the LRU stack as a list: the definition, slowly."""
    stack: list = []
    out = []
    for key in keys:
        if key in stack:
            depth = len(stack) - stack.index(key)
            stack.remove(key)
            out.append(depth)
        else:
            out.append(0)
        stack.append(key)
    return out


TRACES = {
    "zipf": zipf_trace(300, 6_000, 0.9, seed=1),
    "uniform": np.random.default_rng(2).integers(0, 200, 5_000),
    "loop": np.tile(np.arange(50), 40),           # LRU's worst case: hits only at C >= 50
    "one key": np.zeros(10, dtype=int),
    "all distinct": np.arange(100),
    "strings": np.array(list("abacbadcbeabfgah")),
    "odd length": zipf_trace(37, 1_025, 1.2, seed=3),  # just past a power of two
}


@pytest.mark.parametrize("name", TRACES)
def test_mrc_equals_replay_at_every_capacity(name):
    keys = TRACES[name]
    frame = sc.mrc(keys)
    distinct = len(np.unique(keys))
    assert list(frame.columns) == ["capacity", "hit_ratio"]
    assert frame["capacity"].tolist() == list(range(1, distinct + 1))
    as_list = keys.tolist()
    for capacity, ratio in zip(frame["capacity"], frame["hit_ratio"], strict=True):
        result = sc.replay(as_list, "lru", int(capacity))
        assert ratio * len(keys) == pytest.approx(result.hits, abs=1e-6), capacity
    assert frame["hit_ratio"].iloc[-1] == pytest.approx(1 - distinct / len(keys))
    assert frame.attrs["requests"] == len(keys) and frame.attrs["distinct_keys"] == distinct


@pytest.mark.parametrize("name", ["zipf", "loop", "strings", "odd length"])
def test_stack_distances_follow_the_definition(name):
    keys = TRACES[name]
    codes = pd.factorize(keys)[0]
    assert stack_distances(codes).tolist() == naive_distances(keys.tolist())


def test_the_loop_trace_has_teeth():
    frame = sc.mrc(TRACES["loop"])
    assert (frame["hit_ratio"].iloc[:49] == 0).all()
    assert frame["hit_ratio"].iloc[49] == pytest.approx(39 / 40)


def test_lists_generators_and_mixed_keys_work():
    keys = [3, "a", (1, 2), 3, "a", 3, (1, 2)]
    frame = sc.mrc(iter(keys))
    assert frame["hit_ratio"].tolist() == [
        sc.replay(keys, "lru", c).hit_ratio for c in (1, 2, 3)]


def test_chosen_capacities_including_zero_and_beyond_the_keys():
    keys = TRACES["zipf"]
    frame = sc.mrc(keys, capacities=[0, 10, 5_000])
    assert frame["capacity"].tolist() == [0, 10, 5_000]
    assert frame["hit_ratio"].tolist() == pytest.approx(
        [sc.replay(keys.tolist(), "lru", c).hit_ratio for c in (0, 10, 5_000)])


def test_empty_trace_is_a_clear_error():
    with pytest.raises(ValueError, match="empty"):
        sc.mrc([])


@pytest.mark.parametrize("policy", ["fifo", "lfu", "random", "LRU"])
def test_policies_that_are_not_stack_algorithms_are_refused(policy):
    with pytest.raises(ValueError, match="stack algorithm") as info:
        sc.mrc([1, 2, 1], policy=policy)
    assert "allowed: lru" in str(info.value)


@pytest.mark.parametrize("rate", [0, -0.1, 1.5, "0.1", True])
def test_bad_sample_rate_is_refused(rate):
    with pytest.raises(ValueError, match="sample_rate"):
        sc.mrc([1, 2, 1], sample_rate=rate)


def test_bad_capacities_are_refused():
    with pytest.raises(ValueError, match="capacities"):
        sc.mrc([1, 2, 1], capacities=[-1, 2])


def test_mrc_tracks_che_on_an_independent_zipf_trace():
    """Under independent requests the exact LRU curve lies close to Che's approximation."""
    n_keys, alpha = 2_000, 0.8
    keys = zipf_trace(n_keys, 200_000, alpha, seed=4)
    p = np.arange(1, n_keys + 1, dtype=float) ** -alpha
    p /= p.sum()
    frame = sc.mrc(keys, capacities=[50, 200, 800])
    for capacity, ratio in zip(frame["capacity"], frame["hit_ratio"], strict=True):
        # cold misses (~n_keys of 200k requests) make the trace a little worse than Che
        assert ratio == pytest.approx(che_lru_hit_ratio(p, int(capacity)), abs=0.02)


def test_sampled_curve_is_close_to_the_exact_one():
    """SHARDS at R = 0.1 on 50k keys follows ~5,000 of them. Its error is that of a sample
    of a few thousand keys (~1/sqrt(5000) ≈ 0.014 per point at worst, averaging down over
    the curve): measured 0.005 mean on such traces, so 0.02 mean and 0.05 at any capacity
    from 100 up (1/R = 10 is the smallest distance a sample can resolve) leave room."""
    keys = zipf_trace(50_000, 400_000, 1.0, seed=6)
    frame = sc.mrc(keys, sample_rate=0.1, compare_exact=True)
    assert {"capacity", "hit_ratio", "exact_hit_ratio"} <= set(frame.columns)
    assert 0.05 < frame.attrs["sampled_requests"] / len(keys) < 0.2
    assert frame.attrs["mean_abs_error"] < 0.02
    error = (frame["hit_ratio"] - frame["exact_hit_ratio"]).abs()
    assert error[frame["capacity"] >= 100].max() < 0.05
    assert frame.attrs["mean_abs_error"] == pytest.approx(error.mean())
    assert frame["hit_ratio"].is_monotonic_increasing


def test_sampling_is_by_key_and_deterministic():
    keys = np.array([f"user:{i % 1_000}" for i in range(20_000)])
    first = sc.mrc(keys, sample_rate=0.2)
    again = sc.mrc(keys.tolist(), sample_rate=0.2)
    pd.testing.assert_frame_equal(first, again)
    # every request of a sampled key is followed: here each key has the same count
    assert first.attrs["sampled_requests"] == 20 * first.attrs["sampled_keys"] > 0


def test_a_rate_that_samples_no_key_says_so():
    with pytest.raises(ValueError, match="no key"):
        sc.mrc([1, 2, 3], sample_rate=1e-7)


def test_benchmark_section_agrees_with_libcachesim():
    """The bench's mrc section at a tiny size: libCacheSim's hits at the capacities it
    replays equal the curve's (no timing is checked)."""
    pytest.importorskip("libcachesim", reason="libcachesim is not installed")
    from simcache import bench

    tiny = bench.Sizes(mrc_requests=20_000, mrc_points=20, mrc_lcs_points=4)
    data = bench.bench_mrc(tiny, repeat=1)
    assert data["capacities"] == 20 and len(data["checked"]) == 4
    assert data["identical"] is True
    assert all(row["mrc_hits"] == row["libcachesim_hits"] > 0 for row in data["checked"])
    assert "7. Miss-ratio curve" in bench.render_mrc(data)
