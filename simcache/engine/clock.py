"""The simulation clock: a simpy environment the request loop can move forward.

This is the one place that touches simpy's private state (``_queue``, ``_now``):
requests arrive in time order from pre-drawn arrays rather than as simpy processes, so
the loop needs to run every event due before an arrival and then stand at the arrival's
time, without the extra event that ``run(until=...)`` schedules per call.
``tests/test_clock.py`` pins the layout this relies on (``simpy>=4.1,<5``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL


class Call:
    """A bare event for a timer: simpy's ``step()`` runs its callbacks like any event's.

    A ``Timeout`` carries what a process needs (an environment, a value, a delay) and
    costs twice as much to make; a query's completion needs only a time and an
    argument. ``time`` is when it fires, ``arg`` what it carries.
    """

    __slots__ = ("callbacks", "_ok", "time", "arg")

    def __init__(self, callback: Callable[[Call], None], time: float, arg: Any):
        self.callbacks = [callback]
        self._ok = True  # step() checks this after the callbacks
        self.time = time
        self.arg = arg


class Clock(simpy.Environment):
    """A simpy environment with a cheap "advance to t" for an outside request loop."""

    def advance(self, t: float) -> float:
        """Run every event due at or before ``t``, stand at ``t``; return the next event's time.

        Nothing is then scheduled before ``t``, so jumping the clock is what
        ``run(until=t)`` would do.
        """
        queue = self._queue
        while queue and queue[0][0] <= t:
            self.step()
        self._now = t
        return queue[0][0] if queue else math.inf

    def next_time(self) -> float:
        """When the next scheduled event happens (infinity if none)."""
        queue = self._queue
        return queue[0][0] if queue else math.inf

    def call_later(self, delay_s: float, callback: Callable[[Call], None], arg: Any) -> None:
        """Call ``callback(call)`` ``delay_s`` from now; ``call.arg`` is ``arg``."""
        when = self._now + delay_s
        heappush(self._queue, (when, NORMAL, next(self._eid), Call(callback, when, arg)))

    def after(self, delay_s: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` ``delay_s`` from now: one Timeout event."""
        self.timeout(delay_s).callbacks.append(callback)

    def at(self, time_s: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` at simulation time ``time_s`` (now, if that has passed)."""
        self.after(max(0.0, time_s - self.now), callback)
