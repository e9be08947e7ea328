"""Replaying the simulator's own Zipf key sequence on a server as cache-aside
(GET, then SET on a miss), pipelined through one Lua script: as fast as possible, or at the
simulator's own arrival times.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model.workload import requests as request_stream
from ..scenario import Workload
from .connection import Lab

# Cache-aside in one server-side step: read the key; on a miss, store a value of ARGV[1]
# bytes. Running it pipelined replays a long key sequence in few round trips, and the
# server counts the GET in INFO keyspace_hits / keyspace_misses as for a client GET.
# ARGV[2] is the key's expiry in seconds (the lab's safety TTL).
CACHE_ASIDE_LUA = """
if redis.call('GET', KEYS[1]) then return 1 end
redis.call('SET', KEYS[1], string.rep('v', tonumber(ARGV[1])), 'EX', tonumber(ARGV[2]))
return 0
"""


def zipf_keys(keys: int, requests: int, zipf_alpha: float = 1.0, seed: int = 7) -> list[int]:
    """The simulator's own request sequence: key ids drawn by Zipf popularity."""
    workload = Workload(keys=keys, requests=requests, warmup_requests=0,
                        zipf_alpha=zipf_alpha)
    return [k for chunk in request_stream(workload, seed) for k in chunk.keys]


def cache_aside_load(lab: Lab, sequence: Iterable[int], *, value_bytes: int = 100,
                     name: str = "item", batch: int = 200, pace_s: float = 0.0) -> int:
    """Replay ``sequence`` as GET-then-SET-on-miss on the server; return the hits.

    Runs :data:`CACHE_ASIDE_LUA` pipelined ``batch`` at a time; every key it stores
    expires after ``lab.safety_ttl_s``. ``pace_s`` > 0 spreads the replay evenly over that
    many seconds of wall-clock time.
    """
    r = lab.client
    script = r.register_script(CACHE_ASIDE_LUA)
    keys = [lab.key(f"{name}:{k}") for k in sequence]
    hits = 0
    start = time.perf_counter()
    with lab.guard():
        for i in range(0, len(keys), batch):
            pipe = r.pipeline(transaction=False)
            for key in keys[i:i + batch]:
                script(keys=[key], args=[value_bytes, lab.safety_ttl_s], client=pipe)
            hits += sum(int(x) for x in pipe.execute())
            if pace_s > 0:
                ahead = start + pace_s * min(len(keys), i + batch) / len(keys) - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)
    return hits


@dataclass(frozen=True)
class TimedReplay:
    """What a replay at given arrival times measured, on the requests after warm-up."""

    hits: int
    measured: int
    seconds: float       # wall-clock length of the replay
    max_late_s: float    # how far behind its arrival time a request was sent, at worst
    mean_keys: float     # DBSIZE while measuring, read inside the pipelines

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.measured if self.measured else 0.0


def cache_aside_replay(lab: Lab, sequence: Sequence[int], times: Sequence[float], *,
                       warmup: int = 0, value_bytes: int = 100, name: str = "item",
                       batch: int = 50, probe_every_s: float = 0.02) -> TimedReplay:
    """Send request ``i`` (GET-then-SET-on-miss of ``sequence[i]``) at ``times[i]`` seconds
    after the start, pipelining those that are due together, at most ``batch`` at a time.

    Small pipelines keep the server's query buffers, which count in ``used_memory``, small
    next to a ``maxmemory`` limit. Every ``probe_every_s`` one pipeline also asks DBSIZE,
    so ``mean_keys`` is the number of keys held while the requests were served.
    """
    r = lab.client
    script = r.register_script(CACHE_ASIDE_LUA)
    keys = [lab.key(f"{name}:{k}") for k in sequence]
    args = [value_bytes, lab.safety_ttl_s]
    hits = measured = 0
    sizes: list[int] = []
    late = 0.0
    next_probe = 0.0
    n = len(keys)
    i = 0
    start = time.perf_counter()
    with lab.guard():
        while i < n:
            now = time.perf_counter() - start
            if times[i] > now:
                time.sleep(min(times[i] - now, 0.05))
                continue
            late = max(late, now - times[i])
            j = i
            while j < n and times[j] <= now and j - i < batch:
                j += 1
            probe = i >= warmup and now >= next_probe
            pipe = r.pipeline(transaction=False)
            for key in keys[i:j]:
                script(keys=[key], args=args, client=pipe)
            if probe:
                pipe.dbsize()
                next_probe = now + probe_every_s
            replies = pipe.execute()
            if probe:
                sizes.append(int(replies.pop()))
            for index, reply in enumerate(replies, start=i):
                if index >= warmup:
                    measured += 1
                    hits += int(reply)
            i = j
    return TimedReplay(hits, measured, time.perf_counter() - start, late,
                       sum(sizes) / len(sizes) if sizes else float(r.dbsize()))
