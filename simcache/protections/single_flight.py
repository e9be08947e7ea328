"""Single-flight: one load per key per app server; the server's other readers wait for it."""

from __future__ import annotations

from typing import Literal

from ..model.flights import Flights
from ..model.loads import SharedLoad
from .base import PROTECTIONS, Protection, ProtectionOptions


class SingleFlightOptions(ProtectionOptions):
    kind: Literal["single-flight"] = "single-flight"


@PROTECTIONS.register
class SingleFlight(Protection):
    """Concurrent misses of one key on one app server share a single database load.

    Within a process the waiters are futures on the first reader's load (Go's
    ``singleflight``, a ``Future`` per key): they wait no longer than the load itself and
    cost no polling. Across app servers nothing is shared, so a stampede on a key costs
    one load per server.
    """

    name = "single-flight"
    Options = SingleFlightOptions

    def __init__(self, options: SingleFlightOptions, ctx):
        super().__init__(options, ctx)
        self.flights = Flights()

    def on_miss(self, key: int, t: float, server: int, measured: bool) -> bool:
        ctx = self.ctx
        flight = (server, key)
        if self.flights.join(flight, (t, server, measured)):
            ctx.count("waits")
            if ctx.tracing:
                ctx.trace(key, t, "waits", server, None, "for this server's load in flight")
            return True
        self.flights.begin(flight, t)
        ctx.db.submit(SharedLoad(ctx, key, t, server, measured, self.flights, flight), t)
        return True
