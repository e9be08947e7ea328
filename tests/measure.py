"""Measuring a run from outside, for tests: its peak memory and the simpy events it schedules."""

from __future__ import annotations

import tracemalloc

import simcache as sc
from simcache.engine import Clock, Simulation


def peak_bytes(scenario: sc.Scenario) -> int:
    """Peak memory Python allocated while ``scenario`` ran (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        sc.run(scenario)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class EventCounter:
    """Counts the events a run puts on simpy's heap, split at the end of warm-up.

    Events get there two ways: simpy's own ``schedule()`` (timeouts, processes) and the
    clock's ``call_at()`` (query completions). Both are counted.
    """

    def __init__(self, monkeypatch):
        self.total = 0
        self.at_measuring: int | None = None
        schedule, call_at, start = Clock.schedule, Clock.call_at, Simulation._start_measuring

        def counting_schedule(env, *args, **kwargs):
            self.total += 1
            return schedule(env, *args, **kwargs)

        def counting_call_at(env, *args):
            self.total += 1
            return call_at(env, *args)

        def counting_start(sim, t):
            self.at_measuring = self.total
            return start(sim, t)

        monkeypatch.setattr(Clock, "schedule", counting_schedule)
        monkeypatch.setattr(Clock, "call_at", counting_call_at)
        monkeypatch.setattr(Simulation, "_start_measuring", counting_start)

    @property
    def after_warmup(self) -> int:
        assert self.at_measuring is not None, "the run never started measuring"
        return self.total - self.at_measuring
