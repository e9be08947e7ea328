"""Least recently used: evict the key whose last access is oldest."""

from __future__ import annotations

from collections.abc import Hashable

from .base import OrderedStore
from .registry import register


@register
class LRU(OrderedStore):
    """Exact LRU over an ordered dict; Che et al. (IEEE JSAC, 2002) approximate its hit ratio."""

    name = "lru"

    def __init__(self, capacity, rng=None, **options):
        super().__init__(capacity, rng, **options)
        self._on_hit = self._data.move_to_end  # the whole policy: recency is dict order

    def access(self, key: Hashable) -> bool:
        data = self._data
        if key in data:
            data.move_to_end(key)
            return True
        self._admit(key)
        return False
