"""Readers that poll for another reader's load: the machinery a lock and a lease share.

One reader (the holder) loads a key; the others wait, asking again every ``poll_ms``.
Their polls cost no events: a waiter's fate depends only on when the holder's load ends,
so when it does, each waiter is woken once, at its first poll after that moment, and
reads the cache again (a miss then, because a write deleted the key or the fill was
refused, makes it try to become the holder itself). A lock's waiter that waits too long
is handled by one timer per hold, armed at the earliest deadline.
"""

from __future__ import annotations

import heapq
import math
from itertools import count
from typing import TYPE_CHECKING

from ..model.database import Database
from ..model.loads import ReadQuery
from .base import Protection

if TYPE_CHECKING:
    from ..model.tiers import Entry


class Waiter:
    """A reader waiting for a key: when it arrived and when it gives up (inf: never)."""

    __slots__ = ("key", "t0", "server", "measured", "deadline", "answered")

    def __init__(self, key: int, t0: float, server: int, measured: bool, deadline: float):
        self.key, self.t0, self.server, self.measured = key, t0, server, measured
        self.deadline = deadline
        self.answered = False


class Hold:
    """A key held by one loader (a lock, a lease) and the readers waiting for it."""

    __slots__ = ("key", "valid", "waiters", "deadlines", "timer_at", "over")

    def __init__(self, key: int):
        self.key = key
        self.valid = True   # a lease a write has invalidated is no longer valid
        self.waiters: list[Waiter] = []
        self.deadlines: list[tuple[float, int, Waiter]] = []  # a heap, earliest first
        self.timer_at = math.inf
        self.over = False   # the holder's load has ended


class Polling(Protection):
    """Base of :class:`~.lock.Lock` and :class:`~.lease.Lease` (``poll_ms`` between polls)."""

    #: Seconds a waiter waits before giving up; inf: it never does.
    timeout_s = math.inf

    def __init__(self, options, ctx):
        super().__init__(options, ctx)
        self.poll_s = options.poll_ms / 1000.0
        self.holds: dict[int, Hold] = {}
        self._order = count()

    # -- a read that missed -------------------------------------------------------------
    def on_miss(self, key: int, t: float, server: int, measured: bool) -> bool:
        deadline = (t + math.ceil(self.timeout_s / self.poll_s - 1e-9) * self.poll_s
                    if self.timeout_s < math.inf else math.inf)
        self.acquire(Waiter(key, t, server, measured, deadline), t)
        return True

    def acquire(self, waiter: Waiter, now: float) -> None:
        """Become the holder of the key and load it, or wait for the holder."""
        ctx, key = self.ctx, waiter.key
        hold = self.holds.get(key)
        if hold is None:
            hold = self.holds[key] = Hold(key)
            if ctx.tracing:
                ctx.trace(key, now, f"{self.name} acquired", waiter.server, None, "")
            ctx.db.submit(HolderLoad(self, hold, waiter), now)
            return
        if now == waiter.t0:  # its first wait (a woken waiter that waits again is not new)
            ctx.count("waits")
        if ctx.tracing:
            ctx.trace(key, now, "waits", waiter.server, None, f"polls the {self.name}")
        hold.waiters.append(waiter)
        if waiter.deadline < math.inf:
            heapq.heappush(hold.deadlines, (waiter.deadline, next(self._order), waiter))
            if waiter.deadline < hold.timer_at:
                hold.timer_at = waiter.deadline
                ctx.call_at(waiter.deadline, self._deadline, hold)

    def stores(self, hold: Hold) -> bool:
        """Whether the holder's value may be stored (a lease checks its token)."""
        return True

    # -- the holder's load ended --------------------------------------------------------
    def released(self, hold: Hold, now: float) -> None:
        """The holder's load is over: free the key and wake each waiter at its next poll."""
        hold.over = True
        if self.holds.get(hold.key) is hold:
            del self.holds[hold.key]
        poll = self.poll_s
        for waiter in hold.waiters:
            if not waiter.answered:
                polls = math.ceil((now - waiter.t0) / poll - 1e-9)
                self.ctx.call_at(waiter.t0 + polls * poll, self._wake, waiter)
        hold.waiters = []

    def _wake(self, now: float, waiter: Waiter) -> None:
        """A waiter polls after the holder finished: the value, if the cache has it now;
        otherwise it tries to become the holder."""
        if waiter.answered:
            return
        entry = self.cached(waiter.key, waiter.server, now)
        if entry is not None:
            waiter.answered = True
            self.ctx.read_done(waiter.key, waiter.t0, now, entry[0], waiter.measured)
        else:
            self.acquire(waiter, now)

    def cached(self, key: int, server: int, now: float) -> Entry | None:
        """The fresh entry of ``key`` nearest to ``server``, read as a GET would."""
        keep = self.ctx.hooks.keep_expired_s
        chain = self.ctx.chains[server]
        stored_as = key + chain.namespace.offset
        for store in chain.stores:
            entry = store.get(stored_as, now)
            if entry is not None and entry[1] - keep > now:
                return entry
        return None

    # -- waiting too long ---------------------------------------------------------------
    def _deadline(self, now: float, hold: Hold) -> None:
        """The timer of a hold: every waiter whose deadline has come gives up."""
        hold.timer_at = math.inf
        if hold.over:
            return
        heap = hold.deadlines
        while heap and heap[0][0] <= now:
            waiter = heapq.heappop(heap)[2]
            if not waiter.answered:
                waiter.answered = True
                self.gave_up(waiter, now)
        if heap:
            hold.timer_at = heap[0][0]
            self.ctx.call_at(hold.timer_at, self._deadline, hold)

    def gave_up(self, waiter: Waiter, now: float) -> None:
        """A waiter's deadline passed before the holder finished."""


class HolderLoad(ReadQuery):
    """The holder's load: store the value if the protection allows it, answer the holder,
    then release the key."""

    __slots__ = ("protection", "hold")

    def __init__(self, protection: Polling, hold: Hold, waiter: Waiter):
        super().__init__(protection.ctx, waiter.key, waiter.t0, waiter.server, waiter.measured)
        self.protection, self.hold = protection, hold

    def end(self, db: Database, now: float) -> None:
        ctx = self.ctx
        if self.protection.stores(self.hold):
            ctx.fill(self.server, self.key, self.version, now, now)
        elif ctx.tracing:
            ctx.trace(self.key, now, "fill refused", self.server, self.version,
                      "its lease was invalidated by a write")
        ctx.read_done(self.key, self.t0, now, self.version, self.measured)
        self.protection.released(self.hold, now)

    def expire(self, db: Database, deadline: float) -> None:
        super().expire(db, deadline)
        self.protection.released(self.hold, deadline)
