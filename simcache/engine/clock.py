"""The simulation clock: a simpy environment the request loop can move forward.

This is the one place that touches simpy's private state (``_queue``, ``_now``, ``_eid``):
requests arrive in time order from pre-drawn arrays rather than as simpy processes, so
the loop needs to run every event due before an arrival and then stand at the arrival's
time, without the extra event that ``run(until=...)`` schedules per call.
``tests/test_clock.py`` pins the layout this relies on (``simpy>=4.1,<5``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL


class Clock(simpy.Environment):
    """A simpy environment with a cheap "advance to t" for an outside request loop."""

    def advance(self, t: float) -> float:
        """Run every event due at or before ``t``, stand at ``t``; return the next event's time.

        Nothing is then scheduled before ``t``, so jumping the clock is what
        ``run(until=t)`` would do.
        """
        queue = self._queue
        while queue and queue[0][0] <= t:
            when, _, _, event = queue[0]
            if type(event) is tuple:  # a call_at() timer: run it as step() would
                heappop(queue)
                self._now = when
                event[0](when, event[1])
            else:
                self.step()
        self._now = t
        return queue[0][0] if queue else math.inf

    def step(self) -> None:
        """simpy's step(), which also runs call_at() timers (``run()`` calls this)."""
        queue = self._queue
        if queue and type(queue[0][3]) is tuple:
            when, _, _, (callback, arg) = heappop(queue)
            self._now = when
            callback(when, arg)
        else:
            super().step()

    def stand(self, t: float) -> None:
        """Set the clock to ``t``; the caller has run everything due before it."""
        self._now = t

    def next_time(self) -> float:
        """When the next scheduled event happens (infinity if none)."""
        queue = self._queue
        return queue[0][0] if queue else math.inf

    def call_at(self, when: float, callback: Callable[[float, Any], None], arg: Any) -> None:
        """Call ``callback(when, arg)`` at simulation time ``when`` (not before now).

        A timer, not a simpy event: a bare ``(callback, arg)`` in simpy's heap, run by
        :meth:`advance` and :meth:`step`. A ``Timeout`` carries what a process needs and
        costs several times as much to make; a query's completion needs only this.
        """
        heappush(self._queue, (when, NORMAL, next(self._eid), (callback, arg)))

    def after(self, delay_s: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` ``delay_s`` from now: one Timeout event."""
        self.timeout(delay_s).callbacks.append(callback)

    def at(self, time_s: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` at simulation time ``time_s`` (now, if that has passed)."""
        self.after(max(0.0, time_s - self.now), callback)
