"""The connection pool: first come, first served, one connection per holder."""

import simpy

from simcache.model.database import ConnectionPool


def test_free_connections_are_granted_at_once_and_the_rest_wait_in_order():
    env = simpy.Environment()
    pool = ConnectionPool(env, 2)
    started = []
    for name in "abcd":
        pool.acquire(lambda name=name: started.append(name))
    assert started == ["a", "b"] and pool.in_use == 2 and pool.queued == 2
    pool.release()
    assert started == ["a", "b", "c"] and pool.queued == 1
    pool.release()
    pool.release()
    assert started == list("abcd") and pool.free == 1 and pool.queued == 0


def test_processes_can_wait_for_a_connection():
    """Three processes, one connection, each holds it 1 time unit: they finish at 1, 2, 3."""
    env = simpy.Environment()
    pool = ConnectionPool(env, 1)
    log = []

    def query(name):
        yield pool.request()
        yield env.timeout(1)
        pool.release()
        log.append((name, env.now))

    for name in "xyz":
        env.process(query(name))
    env.run()
    assert log == [("x", 1), ("y", 2), ("z", 3)]
    assert pool.free == 1
