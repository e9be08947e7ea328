"""Write-behind (write-back): update the cache, acknowledge, write the database later."""

from __future__ import annotations

import math
from typing import Any

from ..model.database import Database, Query
from .base import WRITE_STRATEGIES, Context, WriteStrategy


@WRITE_STRATEGIES.register
class WriteBehind(WriteStrategy):
    """Store the new value in the writer's tiers and acknowledge at once; a flusher writes
    dirty keys to the database every ``strategy.flush_interval_s``, at most
    ``strategy.flush_batch`` keys per batch query, oldest first.

    Writes are fast (a cache round trip, no database) and repeated writes to a key
    coalesce into one database write (``db_writes`` counts keys written). Until a key is
    flushed the cache is ahead of the database (that is not a stale read); if the tier
    holding the queue (the farthest one) crashes first, every acknowledged write it held
    is lost (``lost_writes``; a batch already sent to the database is not).

    A dirty key is an ordinary cache entry: eviction or its TTL may remove it before its
    flush (products such as Hazelcast keep the queued value apart from the entry; here
    the queue holds versions only). A read then loads the older row from the database, a
    stale read of the writer's own acknowledged write, and the flush later commits the
    newer version underneath that copy. Give the home tier room and a TTL longer than the
    flush interval to avoid it.
    """

    name = "write-behind"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        strategy = ctx.scenario.strategy
        self.interval_s = strategy.flush_interval_s
        self.batch = strategy.flush_batch
        # key -> (newest acknowledged version, writes it stands for), oldest key first
        self.dirty: dict[int, tuple[int, int]] = {}
        self.flush_due = False
        self.home = ctx.tiers[-1] if ctx.tiers else None

    def write(self, key: int, t: float, server: int, measured: bool) -> None:
        ctx = self.ctx
        version = ctx.db.issue(key)
        ctx.call_at(t + ctx.write_gap_s, self._stored, (key, server, version, t, measured))

    def _stored(self, now: float, args: tuple[int, int, int, float, bool]) -> None:
        """The write reaches the writer's tiers: it is queued for the database there and
        acknowledged. (A crash before this moment does not lose it: it lands in the empty
        tier afterwards.)"""
        key, server, version, t0, measured = args
        ctx = self.ctx
        earlier = self.dirty.get(key)
        self.dirty[key] = (version, earlier[1] + 1 if earlier else 1)
        if ctx.hooks.on_write is not None:  # e.g. a lease on the key is no longer valid
            ctx.hooks.on_write(key, now)
        ctx.chains[server].fill(key, version, t0, now)
        if ctx.tracing:
            ctx.trace(key, now, "set", server, version, "the writer's tiers; queued for the "
                      "database" + ("; replaces a write not yet flushed" if earlier else ""))
        ctx.publish(key, server, version, now)
        ctx.write_done(t0, now, measured)
        if not self.flush_due:
            self._schedule_flush(now)

    def _schedule_flush(self, now: float) -> None:
        self.flush_due = True
        when = math.floor(now / self.interval_s + 1.0) * self.interval_s  # the next tick
        self.ctx.call_at(when, self._flush, None)

    def _flush(self, now: float, _: Any) -> None:
        self.flush_due = False
        if not self.dirty:
            return
        items = []
        for key, (version, writes) in self.dirty.items():
            items.append((key, version, writes))
            if len(items) == self.batch:
                break
        for key, _version, _writes in items:
            del self.dirty[key]
        self.ctx.db.submit(Flush(self.ctx, items), now)
        if self.dirty:
            self._schedule_flush(now)

    def tier_crashed(self, tier: Any, now: float) -> None:
        if tier is not self.home or not self.dirty:
            return
        ctx = self.ctx
        # The lost versions stay issued (never reused), so a later write is newer than
        # any copy of a lost one that outlived the crash in a nearer tier.
        ctx.count("lost_writes", sum(writes for _version, writes in self.dirty.values()))
        if ctx.tracing:
            for key, (version, writes) in self.dirty.items():
                ctx.trace(key, now, "write lost", None, version,
                          f"{writes} acknowledged write(s); {tier.name} crashed first")
        self.dirty.clear()


class Flush(Query):
    """One batch of dirty keys written to the database in one query."""

    __slots__ = ("ctx", "items")
    is_write = True

    def __init__(self, ctx: Context, items: list[tuple[int, int, int]]):
        self.ctx, self.items = ctx, items

    @property
    def rows(self) -> int:  # type: ignore[override]
        return len(self.items)

    def end(self, db: Database, now: float) -> None:
        tracing = self.ctx.tracing
        for key, version, _writes in self.items:
            db.commit(key, version, now)
            if tracing:
                self.ctx.trace(key, now, "write commits", None, version, "flushed")

    def expire(self, db: Database, deadline: float) -> None:
        # The flusher gave up waiting for a connection: the batch's writes are lost.
        self.ctx.count("lost_writes", sum(writes for _key, _version, writes in self.items))
