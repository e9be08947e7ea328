"""Requests: which key, when, and whether it is a read or a write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..rng import stream

if TYPE_CHECKING:
    from ..scenario import Workload

CHUNK = 1 << 15


def popularity(workload: Workload) -> np.ndarray:
    """Request probability of each key; key ``i`` is the ``i``-th most popular.

    ``zipf``: pᵢ ∝ 1/(i+1)^α (α = 0 is uniform). ``hotspot``: the first
    ``hot_key_fraction`` of keys share ``hot_traffic_fraction`` of requests evenly, the
    rest share what remains.
    """
    n = workload.keys
    if workload.popularity == "uniform" or (
            workload.popularity == "zipf" and workload.zipf_alpha == 0):
        return np.full(n, 1.0 / n)
    if workload.popularity == "zipf":
        weights = np.arange(1, n + 1, dtype=float) ** -workload.zipf_alpha
        return weights / weights.sum()
    hot = min(n, max(1, round(n * workload.hot_key_fraction)))
    if hot == n:
        return np.full(n, 1.0 / n)
    p = np.empty(n)
    p[:hot] = workload.hot_traffic_fraction / hot
    p[hot:] = (1.0 - workload.hot_traffic_fraction) / (n - hot)
    return p / p.sum()


@dataclass
class Chunk:
    """A block of consecutive requests, as plain lists for fast iteration."""

    times: list[float]
    keys: list[int]
    writes: list[bool] | None  # None when the workload has no writes
    servers: list[int] | None = None  # the app server of each request; None: only one


def requests(workload: Workload, seed: int, chunk: int = CHUNK) -> Iterator[Chunk]:
    """The request stream: Poisson arrivals at ``rate_rps``, keys drawn by popularity, each
    request sent to one of ``app_servers`` servers uniformly at random. A share
    ``missing_ratio`` of reads ask instead for a key without a row: an id from ``keys`` to
    ``keys + missing_keys - 1``, uniformly.

    Stops after ``requests`` requests or at ``duration_s``. Drawn in vectorised chunks,
    so memory does not grow with the length of the run.
    """
    arrivals, choice, mix, assign, absent = (
        stream(seed, name) for name in ("arrivals", "keys", "writes", "servers", "missing"))
    missing_ratio = getattr(workload, "missing_ratio", 0.0)
    servers = getattr(workload, "app_servers", 1)
    cdf = np.cumsum(popularity(workload))
    cdf /= cdf[-1]
    mean_gap = 1.0 / workload.rate_rps
    left = workload.requests
    t = 0.0
    while left is None or left > 0:
        size = chunk if left is None else min(chunk, left)
        times = t + np.cumsum(arrivals.exponential(mean_gap, size))
        t = float(times[-1])
        keys = np.searchsorted(cdf, choice.random(size), side="right")
        np.minimum(keys, len(cdf) - 1, out=keys)
        writes = None
        is_write = None
        if workload.write_ratio:
            is_write = mix.random(size) < workload.write_ratio
            writes = is_write.tolist()
        if missing_ratio:
            # Reads of keys that do not exist: ids after the key space, drawn uniformly.
            missing = absent.random(size) < missing_ratio
            if is_write is not None:
                missing &= ~is_write
            keys[missing] = workload.keys + absent.integers(0, workload.missing_keys,
                                                            int(missing.sum()))
        owner = assign.integers(0, servers, size).tolist() if servers > 1 else None
        if workload.duration_s is not None and t >= workload.duration_s:
            cut = int(np.searchsorted(times, workload.duration_s, side="left"))
            if cut:
                yield Chunk(times[:cut].tolist(), keys[:cut].tolist(),
                            writes[:cut] if writes is not None else None,
                            owner[:cut] if owner is not None else None)
            return
        yield Chunk(times.tolist(), keys.tolist(), writes, owner)
        if left is not None:
            left -= size
