"""Invalidate on write: update the database, then delete the key from the caches."""

from __future__ import annotations

from ..model.database import Database, Query
from .base import WRITE_STRATEGIES, Context, WriteStrategy


@WRITE_STRATEGIES.register
class Invalidate(WriteStrategy):
    """Update the row, then delete the key from the writer's tiers; the next read reloads it.

    The deletes take a round trip per tier after the commit (until then readers can still
    get the old value), then the write is acknowledged. They reach the shared tiers and
    the writing server's own per-server tiers; other servers' local copies stay until they
    expire (or pub/sub tells them).
    """

    name = "invalidate"

    def write(self, key: int, t: float, server: int, measured: bool) -> None:
        self.ctx.db.submit(InvalidateWrite(self.ctx, key, t, server, measured), t)


class InvalidateWrite(Query):
    """Commit a new version of ``key``, then delete it from the writer's chain."""

    __slots__ = ("ctx", "key", "t0", "server", "measured")
    is_write = True
    #: After the commit the writer's tiers get the new value (write-through) rather than
    #: losing the key (invalidate).
    stores = False

    def __init__(self, ctx: Context, key: int, t0: float, server: int, measured: bool):
        self.ctx, self.key, self.t0, self.server, self.measured = ctx, key, t0, server, measured

    def end(self, db: Database, now: float) -> None:
        key = self.key
        version = db.commit_new(key, now)
        if self.ctx.tracing:
            self.ctx.trace(key, now, "write commits", self.server, version, "")
        self.ctx.after_write(key, self.server, version, now, self.t0, self.measured,
                             store=self.stores)

    def expire(self, db: Database, deadline: float) -> None:
        self.ctx.write_failed(self.t0, deadline, self.measured)
