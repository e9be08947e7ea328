"""Eviction-only replay of a key sequence: no clock, no database, just hits and misses."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

from ..model.policies import make_store
from ..rng import stream


@dataclass(frozen=True)
class ReplayResult:
    """Hits and misses of one policy on one key sequence."""

    policy: str
    capacity: int
    hits: int
    misses: int

    @property
    def requests(self) -> int:
        return self.hits + self.misses

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.requests if self.requests else 0.0


def replay(keys: Iterable[Hashable], policy: str = "lru", capacity: int = 1000,
           seed: int = 0, **options) -> ReplayResult:
    """Feed ``keys`` through an empty cache of ``capacity`` entries using ``policy``.

    Uses the same policy classes as the simulator. Every miss inserts its key, as a
    trace-driven cache simulator such as libCacheSim does. ``seed`` drives the random
    choices of ``random`` and ``redis-lru``; ``options`` go to the policy
    (``samples=`` for ``redis-lru``).
    """
    if isinstance(capacity, bool) or not isinstance(capacity, int | np.integer) or capacity < 0:
        raise ValueError(f"capacity = {capacity!r}: must be a whole number >= 0")
    if isinstance(keys, np.ndarray):
        keys = keys.tolist()
    store = make_store(policy, int(capacity), stream(seed, f"replay:{policy}"), **options)
    hits = 0
    total = 0
    access = store.access
    for hit in map(access, keys):
        hits += hit
        total += 1
    return ReplayResult(policy, int(capacity), hits, total - hits)
