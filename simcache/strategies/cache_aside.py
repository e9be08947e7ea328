"""Cache-aside (lazy loading): the application reads the database on a miss and fills the caches."""

from __future__ import annotations

from ..model.database import Database, Query
from .base import READ_STRATEGIES, Context, ReadStrategy


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


class ReadQuery(Query):
    """One reader's query: snapshot at start, fill and answer at the end."""

    __slots__ = ("ctx", "key", "t0", "server", "measured", "version")

    def __init__(self, ctx: Context, key: int, t0: float, server: int, measured: bool):
        self.ctx, self.key, self.t0, self.server, self.measured = ctx, key, t0, server, measured

    def begin(self, db: Database, now: float) -> None:
        self.version = db.snapshot(self.key)  # what the query sees is fixed when it starts
        if self.ctx.tracing:
            self.ctx.trace(self.key, now, "db read starts", self.server, self.version, "")

    def end(self, db: Database, now: float) -> None:
        ctx = self.ctx
        if ctx.tracing:
            ctx.trace(self.key, now, "db read ends", self.server, self.version, "")
        plain = ctx.plain_fills
        if plain is None:
            ctx.fill(self.server, self.key, self.version, now, now)
        else:
            plain[self.server](self.key, self.version, now, now)
        ctx.read_done(self.key, self.t0, now, self.version, self.measured)

    def expire(self, db: Database, deadline: float) -> None:
        self.ctx.read_failed(self.t0, deadline, self.measured)
