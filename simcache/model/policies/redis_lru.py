"""Redis's approximated LRU: sample a few keys, keep the idlest in a pool, evict the best."""

from __future__ import annotations

import zlib
from array import array
from bisect import bisect_left
from collections.abc import Hashable
from typing import Any

import numpy as np

from .base import FOREVER, Store
from .registry import register

POOL_SIZE = 16          # EVPOOL_SIZE in Redis's evict.c
_INITIAL_BUCKETS = 4    # DICT_HT_INITIAL_SIZE in dict.h
_MIN_FILL_PERCENT = 10  # HASHTABLE_MIN_FILL in server.h (7.0): below it, the table shrinks
_MAX_LOAD = 1.618       # HASHTABLE_MAX_LOAD_FACTOR in server.h: past it, grow regardless
_MASK64 = (1 << 64) - 1


def _hash(key: Hashable) -> int:
    """A 64-bit hash, the same in every process, that spreads keys like a random function
    (splitmix64's finaliser; Redis uses SipHash with a random key)."""
    x = key if isinstance(key, int) else zlib.crc32(repr(key).encode())
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


#: ``_hash(k)`` of the int keys 0, 1, ..., len - 1, worked out in vectorised chunks as keys
#: grow. A key's hash is a pure function of the key, so every store shares one table and
#: none keeps a per-key record of hashes.
_INT_HASHES = array("Q")
_INT_HASH_LIMIT = 1 << 26  # larger int keys are hashed one at a time


def _hash_of(key: Hashable) -> int:
    """``_hash(key)``, from the shared table for int keys (extending it when needed)."""
    if type(key) is int and 0 <= key < _INT_HASH_LIMIT:
        table = _INT_HASHES
        if key >= len(table):
            n = len(table)
            x = np.arange(n, max(key + 1, 2 * n, 1 << 16), dtype=np.uint64)
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)  # wraps mod 2**64
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            table.frombytes((x ^ (x >> np.uint64(31))).tobytes())
        return table[key]
    return _hash(key)


@register
class RedisLRU(Store):
    """``allkeys-lru`` as Redis implements it (``evict.c``, ``dict.c``, ``maxmemory-samples``).

    Every access stamps the key with Redis's LRU clock, which ticks once per
    ``clock_ms`` (``LRU_CLOCK_RESOLUTION``, 1,000 ms in Redis) of simulation time; a key's
    idle time is the clock now minus its stamp, so keys touched within the same tick look
    equally idle. With ``clock_ms = 0`` the clock counts accesses instead, so idle times
    never tie (exact recency).

    Each eviction samples ``samples`` keys (default 5) the way ``dictGetSomeKeys`` does in
    Redis 7.0.12 and later: from a random bucket of the key table it walks on through
    consecutive buckets, taking the keys of each chain (newest first: Redis adds a key at
    the head of its bucket's chain) and, once it has enough, reservoir-sampling the rest of
    the chain it is in. Sampled keys enter a pool of up to 16 candidates kept across
    evictions, in ascending idle time as measured when each was sampled: a newcomer goes
    before those as idle as it, a full pool refuses one no idler than its least idle entry,
    and the candidate recorded as idlest that still exists is evicted (even if it was read
    since). The key table doubles when it has as many keys as buckets, except that a full
    tier (at ``maxmemory``) grows it only past 1.618 keys per bucket; it shrinks below
    10 % fill at once (Redis: on its next cron tick) and is rehashed all at once (Redis:
    incrementally).

    Its hit ratio usually lies between RANDOM's and LRU's: close to LRU when keys' idle
    times differ by whole ticks; when the whole cache turns over within one tick, every
    idle time ties, a full pool takes only the first key of each sample, and eviction is
    random with respect to recency (at or a little below RANDOM's hit ratio, since keys
    that follow empty buckets are sampled first more often than others).
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
        self._now = 0.0
        self._accesses = 0
        # key -> [entry, stamp]: a key's LRU stamp lives beside its entry (as Redis keeps
        # it in the key's object header), so a lookup or a sampled key costs one dict
        # lookup, not two. get() returns the entry.
        self._data: dict[Hashable, list[Any]] = {}
        self._table: list[list[Hashable]] = [[] for _ in range(_INITIAL_BUCKETS)]
        self._size, self._mask = _INITIAL_BUCKETS, _INITIAL_BUCKETS - 1
        # The pool, ascending by idle time as measured when each key was sampled.
        self._idles: list[float] = []
        self._pooled: list[Hashable] = []

    # -- the LRU clock --------------------------------------------------------------------
    # Stamps are ticks of the clock (floats of whole values) or, with clock_ms = 0, a
    # count of accesses. get() is Store.get with the time kept for the stamp.
    def _stamp_now(self) -> float:
        if self._tick_s:
            return self._now // self._tick_s
        self._accesses += 1
        return self._accesses

    def get(self, key: Hashable, now: float = 0.0) -> Any:
        record = self._data.get(key)
        if record is None:
            return None
        entry = record[0]
        if entry[1] <= now:
            self._remove(key)
            self.expirations += 1
            return None
        self._now = now
        tick = self._tick_s
        record[1] = now // tick if tick else self._stamp_now()
        return entry

    def peek(self, key: Hashable) -> Any:
        record = self._data.get(key)
        return None if record is None else record[0]

    def insert(self, key: Hashable, entry: Any, now: float = -FOREVER) -> None:
        # Store.insert with _evict, _on_remove and _on_insert written out: every miss runs
        # this, and the calls saved are a measured few per cent of a full run (make bench).
        if now > -FOREVER:
            self._now = now
        data = self._data
        record = data.get(key)
        if record is not None:
            record[0] = entry
            record[1] = self._stamp_now()
            return
        if self.capacity == 0:
            return
        if len(data) >= self.capacity:
            victim = self._victim()
            if data.pop(victim)[0][1] <= now:
                self.expirations += 1
            else:
                self.evictions += 1
            # _on_remove, less the shrink check: a key comes right back
            hashes = _INT_HASHES
            h = (hashes[victim] if type(victim) is int and 0 <= victim < len(hashes)
                 else _hash_of(victim))
            self._table[h & self._mask].remove(victim)
        tick = self._tick_s
        data[key] = [entry, self._now // tick if tick else self._stamp_now()]  # _stamp_now()
        used = len(data) - 1  # keys before this one: _dictExpandIfNeeded runs first
        if used >= self._size and (used < self.capacity - 1 or used > _MAX_LOAD * self._size):
            self._rehash(2 * self._size)
        hashes = _INT_HASHES  # _hash_of(key), written out for keys already in the table
        h = hashes[key] if type(key) is int and 0 <= key < len(hashes) else _hash_of(key)
        self._table[h & self._mask].insert(0, key)

    def _on_hit(self, key: Hashable) -> None:
        self._data[key][1] = self._stamp_now()

    def delete(self, key: Hashable) -> bool:
        # Store.delete with _remove written out: every write deletes its key here.
        if self._data.pop(key, None) is None:
            return False
        self._on_remove(key)
        return True

    # -- the key table (dict.c) ---------------------------------------------------------
    def _on_remove(self, key: Hashable) -> None:
        hashes = _INT_HASHES
        h = hashes[key] if type(key) is int and 0 <= key < len(hashes) else _hash_of(key)
        self._table[h & self._mask].remove(key)
        size = self._size
        if size > _INITIAL_BUCKETS and len(self._data) * 100 < _MIN_FILL_PERCENT * size:
            used = len(self._data)
            self._rehash(max(_INITIAL_BUCKETS, 1 << max(0, used - 1).bit_length()))

    def _rehash(self, size: int) -> None:
        """Move every key to a table of ``size`` buckets as dictRehash does: old buckets
        in order, each chain from its head, each key to the head of its new chain."""
        table: list[list[Hashable]] = [[] for _ in range(size)]
        mask = size - 1
        for chain in self._table:
            for key in chain:
                table[_hash_of(key) & mask].insert(0, key)
        self._table, self._size, self._mask = table, size, mask

    def _sample(self) -> list[Hashable]:
        """``dictGetSomeKeys``: about ``samples`` keys from consecutive buckets."""
        table, uniform, size = self._table, self._uniform, self._size
        count = min(self.samples, len(self._data))
        out: list[Hashable] = []
        stored = 0
        steps = count * 10
        i = int(uniform() * size)
        empty = 0
        while steps:
            # Walk the buckets from i to the end of the table (or as far as steps allow).
            for chain in table[i:i + steps]:
                steps -= 1
                i += 1
                if chain:
                    empty = 0
                    if stored + len(chain) <= count:  # room for the whole chain (most often)
                        out += chain
                        stored += len(chain)
                    else:
                        for key in chain:  # reservoir sampling past ``count`` (Redis >= 7.0.12)
                            if stored < count:
                                out.append(key)
                            else:
                                r = int(uniform() * (stored + 1))
                                if r < count:
                                    out[r] = key
                            stored += 1
                    if stored >= count:
                        return out
                else:
                    empty += 1
                    if empty >= 5 and empty > count:  # a long empty stretch: jump elsewhere
                        i = int(uniform() * size) + 1
                        empty = 0
                        break
            i &= size - 1  # past the last bucket: on from the first
        return out

    # -- eviction ---------------------------------------------------------------------------
    def _victim(self) -> Hashable:
        idles, pooled, data = self._idles, self._pooled, self._data
        while True:
            # evictionPoolPopulate: offer a sample of keys to the pool.
            now = self._now // self._tick_s if self._tick_s else self._accesses
            size = len(idles)
            for key in self._sample():
                idle = now - data[key][1]
                k = bisect_left(idles, idle)  # before every entry at least as idle
                if size < POOL_SIZE:
                    idles.insert(k, idle)
                    pooled.insert(k, key)
                    size += 1
                elif k:  # full: drop the least idle entry, insert before the first idler one
                    del idles[0], pooled[0]
                    idles.insert(k - 1, idle)
                    pooled.insert(k - 1, key)
            # Best candidate first; a pooled key deleted since is a ghost and is skipped.
            # Redis checks only that the key exists, not whether it was touched since.
            while pooled:
                idles.pop()
                key = pooled.pop()
                if key in data:
                    return key
