"""Warm: load the most popular keys into the caches in one batch (before traffic, after a flush)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..model.database import Database, Query
from .base import FAULTS, Fault, FaultOptions


class WarmOptions(FaultOptions):
    kind: Literal["warm"] = "warm"
    top_k: int = Field(ge=1, le=10**8, description="how many of the most popular keys to load")
    tier: str | None = Field(None, description="the tier to fill; omitted = every tier")

    def describe(self) -> str:
        where = f" into {self.tier}" if self.tier else ""
        return f"warm the top {self.top_k:,}{where} at {self.at_s:g} s"


@FAULTS.register
class Warm(Fault):
    """At ``at_s``, one batch query reads the ``top_k`` most popular keys (ids 0 to
    top_k − 1) and stores them in every tier of every app server, or in one ``tier``.

    A cache warmed this way starts hot instead of cold; but every entry it stores gets
    its TTL at the same moment, so they all expire together (TTL jitter spreads them).
    The batch is one read query (one in ``db_reads``) that holds one connection for one
    query time.
    """

    name = "warm"
    Options = WarmOptions

    def install(self) -> None:
        keys = min(self.options.top_k, self.ctx.scenario.workload.keys)
        self.ctx.at(self.options.at_s, lambda _event: self.ctx.db.submit(
            WarmQuery(self, keys), self.ctx.now()))

    def store(self, versions: list[int], now: float) -> None:
        ctx, tier_name = self.ctx, self.options.tier
        if tier_name is None:
            for chain in ctx.chains:
                for key, version in enumerate(versions):
                    chain.fill(key, version, now, now)
            return
        tier = next(t for t in ctx.tiers if t.name == tier_name)
        offset = ctx.chains[0].namespace.offset
        for store in tier.stores:
            for key, version in enumerate(versions):
                expires = float("inf") if tier.expiry is None else tier.expiry(now)
                store.insert(key + offset, (version, expires, now), now)


class WarmQuery(Query):
    """The batch read: what it sees is fixed when it starts; it fills when it ends."""

    __slots__ = ("fault", "rows", "versions")

    def __init__(self, fault: Warm, rows: int):
        self.fault, self.rows = fault, rows

    def begin(self, db: Database, now: float) -> None:
        self.versions = [db.snapshot(key) for key in range(self.rows)]

    def end(self, db: Database, now: float) -> None:
        self.fault.store(self.versions, now)
