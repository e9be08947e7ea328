"""The cache stampede: many threads miss one key at once, with or without a Redis lock
around the slow loader.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .connection import Lab

#: The loader waits at most this long for every thread's first read (see :func:`stampede`).
ALL_MISSED_WAIT_S = 5.0
#: How often a waiting thread tries the lock again (redis-py's ``sleep``; its default is 0.1 s).
LOCK_POLL_S = 0.01


@dataclass(frozen=True)
class StampedeResult:
    """N threads miss the same key at once; how many ran the slow loader."""

    threads: int
    use_lock: bool
    loads: int
    outcomes: tuple[str, ...]   # per thread: "loaded", "waited" (then read the cache), "hit"
    waits_s: tuple[float, ...]  # per thread: seconds until it had the value
    wall_s: float
    load_s: float
    same_value: bool

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"thread": range(self.threads), "outcome": self.outcomes,
                             "seconds to value": [round(w, 3) for w in self.waits_s]})

    def summary(self) -> dict[str, Any]:
        return {"threads": self.threads, "lock": self.use_lock, "loads": self.loads,
                "slowest thread s": round(max(self.waits_s), 3),
                "wall clock s": round(self.wall_s, 3), "all got the same value": self.same_value}


def stampede(lab: Lab, threads: int = 8, *, use_lock: bool = True,
             load_s: float = 0.2, recheck: bool = True,
             name: str = "report:daily") -> StampedeResult:
    """Cache-aside with ``threads`` concurrent misses on one key, with or without a lock.

    Without the lock every thread that missed loads. With redis-py's ``Lock`` (``SET NX``
    with an expiry, released by a Lua script that checks the owner's token), the first
    thread loads and stores; the others wait for the lock, read the key again, and find it.
    A stampede is many readers missing at the same moment, so the loader also waits (up to
    ``ALL_MISSED_WAIT_S``) until every thread has made its first read: a thread the
    machine started late still misses instead of finding the value already stored.
    ``recheck=False`` leaves out the read after acquiring the lock (the second check of
    double-checked locking): each waiter then loads in turn once it holds the lock.

    redis-py's ``timeout`` is the lock's lifetime whether or not its holder is alive: a
    holder that runs past it has lost the lock and gets ``LockNotOwnedError`` on release
    (``redis/lock.py``); a ``with`` block raises ``LockError`` when ``blocking_timeout``
    passes before it acquires. The demo makes both far longer than the load.
    """
    if threads < 1:
        raise ValueError(f"threads = {threads!r}: must be >= 1")
    r, key, lock_name = lab.client, lab.key(name), lab.key(f"{name}:loading")
    r.delete(key, lock_name)
    counter = threading.Lock()
    loads = first_reads = 0
    everyone_read = threading.Event()
    # timeout: the lock's own expiry, so a crashed holder cannot block forever;
    # blocking_timeout: how long a waiter waits before giving up.
    patience = 10 * load_s + ALL_MISSED_WAIT_S + 5

    def slow_load() -> str:
        nonlocal loads
        with counter:
            loads += 1
            n = loads
        everyone_read.wait(ALL_MISSED_WAIT_S)
        time.sleep(load_s)  # the expensive database query
        return json.dumps({"report": "daily", "rows": 1250, "load": n})

    def first_read() -> str | None:
        nonlocal first_reads
        value = r.get(key)
        with counter:
            first_reads += 1
            if first_reads == threads:
                everyone_read.set()
        return value

    def read() -> tuple[str, str]:
        value = first_read()
        if value is not None:
            return value, "hit"
        if not use_lock:
            value = slow_load()
            r.set(key, value, ex=60)
            return value, "loaded"
        with r.lock(lock_name, timeout=patience, blocking_timeout=patience, sleep=LOCK_POLL_S):
            value = r.get(key) if recheck else None  # loaded while we waited?
            if value is not None:
                return value, "waited"
            value = slow_load()
            r.set(key, value, ex=60)
            return value, "loaded"

    barrier = threading.Barrier(threads)
    results: list[tuple[str, str, float] | BaseException | None] = [None] * threads

    def worker(i: int) -> None:
        try:
            barrier.wait()
            t0 = time.perf_counter()
            value, outcome = read()
            results[i] = (value, outcome, time.perf_counter() - t0)
        except BaseException as error:  # reported in the caller's thread
            results[i] = error

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    for item in results:
        if isinstance(item, BaseException):
            raise item
    done = [item for item in results if isinstance(item, tuple)]
    r.delete(key, lock_name)
    return StampedeResult(threads, use_lock, loads, tuple(o for _, o, _ in done),
                          tuple(w for _, _, w in done), wall, load_s,
                          len({v for v, _, _ in done}) == 1)
