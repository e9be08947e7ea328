"""Read-through: the cache loads a missing key from the database itself, once per key."""

from __future__ import annotations

from ..model.loads import SharedLoad
from .base import READ_STRATEGIES, Context, ReadStrategy


@READ_STRATEGIES.register
class ReadThrough(ReadStrategy):
    """The tiers load on a miss (a loading cache); readers that miss a key already being
    loaded wait for that load instead of querying again.

    The application only asks the cache: the loading code lives with the cache, and no
    write-back round trip is paid. A load in flight is shared by every reader of the key
    whose chain reaches the same loader: the shared tiers for all app servers, or, with
    only per-server tiers, each server's own. Waiters cost no event: the load's reply
    answers them all.
    """

    name = "read-through"
    writes_back = False

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.shared = any(t.scope == "shared" for t in ctx.tiers)

    def miss(self, key: int, t: float, server: int, measured: bool) -> None:
        ctx = self.ctx
        on_miss = ctx.hooks.on_miss
        if on_miss is not None and on_miss(key, t, server, measured):
            return
        flight = key if self.shared else (server, key)
        if ctx.flights.join(flight, (t, server, measured)):
            if ctx.tracing:
                ctx.trace(key, t, "waits", server, None, "for the load in flight")
            return
        ctx.flights.begin(flight, t)
        ctx.db.submit(SharedLoad(ctx, key, t, server, measured, ctx.flights, flight), t)
