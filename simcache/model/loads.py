"""Loads: database reads that fill the caches and answer the readers waiting for them.

A :class:`ReadQuery` answers one reader; a :class:`SharedLoad` also answers every reader
that joined its flight meanwhile (read-through caches, single-flight); a
:class:`BackgroundLoad` answers nobody (a refresh). Strategies and protections submit
them; the database runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from .database import Database, Query

if TYPE_CHECKING:
    from ..strategies.base import Context
    from .flights import Flights


class ReadQuery(Query):
    """One reader's query: what it sees is fixed when it starts; at its end the value
    fills the reader's tiers and the reader is answered."""

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
        self.ctx.read_failed(self.key, self.t0, deadline, self.measured)


class SharedLoad(ReadQuery):
    """The one load of a key for a flight: fill the tiers, then answer the loader and every
    reader that joined the flight (``(t0, server, measured)`` waiters)."""

    __slots__ = ("flights", "flight")

    def __init__(self, ctx: Context, key: int, t0: float, server: int, measured: bool,
                 flights: Flights, flight: Hashable):
        super().__init__(ctx, key, t0, server, measured)
        self.flights, self.flight = flights, flight

    def end(self, db: Database, now: float) -> None:
        super().end(db, now)
        ctx, key, version = self.ctx, self.key, self.version
        for t0, server, measured in self.flights.end(self.flight):
            if server != self.server:  # its own per-server tiers, if any, fill too
                ctx.fill(server, key, version, now, now)
            ctx.read_done(key, t0, now, version, measured)

    def expire(self, db: Database, deadline: float) -> None:
        super().expire(db, deadline)
        for t0, _, measured in self.flights.end(self.flight):
            self.ctx.read_failed(self.key, t0, deadline, measured)


class BackgroundLoad(Query):
    """A reload nobody waits for (refresh-ahead, stale-while-revalidate): read the key,
    store it again with a fresh TTL, then call ``done(key, now)``. Counted in
    ``refreshes`` as it starts, as ``db_reads`` are."""

    __slots__ = ("ctx", "key", "server", "done", "version")

    def __init__(self, ctx: Context, key: int, server: int,
                 done: Callable[[int, float], None]):
        self.ctx, self.key, self.server, self.done = ctx, key, server, done

    def begin(self, db: Database, now: float) -> None:
        self.version = db.snapshot(self.key)
        self.ctx.count("refreshes")

    def end(self, db: Database, now: float) -> None:
        self.ctx.fill(self.server, self.key, self.version, now, now)
        self.done(self.key, now)

    def expire(self, db: Database, deadline: float) -> None:
        self.done(self.key, deadline)
