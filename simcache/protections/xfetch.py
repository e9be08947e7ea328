"""XFetch: probabilistic early recomputation (Vattani, Chierichetti and Lowenstein, VLDB 2015)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from ..model.database import Database
from ..model.loads import ReadQuery
from ..rng import UniformBuffer, stream
from .base import PROTECTIONS, Protection, ProtectionOptions


class XFetchOptions(ProtectionOptions):
    kind: Literal["xfetch"] = "xfetch"
    beta: float = Field(1.0, gt=0, le=100,
                        description="xfetch: eagerness; above 1 recomputes earlier, below 1 "
                                    "later")


@PROTECTIONS.register
class XFetch(Protection):
    """Each reader of a cached key recomputes it early, with a probability that rises as
    expiry nears: when ``now − δ·β·ln(u) ≥ expiry`` (u uniform in (0, 1], δ the time the
    last recomputation of the key took). Nothing is coalesced: readers never wait for
    one another, and at high request rates a key is recomputed about e^(1/β) times per
    expiry (β = 1: about 2.7), however many readers it has (Vattani et al., "Optimal
    Probabilistic Cache Stampede Prevention", VLDB 2015).
    """

    name = "xfetch"
    Options = XFetchOptions

    def __init__(self, options: XFetchOptions, ctx):
        super().__init__(options, ctx)
        self.beta = options.beta
        self.delta: dict[int, float] = {}  # key -> how long its last recomputation took
        self.guess_s = ctx.scenario.database.latency_ms / 1000.0  # δ before any is measured
        self.uniform = UniformBuffer(stream(ctx.scenario.seed, "xfetch"))

    def on_hit(self, key: int, t: float, server: int, level: int, entry: tuple,
               measured: bool) -> bool:
        expiry = entry[1] - self.ctx.hooks.keep_expired_s
        if expiry == math.inf:
            return False
        gap = -self.delta.get(key, self.guess_s) * self.beta * math.log(1.0 - self.uniform())
        if t + gap < expiry:
            return False
        ctx = self.ctx
        ctx.count("refreshes")
        if ctx.tracing:
            ctx.trace(key, t, "recomputes early", server, entry[0],
                      f"{expiry - t:.3g} s before expiry")
        ctx.db.submit(Recompute(self, key, t, server, measured), t)
        return True

    def on_miss(self, key: int, t: float, server: int, measured: bool) -> bool:
        self.ctx.db.submit(Recompute(self, key, t, server, measured), t)
        return True


class Recompute(ReadQuery):
    """A reader's own load, timed: its duration is the δ of the key's next decisions."""

    __slots__ = ("protection",)

    def __init__(self, protection: XFetch, key: int, t0: float, server: int, measured: bool):
        super().__init__(protection.ctx, key, t0, server, measured)
        self.protection = protection

    def end(self, db: Database, now: float) -> None:
        self.protection.delta[self.key] = now - self.queued_at
        super().end(db, now)
