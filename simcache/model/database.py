"""The database behind the caches: a pooled connection per query, and what it has committed.

Queries are small objects (:class:`Query`) that wait for a connection first come, first
served, hold it for one service time (the only simpy event a query costs) and say what
happens at each step. Per key the database keeps the committed version and when it was
committed, so a cached value can be called stale ("older than what the database had
committed at that moment") and its staleness has an age; versions acknowledged to a
writer but not yet committed (write-behind) are kept apart, in ``pending``.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain, repeat
from typing import Any

import numpy as np


class Query:
    """One database query: what it does when it gets a connection, finishes, or gives up.

    The database sets ``queued_at`` (when it asked for a connection; read while it waits)
    and ``started_at`` (when it got one). Subclasses hold their own state in ``__slots__``.
    """

    __slots__ = ("queued_at", "started_at")
    #: Counted as a write (``db_writes``) rather than a read.
    is_write = False
    #: Rows (keys) a write query writes: a batch writes several in one query (db_writes
    #: counts rows; db_reads counts read queries, a batch read as one).
    rows = 1
    #: The key a single-key query reads or writes; -1 for a batch.
    key = -1
    #: ``begin(db, now)``, if the query does something when it gets its connection (read
    #: what it sees at its start); None for most writes, which saves a call each.
    begin: Callable[[Database, float], None] | None = None

    def end(self, db: Database, now: float) -> None:
        """Service is over and the connection still held: commit, fill caches, reply."""

    def expire(self, db: Database, deadline: float) -> None:
        """Waited longer than ``database.timeout_ms`` for a connection: the caller gives up."""


def service_times(rng: np.random.Generator, mean_s: float,
                  constant: bool) -> Callable[[], float]:
    """Query service times in seconds: a function returning the next one. Exponential
    times are drawn in vectorised batches; the function is C-level ``next`` on them."""
    if constant:
        return partial(next, repeat(mean_s))

    def batches() -> Iterator[list[float]]:
        while True:
            yield rng.exponential(mean_s, 4096).tolist()

    return partial(next, chain.from_iterable(batches()))


class Database:
    """``concurrency`` connections shared first come, first served (the "c" of M/M/c).

    Granting a connection needs no event: a query that finds one free starts at once, and
    a finishing query hands its connection straight to the longest waiter. A waiter whose
    wait passes ``timeout_s`` leaves the queue (it is dropped, not kept until its turn):
    :meth:`expire` is called at least at every time-series boundary, and a finishing
    query skips waiters that gave up. Counters are cumulative; the engine reads their
    differences per interval.
    """

    def __init__(self, call_at: Callable[[float, Callable[[float, Any], None], Any], None],
                 concurrency: int, service: Callable[[], float], keys: int,
                 timeout_s: float | None = None, peak_window_s: float = 0.1,
                 missing_keys: int = 0):
        if concurrency < 1:
            raise ValueError(f"concurrency = {concurrency!r}: must be >= 1")
        # call_at(when, callback, query): the one event a query costs, the end of its service
        self._call_at = call_at
        self.capacity = concurrency
        self.free = concurrency
        self.service = service
        self.timeout_s = timeout_s
        self.slowdown = 1.0  # factor on service times (fault db-slowdown)
        self.waiting: deque[Query] = deque()
        # Keys 0 .. keys-1 have a row; the next missing_keys ids are asked for but have none
        # (cache penetration): a read of one finds nothing, and nothing writes them.
        self.keys = keys
        keys += missing_keys
        # Per key: committed version, when, and versions acknowledged but not committed.
        self.committed: list[int] = [0] * keys
        # Flat arrays: a commit stores 8 bytes in place, never a new object, so memory does
        # not grow with the number of keys ever written. The commit before the latest is
        # kept too, for the age of values more than one commit behind.
        self.committed_at = array("d", bytes(8 * keys))
        self.previous_version = array("q", bytes(8 * keys))
        self.previous_at = array("d", bytes(8 * keys))
        # The version the last read query saw, and when a newer one was first committed
        # (-1: not yet): every copy of that version was superseded at that moment, however
        # many commits have followed (write-around leaves such copies in caches for a TTL).
        self.read_version = array("q", bytes(8 * keys))
        self.read_superseded_at = array("d", [-1.0]) * keys
        self.pending: dict[int, int] = {}
        # Cumulative counters.
        self.reads_started = 0
        self.writes_started = 0
        self.wait_s = 0.0
        self.timeouts = 0
        self.not_found = 0  # read queries for keys without a row
        # The hottest key (id 0): its read queries, and its reloads (periods with at least
        # one read of it running, known at its start: the service time is drawn then), so
        # a stampede shows as reads per reload.
        self.hot_reads = 0
        self.hot_reloads = 0
        self._hot_until = -1.0
        # Read queries started per fine window (peak_window_s): the largest count so far.
        self.peak_window_s = peak_window_s
        self._window_end = -1.0
        self._reads_before_window = 0  # reads_started when the current window opened
        self._peak_reads = 0
        self._busy_done_s = 0.0
        self._inflight = 0
        self._inflight_start_sum = 0.0

    # -- versions -----------------------------------------------------------------------
    def issue(self, key: int) -> int:
        """A new version of ``key`` for a writer, pending until :meth:`commit`."""
        version = self.committed[key] + 1
        pending = self.pending.get(key)
        if pending is not None and pending >= version:
            version = pending + 1
        self.pending[key] = version
        return version

    def commit_new(self, key: int, now: float) -> int:
        """A writer's new version of ``key``, committed at ``now`` (:meth:`issue` and
        :meth:`commit` at one moment, without the pending record); returns the version."""
        version = self.committed[key] + 1
        pending = self.pending.get(key) if self.pending else None
        if pending is not None and pending >= version:
            version = pending + 1
        self.commit(key, version, now)
        return version

    def snapshot(self, key: int) -> int:
        """The version a read query starting now sees (and remember that it was read)."""
        version = self.committed[key]
        if version != self.read_version[key]:
            self.read_version[key] = version
            self.read_superseded_at[key] = -1.0
        return version

    def commit(self, key: int, version: int, now: float) -> None:
        """``version`` of ``key`` is in the database from ``now`` on."""
        latest = self.committed[key]
        if version > self.read_version[key] and self.read_superseded_at[key] < 0:
            self.read_superseded_at[key] = now
        if version > latest:
            self.previous_version[key] = latest
            self.previous_at[key] = self.committed_at[key]
            self.committed[key] = version
            self.committed_at[key] = now
        if self.pending and self.pending.get(key) == version:
            del self.pending[key]

    def superseded_at(self, key: int, version: int) -> float:
        """When the database first committed something newer than ``version`` of ``key``.

        Exact for the version the last read query saw, and when the latest commit or the
        one before it superseded ``version``; for a value older still, the time of the
        commit before the latest (so a staleness age computed from it is a lower bound).
        """
        if version == self.read_version[key] and self.read_superseded_at[key] >= 0:
            return self.read_superseded_at[key]
        if version >= self.previous_version[key]:
            return self.committed_at[key]
        return self.previous_at[key]

    # -- connections --------------------------------------------------------------------
    @property
    def in_use(self) -> int:
        return self.capacity - self.free

    @property
    def queued(self) -> int:
        return len(self.waiting)

    def submit(self, query: Query, now: float) -> None:
        """Run ``query`` as soon as a connection is free (now, if one is)."""
        query.queued_at = now
        if not self.free:
            self.waiting.append(query)
            return
        # The query starts: the one place that starts queries (a waiter comes back here
        # through _release), written into submit because most queries wait for nothing.
        self.free -= 1
        query.started_at = now
        end = now + self.service() * self.slowdown
        if query.is_write:
            self.writes_started += query.rows
        else:
            self.reads_started += 1  # a batch read is one query too (fault warm)
            if now >= self._window_end:
                self._next_window(now)
            key = query.key
            if not key:  # the hottest key: a reload starts unless one is running
                self.hot_reads += 1
                if now >= self._hot_until:
                    self.hot_reloads += 1
                if end > self._hot_until:
                    self._hot_until = end
            elif key >= self.keys:
                self.not_found += 1
        self._inflight += 1
        self._inflight_start_sum += now
        if query.begin is not None:
            query.begin(self, now)
        self._call_at(end, self._finish, query)

    def _finish(self, now: float, query: Query) -> None:
        self._inflight -= 1
        self._inflight_start_sum -= query.started_at
        self._busy_done_s += now - query.started_at
        query.end(self, now)  # commit or fill before anyone else may use the connection
        if self.waiting:
            self._release(now)
        else:
            self.free += 1

    def _release(self, now: float) -> None:
        waiting = self.waiting
        timeout = self.timeout_s
        while waiting:
            query = waiting.popleft()
            if timeout is not None and query.queued_at + timeout < now:
                self.timeouts += 1
                query.expire(self, query.queued_at + timeout)
                continue
            self.wait_s += now - query.queued_at
            self.free += 1  # the connection passes straight on, to this waiter
            self.submit(query, now)
            return
        self.free += 1

    def expire(self, now: float) -> None:
        """Drop every waiter whose wait passed the timeout by ``now``."""
        timeout = self.timeout_s
        if timeout is None:
            return
        waiting = self.waiting
        while waiting and waiting[0].queued_at + timeout < now:
            query = waiting.popleft()
            self.timeouts += 1
            query.expire(self, query.queued_at + timeout)

    def _next_window(self, now: float) -> None:
        """A read starts after the current fine window: close it, open the one of ``now``.
        A window's count is the reads started since it opened (this one included)."""
        ended = self._window_count(self.reads_started - 1)
        if ended > self._peak_reads:
            self._peak_reads = ended
        width = self.peak_window_s
        self._window_end = (math.floor(now / width) + 1) * width
        self._reads_before_window = self.reads_started - 1

    def _window_count(self, reads: int) -> int:
        return reads - self._reads_before_window

    def take_peak(self, now: float) -> float:
        """The most read queries started in one fine window since the last call, per second
        (the window running at ``now`` included, and counted again by the next call)."""
        peak = max(self._peak_reads, self._window_count(self.reads_started))
        if now >= self._window_end:  # the last window is over: it belongs here, not later
            self._reads_before_window = self.reads_started
        self._peak_reads = 0
        return peak / self.peak_window_s

    def busy_s(self, now: float) -> float:
        """Connection-seconds of service given up to ``now``, queries still running included."""
        return self._busy_done_s + self._inflight * now - self._inflight_start_sum
