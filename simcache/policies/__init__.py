"""Eviction policies, one small class per file, registered by name."""

from . import fifo, lfu, lru, rand, redis_lru  # noqa: F401  (registers each policy)
from .base import FOREVER, Store
from .registry import POLICIES, make_store, register

__all__ = ["FOREVER", "POLICIES", "Store", "make_store", "register"]
