"""The clock: the one place that touches simpy's private state, and the layout it relies on."""

from __future__ import annotations

import heapq
import math
from importlib import metadata

import simpy

from simcache.engine import Clock


def test_simpy_is_the_major_version_the_clock_was_written_for():
    assert metadata.version("simpy").split(".")[0] == "4"


def test_simpy_keeps_its_schedule_as_a_heap_of_time_priority_id_event():
    """What Clock.advance, Clock.step and Clock.call_at rely on: ``_queue`` is a list used as a heap
    of (time, priority, id, event) tuples, ``_now`` is the time ``now`` reports, ``_eid``
    numbers events, and step() pops the earliest and runs its ``callbacks``."""
    env = simpy.Environment()
    env.timeout(2.0)
    env.timeout(1.0)
    queue = env._queue
    assert isinstance(queue, list) and len(queue) == 2
    time, priority, eid, event = queue[0]
    assert (time, type(event)) == (1.0, simpy.Timeout) and isinstance(eid, int)
    assert priority == simpy.events.NORMAL
    assert heapq.nsmallest(1, queue)[0] is queue[0]
    env._now = 0.5
    assert env.now == 0.5
    assert next(env._eid) > eid


def test_advance_runs_what_is_due_then_stands_at_the_time():
    clock = Clock()
    log = []
    clock.after(1.0, lambda e: log.append(("a", clock.now)))
    clock.after(3.0, lambda e: log.append(("b", clock.now)))
    assert clock.advance(2.0) == 3.0  # returns when the next event is due
    assert log == [("a", 1.0)] and clock.now == 2.0
    assert clock.advance(2.5) == 3.0 and log == [("a", 1.0)]
    assert clock.advance(10.0) == math.inf
    assert log == [("a", 1.0), ("b", 3.0)] and clock.now == 10.0


def test_call_at_is_a_timer_run_in_time_order_with_simpys_own_events():
    clock = Clock()
    log = []
    clock.call_at(2.0, lambda when, arg: log.append(("call", arg, when, clock.now)), "x")

    def process():
        yield clock.timeout(1.0)
        log.append(("process", None, 1.0, clock.now))
        yield clock.timeout(2.0)
        log.append(("process", None, 3.0, clock.now))

    clock.process(process())
    clock.run()
    assert log == [("process", None, 1.0, 1.0), ("call", "x", 2.0, 2.0),
                   ("process", None, 3.0, 3.0)]


def test_at_schedules_on_absolute_time_and_now_if_past():
    clock = Clock()
    log = []
    clock.advance(5.0)
    clock.at(7.5, lambda e: log.append(clock.now))
    clock.at(1.0, lambda e: log.append(clock.now))  # already past: runs at once
    clock.run()
    assert log == [5.0, 7.5]


def test_advance_runs_timers_and_processes_alike():
    clock = Clock()
    log = []
    clock.call_at(1.5, lambda when, arg: log.append((arg, when)), "timer")
    clock.after(1.0, lambda e: log.append(("event", clock.now)))
    clock.call_at(3.0, lambda when, arg: log.append((arg, when)), "late")
    assert clock.advance(2.0) == 3.0
    assert log == [("event", 1.0), ("timer", 1.5)] and clock.now == 2.0
