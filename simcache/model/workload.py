"""Requests: which key, when, and whether it is a read or a write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    #: Per lookup, the repeats of its key in the same page that a request-level cache
    #: answered (they are not in the chunk); None without one.
    repeats: list[int] | None = None
    #: With pages of several lookups: the index of each arrival's first lookup; None when
    #: every arrival is one lookup.
    starts: list[int] | None = None
    #: The client (browser) each request comes from; None without browser or CDN tiers.
    clients: list[int] | None = None


def requests(workload: Workload, seed: int, chunk: int = CHUNK, clients: int = 0,
             read_only: np.ndarray | None = None) -> Iterator[Chunk]:
    """The request stream: Poisson arrivals at ``rate_rps``, keys drawn by popularity, each
    request sent to one of ``app_servers`` servers uniformly at random (and, given
    ``clients``, coming from one of that many clients uniformly at random). A write drawn
    for a key marked in ``read_only`` is a read instead. A share
    ``missing_ratio`` of reads ask instead for a key without a row: an id from ``keys`` to
    ``keys + missing_keys - 1``, uniformly. With ``fanout`` > 1 each read request is a page
    of that many lookups (:func:`pages`).

    Stops after ``requests`` requests or at ``duration_s``. Drawn in vectorised chunks,
    so memory does not grow with the length of the run.
    """
    arrivals, choice, mix, assign, absent, who = (
        stream(seed, name) for name in ("arrivals", "keys", "writes", "servers", "missing",
                                        "clients"))
    missing_ratio = getattr(workload, "missing_ratio", 0.0)
    fanout = getattr(workload, "fanout", 1)
    request_cache = getattr(workload, "request_cache", False)
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
            if read_only is not None:
                is_write &= ~read_only[keys]
            writes = is_write.tolist()
        if missing_ratio:
            # Reads of keys that do not exist: ids after the key space, drawn uniformly.
            missing = absent.random(size) < missing_ratio
            if is_write is not None:
                missing &= ~is_write
            keys[missing] = workload.keys + absent.integers(0, workload.missing_keys,
                                                            int(missing.sum()))
        owner = assign.integers(0, servers, size).tolist() if servers > 1 else None
        client = who.integers(0, clients, size).tolist() if clients else None
        stop = workload.duration_s is not None and t >= workload.duration_s
        if stop:
            cut = int(np.searchsorted(times, workload.duration_s, side="left"))
            times, keys = times[:cut], keys[:cut]
            is_write = is_write[:cut] if is_write is not None else None
            writes = writes[:cut] if writes is not None else None
            owner = owner[:cut] if owner is not None else None
            client = client[:cut] if client is not None else None
        if fanout > 1 and len(times):
            yield pages(times, keys, is_write, owner, fanout, request_cache,
                        lambda n: _draw(choice, absent, cdf, workload, missing_ratio, n),
                        client)
        elif len(times):
            yield Chunk(times.tolist(), keys.tolist(), writes, owner, clients=client)
        if stop:
            return
        if left is not None:
            left -= size


def _draw(choice: np.random.Generator, absent: np.random.Generator, cdf: np.ndarray,
          workload: Workload, missing_ratio: float, n: int) -> np.ndarray:
    """``n`` more keys of reads: by popularity, or (``missing_ratio`` of them) missing."""
    keys = np.searchsorted(cdf, choice.random(n), side="right")
    np.minimum(keys, len(cdf) - 1, out=keys)
    if missing_ratio:
        missing = absent.random(n) < missing_ratio
        keys[missing] = workload.keys + absent.integers(0, workload.missing_keys,
                                                        int(missing.sum()))
    return keys


def pages(times: np.ndarray, keys: np.ndarray, is_write: np.ndarray | None,
          owner: list[int] | None, fanout: int, request_cache: bool,
          draw: Callable[[int], np.ndarray], client: list[int] | None = None) -> Chunk:
    """Each read request becomes a page of ``fanout`` lookups at its arrival time, by the
    same app server and client (its first key, then ``draw``-n more); writes stay single. With a
    request-level cache a page looks each of its keys up once: repeats are left out, and
    counted in ``repeats`` against the lookup that stays."""
    size = len(times)
    reads = np.ones(size, bool) if is_write is None else ~is_write
    table = np.full((size, fanout), -1, dtype=np.int64)
    table[:, 0] = keys
    n_reads = int(reads.sum())
    table[reads, 1:] = draw(n_reads * (fanout - 1)).reshape(n_reads, fanout - 1)
    repeats = None
    if request_cache:
        table[reads] = np.sort(table[reads], axis=1)
        repeat_of_left = np.zeros_like(table, dtype=bool)
        repeat_of_left[:, 1:] = (table[:, 1:] == table[:, :-1]) & (table[:, 1:] >= 0)
        # Each repeat is credited to the lookup that starts its run of equal keys: in the
        # flattened table, the repeats that follow a lookup before the next non-repeat.
        flat = repeat_of_left.ravel()
        others = np.flatnonzero(~flat)  # lookups that stay, and a write's empty columns
        run = np.diff(np.append(others, flat.size)) - 1
        repeats = run[table.ravel()[others] >= 0].tolist()
        table[repeat_of_left] = -1
    kept = table >= 0
    per_request = kept.sum(1)
    flat_writes = (np.repeat(is_write, per_request).tolist()
                   if is_write is not None else None)
    starts = np.concatenate(([0], np.cumsum(per_request)[:-1])).tolist()
    def spread(who: list[int] | None) -> list[int] | None:
        return np.repeat(np.asarray(who), per_request).tolist() if who is not None else None

    return Chunk(np.repeat(times, per_request).tolist(), table[kept].tolist(), flat_writes,
                 spread(owner), repeats, starts, spread(client))
