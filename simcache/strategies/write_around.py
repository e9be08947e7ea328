"""Write-around: update the database only; cached copies live on until they expire."""

from __future__ import annotations

from ..model.database import Database
from .base import WRITE_STRATEGIES, WriteStrategy
from .invalidate import InvalidateWrite


@WRITE_STRATEGIES.register
class WriteAround(WriteStrategy):
    """Commit the row and acknowledge; the caches are not touched.

    Cheap for data written more than read, and a cached copy stays stale until its TTL
    runs out (or pub/sub drops per-server copies): the stale share of hits grows with the
    write rate and the TTL.
    """

    name = "write-around"

    def write(self, key: int, t: float, server: int, measured: bool) -> None:
        self.ctx.db.submit(WriteAroundWrite(self.ctx, key, t, server, measured), t)


class WriteAroundWrite(InvalidateWrite):
    """Commit a new version of ``key`` and acknowledge at once."""

    __slots__ = ()

    def end(self, db: Database, now: float) -> None:
        key, ctx = self.key, self.ctx
        version = db.commit_new(key, now)
        if ctx.tracing:
            ctx.trace(key, now, "write commits", self.server, version, "the caches keep theirs")
        ctx.publish(key, self.server, version, now)
        ctx.write_done(self.t0, now, self.measured)
