"""Protections against stampedes, penetration and hot keys, one small class per file."""

from . import single_flight, lock, lease, xfetch, stale_while_revalidate  # noqa: F401, I001
from . import negative_cache, bloom  # noqa: F401, I001  (registers them, in this order)
from .base import PROTECTIONS, Hooks, Protection, ProtectionOptions, keep_expired_s

__all__ = ["PROTECTIONS", "Hooks", "Protection", "ProtectionOptions", "keep_expired_s"]
