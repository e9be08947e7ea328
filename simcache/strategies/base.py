"""What a read or write strategy is, and the context the engine gives it.

The engine binds one read strategy and one write strategy at construction. A read that
hits a tier is settled by the engine inline, with no simpy event; the read strategy is
called only for a read that missed every tier (``miss``) and, if it says so, on hits
(``on_hit``, e.g. to refresh ahead of expiry). The write strategy is called for every
write. Strategies never import the engine: they work through :class:`Context`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..registry import Registry

if TYPE_CHECKING:
    from ..model.database import Database
    from ..model.flights import Flights
    from ..model.tiers import Chain, Tier


class Hooks(Protocol):
    """The scenario's protections, combined (see :mod:`simcache.protections`)."""

    on_read: Callable[[int, float, int, bool], bool] | None
    on_hit: Callable[..., bool] | None
    on_expired: Callable[..., bool] | None
    on_miss: Callable[..., bool] | None
    on_fill: Callable[..., bool] | None
    on_write: Callable[[int, float], None] | None
    store_not_found: Callable[[int, int, float], None] | None
    keep_expired_s: float


class Context(Protocol):
    """What the engine offers strategies, protections and faults."""

    scenario: Any
    db: Database
    tiers: list[Tier]           # the application's tiers
    every_tier: list[Tier]      # those, then any browser and CDN tiers
    edge: Any                   # the browser and CDN tiers (model.edge.Edge), or None
    chains: list[Chain]
    flights: Flights
    hooks: Hooks
    tracing: bool  # some keys are traced: test it before calling trace() on a hot path
    #: Per app server, a plain store into its chain (``fill(key, version, loaded_at, now)``)
    #: when :meth:`fill` would check nothing; None when it must be called.
    plain_fills: list[Callable[[int, int, float, float], None]] | None

    def now(self) -> float: ...
    def schedule(self, delay_s: float, callback: Callable[[Any], None]) -> None: ...
    def at(self, time_s: float, callback: Callable[[Any], None]) -> None: ...
    def call_at(self, when: float, callback: Callable[[float, Any], None], arg: Any) -> None: ...
    def fill(self, server: int, key: int, version: int, loaded_at: float, now: float) -> bool: ...
    def after_write(self, key: int, server: int, version: int, committed: float, t0: float,
                    measured: bool, store: bool) -> None: ...
    def publish(self, key: int, server: int, version: int, now: float) -> None: ...
    def read_done(self, key: int, t0: float, now: float, version: int, measured: bool) -> None: ...
    def read_failed(self, key: int, t0: float, now: float, measured: bool) -> None: ...
    def read_answered(self, key: int, t: float, latency_ms: float, measured: bool) -> None: ...
    def write_done(self, t0: float, now: float, measured: bool) -> None: ...
    def write_failed(self, t0: float, now: float, measured: bool) -> None: ...
    def count(self, name: str, n: int = 1) -> None: ...
    def trace(self, key: int, time_s: float, event: str, server: int | None,
              version: int | None, detail: str) -> None: ...


class ReadStrategy:
    """How a read that missed every tier is served. One instance per run."""

    name: ClassVar[str] = ""
    #: Optional ``on_hit(key, t, server, level, entry, measured) -> bool``: called on every
    #: hit; True means "treat this read as a miss: I will complete it".
    on_hit: ClassVar[Callable[..., bool] | None] = None
    #: The application writes loaded values back to the tiers itself (one round trip per
    #: tier, on a miss and into nearer tiers after a far hit), rather than the tiers
    #: loading on its behalf.
    writes_back: ClassVar[bool] = True

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def miss(self, key: int, t: float, server: int, measured: bool) -> None:
        """A read of ``key`` at ``t`` by app server ``server`` missed every tier."""
        raise NotImplementedError

    def arrivals_end(self, now: float) -> None:
        """The last request has arrived (the engine then lets queued database work drain):
        background work that only future readers would use can stop here."""


class WriteStrategy:
    """How a write reaches the database and the caches. One instance per run."""

    name: ClassVar[str] = ""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def write(self, key: int, t: float, server: int, measured: bool) -> None:
        """App server ``server`` writes ``key`` at ``t``."""
        raise NotImplementedError

    def tier_crashed(self, tier: Any, now: float) -> None:
        """``tier`` lost its contents at ``now`` (fault ``crash``): drop what lived there."""


READ_STRATEGIES: Registry[ReadStrategy] = Registry("read strategy")
WRITE_STRATEGIES: Registry[WriteStrategy] = Registry("write strategy")
