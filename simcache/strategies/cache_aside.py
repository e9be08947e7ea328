"""Cache-aside (lazy loading): the application reads the database on a miss and fills the caches."""

from __future__ import annotations

from ..model.loads import ReadQuery
from .base import READ_STRATEGIES, ReadStrategy

__all__ = ["CacheAside", "ReadQuery"]


@READ_STRATEGIES.register
class CacheAside(ReadStrategy):
    """The application checks each tier; on a miss it reads the database and writes the
    value back to every tier (a round trip each, in the read's latency).

    Each miss is its own database query, however many readers of the same key miss at
    once (what read-through, a lock or single-flight changes). The query reads the version
    committed when it starts; a write that commits and deletes the key meanwhile leaves the
    write-back to store the old value: the cache-aside race.
    """

    name = "cache-aside"

    def miss(self, key: int, t: float, server: int, measured: bool) -> None:
        ctx = self.ctx
        on_miss = ctx.hooks.on_miss
        if on_miss is None or not on_miss(key, t, server, measured):
            ctx.db.submit(ReadQuery(ctx, key, t, server, measured), t)

    def load(self, key: int, t0: float, server: int, measured: bool) -> None:
        """Read ``key`` from the database, fill this server's tiers, answer the reader."""
        self.ctx.db.submit(ReadQuery(self.ctx, key, t0, server, measured), t0)
