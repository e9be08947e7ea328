"""A distributed lock per key: one reader loads, the others poll until the value is cached."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..model.loads import ReadQuery
from .base import PROTECTIONS, ProtectionOptions
from .waiting import Polling, Waiter


class LockOptions(ProtectionOptions):
    kind: Literal["lock"] = "lock"
    poll_ms: float = Field(5.0, gt=0, le=60_000,
                           description="lock: a waiter tries the lock again this often")
    lock_timeout_ms: float = Field(
        1000.0, gt=0, le=3_600_000,
        description="lock: a waiter gives up after this long (at its next poll)")
    on_timeout: Literal["stale", "error", "load"] = Field(
        "load", description="lock: what a waiter that gave up does: serve the expired value "
                            "(stale; load if there is none), fail (error), or query the "
                            "database itself (load)")
    stale_s: float = Field(60.0, gt=0, le=86_400,
                           description="lock, on_timeout = stale: how long past its TTL a "
                                       "value is kept to be served")


@PROTECTIONS.register
class Lock(Polling):
    """A mutex per key in the shared cache (``SET lock:k token NX PX``): the reader that
    takes it loads the key; the others poll every ``poll_ms`` and read the cache again
    once the lock is free; one that has waited ``lock_timeout_ms`` does what
    ``on_timeout`` says.

    A stampede on a key becomes one database read per expiry, whatever the number of app
    servers, at the price of the waiters' polling delay (up to ``poll_ms`` after the value
    lands). Holding the lock does not make the stored value current: a write that commits
    during the load is still overwritten by the old value (the cache-aside race; a
    lease closes it).
    """

    name = "lock"
    Options = LockOptions

    def __init__(self, options: LockOptions, ctx):
        super().__init__(options, ctx)
        self.timeout_s = options.lock_timeout_ms / 1000.0
        self.on_timeout = options.on_timeout

    @classmethod
    def keep_expired_s(cls, options: LockOptions) -> float:
        return options.stale_s if options.on_timeout == "stale" else 0.0

    def gave_up(self, waiter: Waiter, now: float) -> None:
        ctx, key = self.ctx, waiter.key
        if ctx.tracing:
            ctx.trace(key, now, "lock wait timed out", waiter.server, None, self.on_timeout)
        if self.on_timeout == "error":
            ctx.read_failed(key, waiter.t0, now, waiter.measured)
            return
        if self.on_timeout == "stale":
            entry = ctx.chains[waiter.server].peek(key)
            if entry is not None and entry[1] > now:
                ctx.read_done(key, waiter.t0, now, entry[0], waiter.measured)
                return
        ctx.db.submit(ReadQuery(ctx, key, waiter.t0, waiter.server, waiter.measured), now)
