"""First in, first out: evict the key that was inserted longest ago; hits change nothing."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from .base import _REPLAY_ENTRY, Store
from .registry import register


@register
class FIFO(Store):
    """FIFO; under independent requests its hit ratio matches RANDOM's (Gelenbe, 1973)."""

    name = "fifo"
    container = OrderedDict

    def _victim(self) -> Hashable:
        return next(iter(self._data))

    def _evict(self) -> None:
        self._data.popitem(last=False)  # the victim is first in order; no bookkeeping to undo
        self.evictions += 1

    def access(self, key: Hashable) -> bool:
        data = self._data
        if key in data:
            return True
        if self.capacity:
            if len(data) >= self.capacity:
                data.popitem(last=False)
                self.evictions += 1
            data[key] = _REPLAY_ENTRY
        return False
