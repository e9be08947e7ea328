"""Eviction policies, one small class per file, registered by name."""

from . import lru  # noqa: F401, I001  (import order is the order users see)
from . import lfu, fifo, rand, redis_lru  # noqa: F401, I001
from .base import FOREVER, Store
from .registry import POLICIES, make_store, register

__all__ = ["FOREVER", "POLICIES", "Store", "make_store", "register"]
