"""First in, first out: evict the key that was inserted longest ago; hits change nothing."""

from __future__ import annotations

from collections.abc import Hashable

from .base import OrderedStore
from .registry import register


@register
class FIFO(OrderedStore):
    """FIFO; under independent requests its hit ratio matches RANDOM's (Gelenbe, 1973)."""

    name = "fifo"

    def access(self, key: Hashable) -> bool:
        if key in self._data:
            return True
        self._admit(key)
        return False
