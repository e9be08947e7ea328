"""Negative caching: remember for a while that a key does not exist."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import PROTECTIONS, Protection, ProtectionOptions


class NegativeCacheOptions(ProtectionOptions):
    kind: Literal["negative-cache"] = "negative-cache"
    negative_ttl_s: float = Field(60.0, gt=0, le=86_400,
                                  description="negative-cache: how long \"not found\" is "
                                              "remembered")


@PROTECTIONS.register
class NegativeCache(Protection):
    """When the database has no row for a key, every tier stores a "not found" marker for
    ``negative_ttl_s``, so the key's next readers are answered from the cache.

    Each marker is an entry: it takes a slot (and memory) like a value and can push real
    values out. Against a few missing keys read often it works like any cache (hit ratio
    λT/(1 + λT) per key); against random keys that never repeat it only fills the cache.
    """

    name = "negative-cache"
    Options = NegativeCacheOptions

    def __init__(self, options: NegativeCacheOptions, ctx):
        super().__init__(options, ctx)
        self.ttl_s = options.negative_ttl_s

    def store_not_found(self, key: int, server: int, now: float) -> None:
        ctx = self.ctx
        expires = now + self.ttl_s + ctx.hooks.keep_expired_s
        ctx.chains[server].fill_until(key, 0, now, now, expires)
        if ctx.tracing:
            ctx.trace(key, now, "not found cached", server, None, f"for {self.ttl_s:g} s")
