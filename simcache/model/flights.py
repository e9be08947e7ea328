"""Loads in flight, per key: who is loading a value and who is waiting for it.

Read-through caches, single-flight, locks and leases all ask the same questions: is
somebody already loading this key, and who should be told when it arrives? A waiter
costs no simpy event: the load's own completion hands the value to every waiter.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


class Flight:
    """One load of one key: when it started, who holds it, and the waiters to resume."""

    __slots__ = ("key", "started_at", "holder", "waiters")

    def __init__(self, key: Hashable, started_at: float, holder: Any = None):
        self.key = key
        self.started_at = started_at
        self.holder = holder
        self.waiters: list[Any] = []


class Flights:
    """The table of loads in flight. Keys are whatever the caller coalesces on: a key, or
    ``(server, key)`` for one load per key per app server."""

    __slots__ = ("_table", "started", "joined")

    def __init__(self) -> None:
        self._table: dict[Hashable, Flight] = {}
        self.started = 0  # loads begun
        self.joined = 0   # waiters that joined a load already in flight

    def get(self, key: Hashable) -> Flight | None:
        return self._table.get(key)

    def begin(self, key: Hashable, now: float, holder: Any = None) -> Flight:
        """Record a new load of ``key``; there must be none in flight."""
        if key in self._table:
            raise ValueError(f"key {key!r} already has a load in flight")
        flight = self._table[key] = Flight(key, now, holder)
        self.started += 1
        return flight

    def join(self, key: Hashable, waiter: Any) -> bool:
        """Wait for the load of ``key`` in flight; False if there is none."""
        flight = self._table.get(key)
        if flight is None:
            return False
        flight.waiters.append(waiter)
        self.joined += 1
        return True

    def end(self, key: Hashable) -> list[Any]:
        """The load of ``key`` is over: forget it and return its waiters, in arrival order."""
        flight = self._table.pop(key, None)
        return flight.waiters if flight is not None else []

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._table
