"""Refresh-ahead: reload a popular key in the background before its TTL runs out."""

from __future__ import annotations

from collections import deque

from ..model.loads import BackgroundLoad
from .base import READ_STRATEGIES, Context
from .cache_aside import CacheAside


@READ_STRATEGIES.register
class RefreshAhead(CacheAside):
    """Cache-aside, plus: a hit that finds less than ``strategy.refresh_fraction`` of its
    TTL left is served at once and queues a reload of the key (at most one per key) for
    ``strategy.refresh_workers`` background workers.

    A key read often enough is reloaded before it expires, so its readers stop seeing
    misses; the reloads are database queries too (summary ``refreshes``), and a key read
    only once near its expiry costs a reload nobody uses.
    """

    name = "refresh-ahead"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        strategy = ctx.scenario.strategy
        self.fraction = strategy.refresh_fraction
        self.workers = strategy.refresh_workers
        self.busy = 0
        self.queue: deque[tuple[int, int]] = deque()
        self.pending: set[int] = set()
        self.ttl_s = [t.spec.ttl_s for t in ctx.tiers]

    def on_hit(self, key: int, t: float, server: int, level: int, entry: tuple,
               measured: bool) -> bool:
        ttl = self.ttl_s[level]
        left = entry[1] - self.ctx.hooks.keep_expired_s - t  # of its TTL
        if ttl is not None and left < self.fraction * ttl and key not in self.pending:
            self.pending.add(key)
            if self.ctx.tracing:
                self.ctx.trace(key, t, "refresh queued", server, entry[0],
                               f"{left:.3g} s of TTL left")
            if self.busy < self.workers:
                self._start(key, server, t)
            else:
                self.queue.append((key, server))
        return False  # served from the cache either way

    def _start(self, key: int, server: int, now: float) -> None:
        self.busy += 1
        self.ctx.db.submit(BackgroundLoad(self.ctx, key, server, self.done), now)

    def arrivals_end(self, now: float) -> None:
        # Refreshes still queued would reload keys nobody reads any more: drop them (those
        # already running finish and count).
        for key, _server in self.queue:
            self.pending.discard(key)
        self.queue.clear()

    def done(self, key: int, now: float) -> None:
        """A worker finished (or its query gave up): take the next key waiting."""
        self.pending.discard(key)
        self.busy -= 1
        if self.queue:
            self._start(*self.queue.popleft(), now)
