"""Random eviction: evict a key chosen uniformly at random."""

from __future__ import annotations

from collections.abc import Hashable

from .base import SampledKeys, Store
from .registry import register


@register
class Random(SampledKeys, Store):
    """Uniform random eviction (Gelenbe, 1973: same hit ratio as FIFO under IRM)."""

    name = "random"

    def __init__(self, capacity, rng=None, **options):
        super().__init__(capacity, rng, **options)
        self._init_sampling()
        self._on_insert = self._track
        self._on_remove = self._untrack

    def _victim(self) -> Hashable:
        return self._random_key()
