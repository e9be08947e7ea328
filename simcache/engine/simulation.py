"""The discrete-event engine: requests flow through cache tiers to a pooled database.

Speed comes from putting on the simpy clock only what waits. The request loop walks the
pre-drawn arrivals in time order; before each one it lets simpy run every event due by
then (database replies filling caches, writes invalidating them). A read that hits a
tier is settled on the spot with no event of its own; a miss or a write queues for a
connection in the database pool and costs one event, its service time.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import simpy

from ..errors import ScenarioError
from ..metrics.histogram import Window, nice_interval
from ..metrics.result import Result
from ..model.database import ConnectionPool
from ..model.policies import FOREVER, Store, make_store
from ..model.workload import requests
from ..rng import UniformBuffer, stream
from ..scenario import Scenario, Tier


class _Clock(simpy.Environment):
    """A simpy environment the request loop can move forward to the next arrival."""

    def advance(self, t: float) -> None:
        """Run every event due at or before ``t``, then stand at ``t``."""
        queue = self._queue
        while queue and queue[0][0] <= t:
            self.step()
        # Nothing is scheduled before t, so jumping the clock is what run(until=t) would
        # do, without the extra event run() schedules for each call.
        self._now = t


class _Draws:
    """Database service times, drawn in vectorised batches."""

    __slots__ = ("_rng", "_mean_s", "_constant", "_buf", "_i")

    def __init__(self, rng: np.random.Generator, mean_s: float, constant: bool):
        self._rng, self._mean_s, self._constant = rng, mean_s, constant
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._constant:
            return self._mean_s
        if self._i >= len(self._buf):
            self._buf = self._rng.exponential(self._mean_s, 4096).tolist()
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return value


def _expiry(tier: Tier, jitter: UniformBuffer) -> Callable[[float], float]:
    """When an entry stored at ``now`` in this tier expires."""
    ttl, spread = tier.ttl_s, tier.ttl_jitter
    if ttl is None:
        return lambda now: FOREVER
    if not spread:
        return lambda now: now + ttl
    return lambda now: now + ttl * (1.0 + spread * (2.0 * jitter() - 1.0))


class Simulation:
    """One run of a scenario; ``run()`` returns its :class:`Result`."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        seed = scenario.seed
        self.env = _Clock()
        self.stores: list[Store] = [
            make_store(t.eviction, t.capacity, stream(seed, f"tier:{t.name}"), samples=t.samples)
            for t in scenario.tiers
        ]
        self.expiry = [_expiry(t, UniformBuffer(stream(seed, f"ttl-jitter:{t.name}")))
                       for t in scenario.tiers]
        self.fills = list(zip(self.stores, self.expiry, strict=True))
        lat = [t.latency_ms for t in scenario.tiers]
        self.hit_latency_ms = [sum(lat[: i + 1]) for i in range(len(lat))]
        self.miss_path_ms = sum(lat)
        db = scenario.database
        self.db = ConnectionPool(self.env, db.concurrency)
        self.service = _Draws(stream(seed, "db-service"), db.latency_ms / 1000.0,
                              db.service == "constant")
        # Committed writes per key, sized once so memory never grows with the run.
        self.versions: list[int] = [0] * scenario.workload.keys
        self.window = Window(len(self.stores))
        self.total = Window(len(self.stores))
        self.rows: list[dict] = []
        self.measuring = False
        self.t0 = 0.0
        self.interval = math.inf
        self.boundary = math.inf
        self._evictions_at = [0] * len(self.stores)
        self._expirations_at = [0] * len(self.stores)
        self._evictions_base = [0] * len(self.stores)
        self._expirations_base = [0] * len(self.stores)

    # -- database work: the only part that queues ------------------------------------------
    # A query waits for a connection (no event: the pool calls back when one is free),
    # then holds it for one service Timeout. Callbacks carry each query along.
    def read_miss(self, key: int, t0: float, measured: bool) -> None:
        """Queue for a connection, read the key's committed version, fill every tier."""
        self.db.acquire(lambda: self._serve_read(key, t0, measured))

    def _serve_read(self, key: int, t0: float, measured: bool) -> None:
        start = self.env.now
        version = self.versions[key]  # the query sees what was committed when it began
        service = self.service()
        self.env.timeout(service).callbacks.append(
            lambda _: self._finish_read(key, t0, measured, start, service, version))

    def _finish_read(self, key, t0, measured, start, service, version) -> None:
        now = self.env.now
        for store, expiry in self.fills:
            store.put(key, version, expiry(now), now)
        if measured:
            w = self.window
            w.latency.add(self.miss_path_ms + (now - t0) * 1000.0)
            self._count_db(w, t0, start, service)
            if version != self.versions[key]:  # a write committed while we read
                w.stale += 1
        self.db.release()  # last: the next waiter starts inside release()

    def write(self, key: int, t0: float, measured: bool) -> None:
        """Queue for a connection, update the database, then delete the key from every tier."""
        self.db.acquire(lambda: self._serve_write(key, t0, measured))

    def _serve_write(self, key: int, t0: float, measured: bool) -> None:
        start = self.env.now
        service = self.service()
        self.env.timeout(service).callbacks.append(
            lambda _: self._finish_write(key, t0, measured, start, service))

    def _finish_write(self, key, t0, measured, start, service) -> None:
        self.versions[key] += 1  # commit, then invalidate, and only then free the connection
        for store in self.stores:
            store.delete(key)
        if measured:
            w = self.window
            w.write_latency_sum_ms += self.miss_path_ms + (self.env.now - t0) * 1000.0
            self._count_db(w, t0, start, service)
        self.db.release()  # last: the next waiter starts inside release()

    @staticmethod
    def _count_db(w: Window, t0: float, start: float, service: float) -> None:
        w.db_wait_sum_s += start - t0
        w.db_busy_s += service
        w.db_ops += 1

    # -- the request loop -----------------------------------------------------------------
    def run(self) -> Result:
        sc = self.scenario
        wl = sc.workload
        env, expiry, versions = self.env, self.expiry, self.versions
        read_miss, write = self.read_miss, self.write
        queue = env._queue
        tiers = list(enumerate(self.stores))
        warmup = wl.warmup_requests
        check_stale = wl.write_ratio > 0
        seen = 0
        last_t = 0.0
        if warmup == 0:
            self._start_measuring(0.0)
        for chunk in requests(wl, sc.seed):
            times, keys, writes = chunk.times, chunk.keys, chunk.writes
            if not self.measuring and seen + len(times) > warmup:
                # Split the chunk at the end of warm-up so the hot loop has no extra test.
                cut = warmup - seen
                self._loop(times[:cut], keys[:cut], writes[:cut] if writes else None,
                           tiers, expiry, versions, queue, read_miss, write,
                           check_stale)
                self._start_measuring(times[cut])
                times, keys = times[cut:], keys[cut:]
                writes = writes[cut:] if writes else None
                seen += cut
            self._loop(times, keys, writes, tiers, expiry, versions, queue, read_miss, write,
                       check_stale)
            seen += len(times)
            last_t = times[-1] if times else last_t
        if not self.measuring:
            raise ScenarioError("workload.warmup_requests", warmup,
                                f"must be less than the {seen} requests that arrive "
                                f"within duration_s = {wl.duration_s:g}")
        end_arrivals = wl.duration_s if wl.duration_s is not None else last_t
        self._cross_boundaries(end_arrivals)
        # Let in-flight database work finish; its results land in later intervals.
        while queue:
            self._cross_boundaries(queue[0][0])
            env.step()
        # Hits never move the simpy clock, so the run ends at the later of the last
        # arrival and the last database reply.
        end = max(env.now, end_arrivals)
        if end > self.boundary - self.interval or not self.rows:
            self._flush(end)
        return self._result(end_arrivals)

    def _loop(self, times, keys, writes, tiers, expiry, versions, queue, read_miss, write,
              check_stale) -> None:
        env = self.env
        measured = self.measuring
        window = self.window
        tier_hits = window.tier_hits
        boundary = self.boundary
        misses = 0
        n_writes = 0
        stale = 0
        for i, t in enumerate(times):
            if t >= boundary:
                window.misses += misses
                window.writes += n_writes
                window.stale += stale
                misses = n_writes = stale = 0
                self._cross_boundaries(t)
                window = self.window
                tier_hits = window.tier_hits
                boundary = self.boundary
            if queue and queue[0][0] <= t:
                env.advance(t)
            key = keys[i]
            if writes is not None and writes[i]:
                env._now = t
                n_writes += 1
                write(key, t, measured)
                continue
            for level, store in tiers:
                entry = store.get(key, t)
                if entry is not None:
                    tier_hits[level] += 1
                    if check_stale and entry[0] != versions[key]:
                        stale += 1
                    for upper in range(level):  # cache-aside fills the nearer tiers
                        tiers[upper][1].put(key, entry[0], expiry[upper](t), t)
                    break
            else:
                env._now = t
                misses += 1
                read_miss(key, t, measured)
        window.misses += misses
        window.writes += n_writes
        window.stale += stale

    # -- measurement ------------------------------------------------------------------------
    def _start_measuring(self, t: float) -> None:
        sc = self.scenario
        wl = sc.workload
        self.measuring = True
        self.t0 = t
        self.window = Window(len(self.stores))
        self._evictions_base = [s.evictions for s in self.stores]
        self._expirations_base = [s.expirations for s in self.stores]
        self._evictions_at = list(self._evictions_base)
        self._expirations_at = list(self._expirations_base)
        if sc.metrics.interval_s is not None:
            self.interval = sc.metrics.interval_s
        elif wl.duration_s is not None:
            self.interval = nice_interval(wl.duration_s - t)
        else:
            self.interval = nice_interval((wl.requests - wl.warmup_requests) / wl.rate_rps)
        self.boundary = t + self.interval

    def _cross_boundaries(self, t: float) -> None:
        """Close every interval that ends at or before ``t``."""
        while self.boundary <= t:
            self.env.advance(self.boundary)
            self._flush(self.boundary)
            self.boundary += self.interval

    def _flush(self, end: float) -> None:
        """Turn the current window into a time-series row and add it to the totals."""
        w = self.window
        start = self.boundary - self.interval
        length = max(end - start, 1e-12)
        for level, count in enumerate(w.tier_hits):
            w.latency.add(self.hit_latency_ms[level], count)
        w.hits = sum(w.tier_hits)
        w.reads = w.hits + w.misses
        w.db_reads = w.misses
        w.db_writes = w.writes
        row = {
            "time_s": start,
            "interval_s": length,
            "requests": w.reads + w.writes,
            "reads": w.reads,
            "writes": w.writes,
            "hits": w.hits,
            "misses": w.misses,
            "hit_ratio": w.hits / w.reads if w.reads else float("nan"),
            "db_reads_per_s": w.db_reads / length,
            "db_writes_per_s": w.db_writes / length,
            "latency_mean_ms": w.latency.mean,
            "latency_p50_ms": w.latency.quantile(0.50),
            "latency_p99_ms": w.latency.quantile(0.99),
            "stale_reads": w.stale,
        }
        evictions = 0
        lookups = w.reads
        for i, (tier, store) in enumerate(zip(self.scenario.tiers, self.stores, strict=True)):
            ev = store.evictions - self._evictions_at[i]
            self._evictions_at[i] = store.evictions
            evictions += ev
            row[f"tier.{tier.name}.hit_ratio"] = (w.tier_hits[i] / lookups if lookups
                                                  else float("nan"))
            row[f"tier.{tier.name}.evictions"] = ev
            row[f"tier.{tier.name}.entries"] = len(store)
            lookups -= w.tier_hits[i]
        row["evictions"] = evictions
        self.rows.append(row)
        self.total.merge(w)
        self.window = Window(len(self.stores))

    def _result(self, end_arrivals: float) -> Result:
        sc = self.scenario
        tot = self.total
        span = max(end_arrivals - self.t0, 1e-12)
        lat = tot.latency
        reads = tot.reads
        summary: dict[str, float] = {
            "requests": tot.reads + tot.writes,
            "reads": reads,
            "writes": tot.writes,
            "hits": tot.hits,
            "misses": tot.misses,
            "hit_ratio": tot.hits / reads if reads else 0.0,
            "db_reads": tot.db_reads,
            "db_writes": tot.db_writes,
            "db_reads_per_s": tot.db_reads / span,
            "db_wait_mean_ms": tot.db_wait_sum_s / tot.db_ops * 1000.0 if tot.db_ops else 0.0,
            # Busy time includes clearing any backlog after the last arrival, so divide by
            # the time until the database went idle, not by the arrival span alone.
            "db_utilization": tot.db_busy_s / (sc.database.concurrency
                                               * max(span, self.env.now - self.t0)),
            "latency_mean_ms": lat.mean,
            "latency_p50_ms": lat.quantile(0.50),
            "latency_p95_ms": lat.quantile(0.95),
            "latency_p99_ms": lat.quantile(0.99),
            "latency_max_ms": lat.max,
            "write_latency_mean_ms": tot.write_latency_sum_ms / tot.writes if tot.writes else 0.0,
            "evictions": 0,
            "expirations": 0,
            "stale_reads": tot.stale,
            "stale_ratio": tot.stale / reads if reads else 0.0,
            "duration_s": span,
            "throughput_rps": (tot.reads + tot.writes) / span,
        }
        lookups = reads
        for i, (tier, store) in enumerate(zip(sc.tiers, self.stores, strict=True)):
            hits = tot.tier_hits[i]
            ev = store.evictions - self._evictions_base[i]
            ex = store.expirations - self._expirations_base[i]
            summary["evictions"] += ev
            summary["expirations"] += ex
            prefix = f"tier.{tier.name}."
            summary[prefix + "lookups"] = lookups
            summary[prefix + "hits"] = hits
            summary[prefix + "hit_ratio"] = hits / lookups if lookups else 0.0
            summary[prefix + "evictions"] = ev
            summary[prefix + "expirations"] = ex
            summary[prefix + "entries"] = len(store)
            lookups -= hits
        return Result(sc, summary, pd.DataFrame(self.rows))


def run(scenario: Scenario) -> Result:
    """Simulate ``scenario`` and return its summary and time series."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"run() takes a Scenario, not {type(scenario).__name__}; "
                        "build one with Scenario.from_dict(...)")
    return Simulation(scenario).run()
