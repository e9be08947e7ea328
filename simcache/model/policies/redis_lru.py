"""Redis's approximated LRU: sample a few keys, keep the idlest in a pool, evict the best."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable
from typing import Any

from .base import FOREVER, SampledKeys, Store
from .registry import register

POOL_SIZE = 16  # EVPOOL_SIZE in Redis's evict.c


@register
class RedisLRU(SampledKeys, Store):
    """``allkeys-lru`` as Redis implements it (``evict.c``, ``maxmemory-samples``).

    Every access stamps the key with Redis's LRU clock, which ticks once per
    ``clock_ms`` (``LRU_CLOCK_RESOLUTION``, 1,000 ms in Redis) of simulation time; a key's
    idle time is the clock now minus its stamp, so keys touched within the same tick look
    equally idle. Each eviction samples ``samples`` keys (default 5) into a pool of up to
    16 candidates kept across evictions, in ascending idle time as measured when each was
    sampled; a new candidate goes before those with the same idle time, a full pool
    refuses one no idler than its least idle entry, and the idlest pooled key that still
    exists is evicted. With ``clock_ms = 0`` the clock counts accesses instead, so idle
    times never tie (exact recency). Its hit ratio lies between RANDOM and LRU: close to
    LRU when keys' idle times differ by whole ticks, close to RANDOM when the whole cache
    turns over within one tick (Redis documentation, "Key eviction").
    """

    name = "redis-lru"

    def __init__(self, capacity, rng=None, samples: int = 5, clock_ms: float = 0.0,
                 **options: Any):
        super().__init__(capacity, rng, **options)
        if clock_ms < 0:
            raise ValueError(f"clock_ms = {clock_ms!r}: must be >= 0")
        self.samples = samples
        self.clock_ms = clock_ms
        self._tick_s = clock_ms / 1000.0
        self._init_sampling()
        self._now = 0.0
        self._accesses = 0
        self._stamp: dict[Hashable, float] = {}
        # The pool, ascending by idle time as measured when each key was sampled.
        self._idles: list[float] = []
        self._pooled: list[Hashable] = []

    # -- the LRU clock --------------------------------------------------------------------
    # Stamps are ticks of the clock (floats of whole values) or, with clock_ms = 0, a
    # count of accesses. get() and insert() are written out in full to keep hits cheap.
    def _stamp_now(self) -> float:
        if self._tick_s:
            return self._now // self._tick_s
        self._accesses += 1
        return self._accesses

    def get(self, key: Hashable, now: float = 0.0) -> Any:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] <= now:
            self._remove(key)
            self.expirations += 1
            return None
        self._now = now
        self._stamp[key] = self._stamp_now()
        return entry

    def insert(self, key: Hashable, entry: Any, now: float = -FOREVER) -> None:
        if now > -FOREVER:
            self._now = now
        Store.insert(self, key, entry, now)

    def _on_insert(self, key: Hashable) -> None:
        self._track(key)
        self._stamp[key] = self._stamp_now()

    def _on_hit(self, key: Hashable) -> None:
        self._stamp[key] = self._stamp_now()

    def _on_remove(self, key: Hashable) -> None:
        self._untrack(key)
        del self._stamp[key]

    # -- eviction ---------------------------------------------------------------------------
    def _populate(self) -> None:
        """``evictionPoolPopulate``: offer a sample of keys to the pool."""
        idles, pooled, stamp, keys = self._idles, self._pooled, self._stamp, self._keys
        n = len(keys)
        if self.samples >= n:  # dictGetSomeKeys returns every key when asked for as many
            sample = list(keys)
        else:  # ... and distinct keys otherwise
            sample = []
            for u in self._uniform.take(self.samples):
                key = keys[int(u * n)]
                if key not in sample:
                    sample.append(key)
        now = self._now // self._tick_s if self._tick_s else self._accesses
        for key in sample:
            idle = now - stamp[key]
            k = bisect_left(idles, idle)  # before every entry at least as idle
            if len(idles) < POOL_SIZE:
                idles.insert(k, idle)
                pooled.insert(k, key)
            elif k:  # full: drop the least idle entry, insert before the first idler one
                del idles[0], pooled[0]
                idles.insert(k - 1, idle)
                pooled.insert(k - 1, key)

    def _victim(self) -> Hashable:
        idles, pooled, stamp = self._idles, self._pooled, self._stamp
        while True:
            self._populate()
            # Best candidate first; a pooled key deleted since is a ghost and is skipped.
            # Redis checks only that the key exists, not whether it was touched since.
            while pooled:
                idles.pop()
                key = pooled.pop()
                if key in stamp:
                    return key
