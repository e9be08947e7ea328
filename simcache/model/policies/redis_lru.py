"""Redis's approximated LRU: sample a few keys, keep the idlest in a pool, evict the best."""

from __future__ import annotations

import bisect
from collections.abc import Hashable

from .base import SampledKeys, Store
from .registry import register

POOL_SIZE = 16  # EVPOOL_SIZE in Redis's evict.c


@register
class RedisLRU(SampledKeys, Store):
    """``allkeys-lru`` as Redis implements it (evict.c, ``maxmemory-samples``).

    Each eviction samples ``samples`` random keys (default 5) into a pool of the 16 idlest
    candidates seen so far, kept across evictions, and evicts the idlest one that still
    exists. Idle time is measured on a logical access clock, so ties never happen (Redis's
    own clock ticks every millisecond). Its hit ratio lies between RANDOM and LRU, close
    to LRU (Redis documentation, "Key eviction").
    """

    name = "redis-lru"

    def __init__(self, capacity, rng=None, samples: int = 5, **options):
        super().__init__(capacity, rng, **options)
        self.samples = samples
        self._init_sampling()
        self._clock = 0
        self._stamp: dict[Hashable, int] = {}
        self._pool: list[tuple[int, Hashable]] = []  # ascending stamp: oldest access first
        self._pooled: set[Hashable] = set()

    def _on_insert(self, key: Hashable) -> None:
        self._track(key)
        self._clock += 1
        self._stamp[key] = self._clock

    def _on_hit(self, key: Hashable) -> None:
        self._clock += 1
        self._stamp[key] = self._clock

    def _on_remove(self, key: Hashable) -> None:
        self._untrack(key)
        del self._stamp[key]

    def _victim(self) -> Hashable:
        pool, pooled, stamp = self._pool, self._pooled, self._stamp
        keys, uniform = self._keys, self._uniform
        n = len(keys)
        # Like dictGetSomeKeys, asking for at least as many keys as exist returns them all.
        sample = list(keys) if self.samples >= n else (
            keys[int(uniform() * n)] for _ in range(self.samples))
        for key in sample:
            if key in pooled:
                continue
            item = (stamp[key], key)
            if len(pool) >= POOL_SIZE:
                if item[0] >= pool[-1][0]:
                    continue  # less idle than every candidate already pooled
                pooled.discard(pool.pop()[1])
            bisect.insort(pool, item)  # stamps are unique, so keys are never compared
            pooled.add(key)
        # Redis checks only that a pooled key still exists, not whether it was touched since.
        while pool:
            _, key = pool.pop(0)
            pooled.discard(key)
            if key in stamp:
                return key
        return self._random_key()
