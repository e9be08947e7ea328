"""A database connection pool on the simpy clock: first come, first served."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy


class ConnectionPool:
    """``capacity`` connections shared first come, first served (the "c" of M/M/c).

    Granting and releasing a connection are instantaneous, so they need no events of
    their own: a caller that finds a connection free starts at once, and a release hands
    the connection straight to the longest waiter, whose ``start`` runs inside
    ``release()``. So a holder must finish its own work (commit a write, fill caches)
    before releasing. Queueing is the same as a ``simpy.Resource`` (first come, first
    served), which spends three events per use (request, grant, release); here the only
    event a query costs is its service ``Timeout``. Generator processes can still
    ``yield pool.request()`` and must call ``release()`` when done.
    """

    def __init__(self, env: simpy.Environment, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity = {capacity!r}: must be >= 1")
        self.env = env
        self.capacity = capacity
        self.free = capacity
        self._waiting: deque[Callable[[], None]] = deque()

    @property
    def in_use(self) -> int:
        return self.capacity - self.free

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def acquire(self, start: Callable[[], None]) -> None:
        """Call ``start()`` as soon as a connection is this caller's (now, if one is free)."""
        if self.free:
            self.free -= 1
            start()
        else:
            self._waiting.append(start)

    def release(self) -> None:
        """Give the connection back: to the longest waiter if any, else to the pool."""
        if self._waiting:
            self._waiting.popleft()()
        else:
            self.free += 1

    def request(self) -> simpy.Event:
        """An event that fires when a connection is granted, for generator processes."""
        granted = self.env.event()
        self.acquire(granted.succeed)
        return granted
