"""Least recently used: evict the key whose last access is oldest."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from .base import _REPLAY_ENTRY, Store
from .registry import register


@register
class LRU(Store):
    """Exact LRU over an ordered dict (Che et al., IEEE JSAC 2002, approximate its hit ratio)."""

    name = "lru"
    container = OrderedDict

    def __init__(self, capacity, rng=None, **options):
        super().__init__(capacity, rng, **options)
        self._on_hit = self._data.move_to_end  # the whole policy: recency is dict order

    def _victim(self) -> Hashable:
        return next(iter(self._data))

    def _evict(self) -> None:
        self._data.popitem(last=False)  # the victim is first in order; no bookkeeping to undo
        self.evictions += 1

    def access(self, key: Hashable) -> bool:
        data = self._data
        if key in data:
            data.move_to_end(key)
            return True
        if self.capacity:
            if len(data) >= self.capacity:
                data.popitem(last=False)
                self.evictions += 1
            data[key] = _REPLAY_ENTRY
        return False
