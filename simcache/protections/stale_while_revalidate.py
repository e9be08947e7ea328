"""Stale-while-revalidate: serve an expired value for a while, and reload it once meanwhile."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..model.loads import BackgroundLoad
from .base import PROTECTIONS, Protection, ProtectionOptions


class StaleWhileRevalidateOptions(ProtectionOptions):
    kind: Literal["stale-while-revalidate"] = "stale-while-revalidate"
    swr_s: float = Field(10.0, gt=0, le=86_400,
                         description="stale-while-revalidate: how long past its TTL a value "
                                     "may still be served while it is reloaded")


@PROTECTIONS.register
class StaleWhileRevalidate(Protection):
    """A read that finds a value less than ``swr_s`` past its TTL gets it at once, and
    starts a background reload unless one is already running (one per key): readers never
    wait for the database, and a hot key's expiry costs one query. The price: values up
    to the reload time (at most ``swr_s``) older than their TTL promises. HTTP has the
    same rule for shared caches (RFC 5861, section 3).
    """

    name = "stale-while-revalidate"
    Options = StaleWhileRevalidateOptions

    def __init__(self, options: StaleWhileRevalidateOptions, ctx):
        super().__init__(options, ctx)
        self.reloading: set[int] = set()

    @classmethod
    def keep_expired_s(cls, options: StaleWhileRevalidateOptions) -> float:
        return options.swr_s

    def on_expired(self, key: int, t: float, server: int, level: int, entry: tuple,
                   measured: bool) -> bool:
        if key not in self.reloading:
            self.reloading.add(key)
            ctx = self.ctx
            if ctx.tracing:
                ctx.trace(key, t, "revalidates", server, entry[0], "serving the expired value")
            ctx.db.submit(BackgroundLoad(ctx, key, server, self._done), t)
        return True

    def _done(self, key: int, now: float) -> None:
        self.reloading.discard(key)
