"""The database: connections first come, first served, timeouts, busy time and versions."""

from __future__ import annotations

import pytest

from simcache.engine import Clock
from simcache.model.database import Database, Query


class Logged(Query):
    """A query that logs (name, event, time) at each step."""

    __slots__ = ("name", "log")

    def __init__(self, name, log):
        self.name, self.log = name, log

    def begin(self, db, now):
        self.log.append((self.name, "start", now))

    def end(self, db, now):
        self.log.append((self.name, "end", now))

    def expire(self, db, deadline):
        self.log.append((self.name, "gave up", deadline))


def database(connections=1, service_s=1.0, timeout_s=None, keys=10):
    clock = Clock()
    return clock, Database(clock.call_at, connections, lambda: service_s, keys, timeout_s)


def test_queries_take_free_connections_at_once_and_the_rest_wait_in_order():
    """Two connections, four queries at t=0, each 1 s: two finish at 1, two at 2."""
    clock, db = database(connections=2)
    log = []
    for name in "abcd":
        db.submit(Logged(name, log), 0.0)
    assert (db.in_use, db.queued) == (2, 2)
    clock.run()
    assert log == [("a", "start", 0), ("b", "start", 0), ("a", "end", 1), ("c", "start", 1),
                   ("b", "end", 1), ("d", "start", 1), ("c", "end", 2), ("d", "end", 2)]
    assert (db.free, db.queued, db.reads_started) == (2, 0, 4)
    assert db.wait_s == pytest.approx(2.0)  # c and d waited 1 s each
    assert db.busy_s(2.0) == pytest.approx(4.0)


def test_busy_time_counts_queries_still_running():
    clock, db = database(connections=2, service_s=4.0)
    db.submit(Logged("a", []), 0.0)
    clock.advance(1.0)
    db.submit(Logged("b", []), 1.0)
    clock.advance(3.0)
    assert db.busy_s(3.0) == pytest.approx(3.0 + 2.0)
    clock.run()
    assert db.busy_s(5.0) == pytest.approx(8.0)


def test_a_waiter_past_its_timeout_gives_up_and_leaves_the_queue():
    """One connection, 1 s queries, 0.5 s timeout: b and c wait too long; d, queued at
    0.8, gets the connection when a finishes at 1.0 (it waited 0.2 s)."""
    clock, db = database(timeout_s=0.5)
    log = []
    db.submit(Logged("a", log), 0.0)
    db.submit(Logged("b", log), 0.1)
    db.submit(Logged("c", log), 0.2)
    clock.advance(0.65)
    db.expire(0.65)  # the engine calls this at every time-series boundary
    assert log == [("a", "start", 0.0), ("b", "gave up", 0.6)]
    assert db.queued == 1  # c is dropped at once, not kept until its turn
    db.submit(Logged("d", log), 0.8)
    clock.run()
    assert log[2:] == [("a", "end", 1.0), ("c", "gave up", 0.7), ("d", "start", 1.0),
                       ("d", "end", 2.0)]
    assert db.timeouts == 2 and db.reads_started == 2


def test_versions_are_issued_then_committed_with_their_time():
    _, db = database()
    assert db.committed[3] == 0 and db.committed_at[3] == 0.0
    first = db.issue(3)
    second = db.issue(3)  # acknowledged twice (write-behind), committed later
    assert (first, second) == (1, 2) and db.pending == {3: 2}
    db.commit(3, first, 5.0)
    assert (db.committed[3], db.committed_at[3], db.pending) == (1, 5.0, {3: 2})
    db.commit(3, second, 6.0)
    assert (db.committed[3], db.committed_at[3], db.pending) == (2, 6.0, {})
    db.commit(3, first, 7.0)  # an older version arriving late changes nothing
    assert (db.committed[3], db.committed_at[3]) == (2, 6.0)
