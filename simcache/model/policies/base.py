"""The store every eviction policy shares: lookup, insert, expiry and the eviction loop."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, ClassVar

import numpy as np

from ...rng import UniformBuffer

Entry = tuple[Any, ...]  # (value, expires_at on the simulation clock, ...)
FOREVER = math.inf
_REPLAY_ENTRY: Entry = (None, FOREVER)


class Store:
    """A cache of at most ``capacity`` entries whose policy chooses what to evict.

    The store holds ``key -> (value, expires_at)``. An entry whose ``expires_at`` has
    passed is removed when it is next looked up, or when the policy picks it to make room
    (lazy expiry, as Redis does on access; Redis also samples keys in the background,
    which this store does not, so ``len()`` counts expired entries not yet reclaimed).
    Subclasses keep only their own bookkeeping, in four hooks: ``_on_insert``,
    ``_on_hit`` (also called when an existing key is overwritten), ``_on_remove`` and
    ``_victim``. Time is always passed in by the caller; nothing reads a wall clock.
    """

    name: ClassVar[str] = ""
    container: ClassVar[type] = dict

    def __init__(self, capacity: int, rng: np.random.Generator | None = None, **options: Any):
        if capacity < 0:
            raise ValueError(f"capacity = {capacity!r}: must be >= 0")
        self.capacity = capacity
        self._data = self.container()
        self._uniform = UniformBuffer(rng if rng is not None else np.random.default_rng(0))
        self.evictions = 0
        self.expirations = 0

    # -- policy hooks -------------------------------------------------------------------
    def _on_insert(self, key: Hashable) -> None:
        """A new key was stored."""

    def _on_hit(self, key: Hashable) -> None:
        """A stored key was read or overwritten."""

    def _on_remove(self, key: Hashable) -> None:
        """A key left the store (evicted, expired or deleted)."""

    def _victim(self) -> Hashable:
        """The key to evict next; the store is not empty."""
        raise NotImplementedError

    # -- the store ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._data

    def __iter__(self):
        return iter(self._data)

    def keys(self) -> list[Hashable]:
        return list(self._data)

    def get(self, key: Hashable, now: float = 0.0) -> Entry | None:
        """The live entry for ``key``, or None; a hit counts as an access for the policy."""
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] <= now:
            self._remove(key)
            self.expirations += 1
            return None
        self._on_hit(key)
        return entry

    def peek(self, key: Hashable) -> Entry | None:
        """The entry stored under ``key``, expired or not, without counting an access."""
        return self._data.get(key)

    def put(self, key: Hashable, value: Any, expires_at: float = FOREVER,
            now: float = -FOREVER) -> None:
        """Store ``value`` under ``key`` until ``expires_at``, evicting first if full."""
        self.insert(key, (value, expires_at), now)

    def insert(self, key: Hashable, entry: Entry, now: float = -FOREVER) -> None:
        """Store ``entry`` (any tuple whose item 1 is its expiry) under ``key``.

        ``now`` only decides how a removal is counted: a victim whose TTL had already
        run out counts as an expiration, not an eviction.
        """
        data = self._data
        if key in data:
            data[key] = entry
            self._on_hit(key)
            return
        if self.capacity == 0:
            return
        while len(data) >= self.capacity:
            self._evict(now)
        data[key] = entry
        self._on_insert(key)

    def delete(self, key: Hashable) -> bool:
        """Remove ``key`` if present; True if it was."""
        if key in self._data:
            self._remove(key)
            return True
        return False

    def clear(self) -> int:
        """Remove every entry (not counted as evictions); returns how many there were."""
        keys = list(self._data)
        for key in keys:
            self._remove(key)
        return len(keys)

    def access(self, key: Hashable) -> bool:
        """Replay one request: True on a hit; on a miss, insert the key. No expiry."""
        if key in self._data:
            self._on_hit(key)
            return True
        self.put(key, None)
        return False

    def _evict(self, now: float = -FOREVER) -> None:
        key = self._victim()
        self._count_removal(self._data[key], now)
        self._remove(key)

    def _count_removal(self, entry: Entry, now: float) -> None:
        if entry[1] <= now:
            self.expirations += 1
        else:
            self.evictions += 1

    def _remove(self, key: Hashable) -> None:
        del self._data[key]
        self._on_remove(key)


class OrderedStore(Store):
    """A store whose victim is always the first key in insertion-or-use order."""

    container = OrderedDict

    def _victim(self) -> Hashable:
        return next(iter(self._data))

    def insert(self, key: Hashable, entry: Entry, now: float = -FOREVER) -> None:
        # Store.insert without the _on_insert hook, which ordered stores do not need: every
        # miss fills an LRU tier or two, and the call saved counts (make bench).
        data = self._data
        if key in data:
            data[key] = entry
            self._on_hit(key)
            return
        if self.capacity == 0:
            return
        if len(data) >= self.capacity:  # evict the first in order: nothing else to undo
            if data.popitem(False)[1][1] <= now:  # positional: a little cheaper
                self.expirations += 1
            else:
                self.evictions += 1
        data[key] = entry

    def delete(self, key: Hashable) -> bool:
        # Store.delete without _remove and _on_remove: nothing outside the dict to undo.
        return self._data.pop(key, None) is not None

    def _admit(self, key: Hashable) -> None:
        """Replay's miss: insert ``key``, evicting the first in order if full."""
        if self.capacity:
            data = self._data
            if len(data) >= self.capacity:
                data.popitem(last=False)
                self.evictions += 1
            data[key] = _REPLAY_ENTRY


class SampledKeys:
    """Mixin: keeps keys in a list so a uniformly random one can be drawn in O(1)."""

    def _init_sampling(self) -> None:
        self._keys: list[Hashable] = []
        self._pos: dict[Hashable, int] = {}

    def _track(self, key: Hashable) -> None:
        self._pos[key] = len(self._keys)
        self._keys.append(key)

    def _untrack(self, key: Hashable) -> None:
        i = self._pos.pop(key)
        last = self._keys.pop()
        if i < len(self._keys):
            self._keys[i] = last
            self._pos[last] = i

    def _random_key(self) -> Hashable:
        keys = self._keys
        return keys[int(self._uniform() * len(keys))]
