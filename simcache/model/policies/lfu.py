"""Least frequently used: evict the key with the fewest hits since it was stored."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from .base import Store
from .registry import register


@register
class LFU(Store):
    """In-cache LFU in O(1) (Shah, Mitra & Matani, 2010); ties go to the least recent.

    Under independent requests it approaches static LFU: the C most popular keys.
    """

    name = "lfu"

    def __init__(self, capacity, rng=None, **options):
        super().__init__(capacity, rng, **options)
        self._freq: dict[Hashable, int] = {}
        self._buckets: dict[int, OrderedDict] = {}
        self._min: int | None = None

    def _on_insert(self, key: Hashable) -> None:
        self._freq[key] = 1
        self._buckets.setdefault(1, OrderedDict())[key] = None
        self._min = 1

    def _on_hit(self, key: Hashable) -> None:
        f = self._freq[key]
        bucket = self._buckets[f]
        del bucket[key]
        if not bucket:
            del self._buckets[f]
            if self._min == f:
                self._min = f + 1
        self._freq[key] = f + 1
        nxt = self._buckets.get(f + 1)
        if nxt is None:
            nxt = self._buckets[f + 1] = OrderedDict()
        nxt[key] = None

    def _on_remove(self, key: Hashable) -> None:
        f = self._freq.pop(key)
        bucket = self._buckets[f]
        del bucket[key]
        if not bucket:
            del self._buckets[f]
            if self._min == f:
                self._min = None

    def _victim(self) -> Hashable:
        if self._min is None:
            self._min = min(self._buckets)
        return next(iter(self._buckets[self._min]))
