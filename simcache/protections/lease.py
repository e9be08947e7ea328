"""Memcache-style leases: one loader per key, and its set refused if a write came first."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import PROTECTIONS, ProtectionOptions
from .waiting import Hold, Polling


class LeaseOptions(ProtectionOptions):
    kind: Literal["lease"] = "lease"
    poll_ms: float = Field(10.0, gt=0, le=60_000,
                           description="lease: a reader without the lease retries this often")


@PROTECTIONS.register
class Lease(Polling):
    """A miss hands the reader a lease (a token) for the key; while it is out, other
    readers of the key get no lease and retry every ``poll_ms``. The holder's set is
    accepted only if its lease is still valid: a write that deletes the key invalidates
    the lease, so a value read before the write is never stored (Nishtala et al.,
    "Scaling Memcache at Facebook", NSDI 2013, section 3.2.1).

    Like a lock it makes a stampede one database read per expiry; unlike a lock it also
    closes the cache-aside race.
    """

    name = "lease"
    Options = LeaseOptions

    def stores(self, hold: Hold) -> bool:
        return hold.valid

    def on_write(self, key: int, now: float) -> None:
        hold = self.holds.pop(key, None)
        if hold is not None:  # its holder's set will be refused; the next miss gets a new one
            hold.valid = False
            if self.ctx.tracing:
                self.ctx.trace(key, now, "lease invalidated", None, None, "by a write")
