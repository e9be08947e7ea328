"""Write-through: update the database, then store the new value in the caches."""

from __future__ import annotations

from .base import WRITE_STRATEGIES, WriteStrategy
from .invalidate import InvalidateWrite


@WRITE_STRATEGIES.register
class WriteThrough(WriteStrategy):
    """Commit the row, then set the new value in the writer's tiers, both before the
    write is acknowledged (its latency includes the database and a round trip per tier).

    The next read of the key hits, with the new value; a key written often and read
    rarely fills the cache with values nobody reads.
    """

    name = "write-through"

    def write(self, key: int, t: float, server: int, measured: bool) -> None:
        self.ctx.db.submit(WriteThroughWrite(self.ctx, key, t, server, measured), t)


class WriteThroughWrite(InvalidateWrite):
    """Commit a new version of ``key``, then store it in the writer's chain."""

    __slots__ = ()
    stores = True
