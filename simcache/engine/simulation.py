"""One run of a scenario: the request loop, and the context strategies and protections use.

Speed comes from putting on the simpy clock only what waits. The loop walks the
pre-drawn arrivals in time order; before each one it runs every event due by then
(database replies filling caches, writes committing). A read that hits a tier is settled
on the spot: counted, copied into the nearer tiers, no event of its own. A read that
misses every tier goes to the bound read strategy, a write to the write strategy; their
database queries cost one event each (the service time), and waiting for a connection
costs none. Protections hook into hits, misses and fills; faults are scheduled actions.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from itertools import repeat
from typing import Any

import pandas as pd

from ..errors import ScenarioError
from ..faults import FAULTS
from ..metrics import Recorder, Result, Sample, catalog, nice_interval
from ..metrics.catalog import Span
from ..metrics.histogram import Histogram
from ..model import tiers as tiers_
from ..model.database import Database, service_times
from ..model.edge import Edge
from ..model.flights import Flights
from ..model.workload import requests
from ..protections import PROTECTIONS, Hooks, keep_expired_s
from ..rng import UniformBuffer, stream
from ..scenario import MAX_ROWS, Scenario
from ..scenario.schema import EDGE_SCOPES
from ..strategies import READ_STRATEGIES, WRITE_STRATEGIES
from .clock import Clock

TRACE_LIMIT = 10_000  # events a run records for metrics.trace_keys
#: Result.trace: when, which key, what happened, at which app server (None: not one
#: server's), the version involved, the version the database had committed then, and how.
TRACE_COLUMNS = ("time_s", "key", "event", "server", "version", "committed", "detail")
#: Result.nodes: one row per node of each tier with nodes.
NODE_COLUMNS = ("tier", "node", "ops_per_s", "utilization", "latency_p99_ms")


# What _hit_hook makes of a hit (None: a plain hit).
_TAKEN, _EXPIRED_SERVED, _ABSENT = object(), object(), object()


class Simulation:
    """One run of a scenario; ``run()`` returns its :class:`Result`.

    It is also the :class:`~simcache.strategies.base.Context` that strategies, protections
    and faults work through: ``db``, ``tiers``, ``chains``, ``flights``, ``hooks``, the
    clock (``now``, ``schedule``, ``at``) and the recording calls (``read_done``...).
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        seed, wl, db = scenario.seed, scenario.workload, scenario.database
        self.clock = Clock()
        self.db = Database(self.clock.call_at, db.concurrency,
                           service_times(stream(seed, "db-service"), db.latency_ms / 1000.0,
                                         db.service == "constant"),
                           wl.keys, None if db.timeout_ms is None else db.timeout_ms / 1000.0,
                           scenario.metrics.peak_window_s,
                           wl.missing_keys if wl.missing_ratio else 0)
        self.namespace = tiers_.Namespace()  # fault namespace-bump moves it
        # Browser and CDN tiers come first; the application's tiers are the rest.
        n_edge = sum(t.scope in EDGE_SCOPES for t in scenario.tiers)
        app_specs = scenario.tiers[n_edge:]
        self.tiers, self.chains = tiers_.build(app_specs, wl.app_servers, seed,
                                               self.namespace,
                                               keep_expired_s(scenario.protections),
                                               len(self.db.committed))
        self.edge = self._edge(scenario.tiers[:n_edge]) if n_edge else None
        self.flights = Flights()
        self.read = READ_STRATEGIES[scenario.strategy.read](self)
        self.write = WRITE_STRATEGIES[scenario.strategy.write](self)
        # Latencies. A lookup costs each tier's round trip, nearest first; an application
        # that writes values back itself (cache-aside) pays a round trip per tier it sets.
        # Behind browser and CDN tiers, every read the application sees crossed them.
        latencies = [t.latency_ms for t in app_specs]
        back = self.read.writes_back
        edge_ms = self.edge.origin_path_ms if self.edge is not None else 0.0
        self.hit_latency_ms = [edge_ms + sum(latencies[: i + 1])
                               + (sum(latencies[:i]) if back else 0.0)
                               for i in range(len(latencies))]
        self.read_path_ms = edge_ms + sum(latencies) * (2 if back else 1)
        self.write_gap_s = sum(latencies) / 1000.0  # commit -> the writer's tiers updated
        inv = scenario.invalidation
        self.version_check = inv.set_check == "version"
        self.pubsub = inv.pubsub and wl.app_servers > 1 and any(
            t.scope == "per-server" for t in self.tiers)
        self.pubsub_down = False  # fault pubsub-outage
        self._pubsub_how = (inv.pubsub_delay_ms / 1000.0, inv.pubsub_loss)
        self._loss = UniformBuffer(stream(seed, "pubsub-loss"))
        self._local = [[s for t, s in zip(self.tiers, c.stores, strict=True)
                        if t.scope == "per-server"] for c in self.chains]
        # Per app server: its stores' deletes, and the other servers (pub/sub tells them).
        # One attribute for both: from its 30th attribute on, every lookup on an
        # instance searches a dict (tests/test_engine_features.py).
        self._writers = [([store.delete for store in c.stores],
                          [o for o in range(wl.app_servers) if o != s])
                         for s, c in enumerate(self.chains)]
        self._delete_again_s = (None if inv.delete_delay_ms is None
                                else inv.delete_delay_ms / 1000.0)
        self.protections = [PROTECTIONS[o.kind](o, self) for o in scenario.protections]
        self.hooks = Hooks(self.protections, self.read.on_hit)
        self.traced = frozenset(scenario.metrics.trace_keys)
        self.tracing = bool(self.traced)  # callers test this before building a trace row
        #: Per server, its chain's fill, when fill() would do nothing else (no version
        #: check, no protection on fills, no trace): a miss's reply stores through it.
        self.plain_fills = (None if self.version_check or self.hooks.on_fill is not None
                            or self.tracing or wl.missing_ratio
                            else [c.fill for c in self.chains])
        self.trace_rows: list[tuple] = []
        self.faults = [FAULTS[o.kind](o, self) for o in scenario.faults]
        for fault in self.faults:
            fault.install()
        # Hits in tiers with nodes record their own latency (it includes the node's queue).
        # Browser and CDN tiers count after the application's.
        self.recorder = Recorder(len(self.every_tier), self._sample,
                                 [None if t.nodes is not None else ms
                                  for t, ms in zip(self.tiers, self.hit_latency_ms, strict=True)]
                                 + (self.edge.served_ms if self.edge is not None else []))

    def _edge(self, specs: Any) -> Edge:
        """The browser and CDN tiers; their hits count after the application tiers'."""
        wl = self.scenario.workload
        first = len(self.tiers)
        edge = {spec.scope: tiers_.Tier(spec, first + i, 1, self.scenario.seed)
                for i, spec in enumerate(specs)}
        browsers, cdn = edge.get("per-client"), edge.get("per-pop")
        return Edge(browsers, cdn, wl.content, wl.value_bytes, len(self.db.committed),
                    wl.clients, self, [t.index if t is not None else -1
                                       for t in (browsers, cdn)])

    @property
    def every_tier(self) -> list[tiers_.Tier]:
        """The application's tiers, then any browser and CDN tiers (the order their
        figures are indexed in)."""
        return self.tiers + (self.edge.tiers if self.edge is not None else [])

    # -- the context strategies and protections use ---------------------------------------
    def now(self) -> float:
        return self.clock.now

    def schedule(self, delay_s: float, callback: Callable[[Any], None]) -> None:
        self.clock.after(delay_s, callback)

    def at(self, time_s: float, callback: Callable[[Any], None]) -> None:
        self.clock.at(time_s, callback)

    def call_at(self, when: float, callback: Callable[[float, Any], None], arg: Any) -> None:
        """``callback(when, arg)`` at ``when``: a timer, one event (run now if it is due)."""
        if when > self.clock.now:
            self.clock.call_at(when, callback, arg)
        else:
            callback(when, arg)

    def fill(self, server: int, key: int, version: int, loaded_at: float, now: float) -> bool:
        """Store a value read from the database in every tier of ``server``'s chain, unless
        the version check or a protection refuses it; True if stored. A key without a row
        in the database has no value to store (a negative cache may store its absence)."""
        if key >= self.db.keys:
            if self.hooks.store_not_found is not None:
                self.hooks.store_not_found(key, server, now)
            return False
        if self.version_check and version < self.db.committed[key]:
            if self.tracing:
                self.trace(key, now, "fill refused", server, version, "a newer version exists")
            return False
        on_fill = self.hooks.on_fill
        if on_fill is not None and not on_fill(key, version, server, now):
            if self.tracing:
                self.trace(key, now, "fill refused", server, version, "by a protection")
            return False
        self.chains[server].fill(key, version, loaded_at, now)
        if self.tracing:
            self.trace(key, now, "fill", server, version, "")
        return True

    def after_write(self, key: int, server: int, version: int, committed: float, t0: float,
                    measured: bool, store: bool) -> None:
        """The write path after the database has ``version`` (committed at ``committed``):
        one round trip per tier later the writer's tiers hold it (``store``) or no longer
        hold the key, the write is acknowledged, other servers are told (pub/sub), and a
        delayed second delete follows if the scenario asks for one."""
        when = committed + self.write_gap_s
        if when > self.clock.now:  # call_at(), written out: every write comes here
            self.clock.call_at(when, self._update_tiers,
                               (key, server, version, committed, t0, measured, store))
        else:
            self._update_tiers(when, (key, server, version, committed, t0, measured, store))
        if self._delete_again_s is not None:
            self.call_at(committed + self._delete_again_s, self._delete_again, (key, server))

    def _update_tiers(self, now: float, args: tuple) -> None:
        key, server, version, committed, t0, measured, store = args
        if self.hooks.on_write is not None:
            self.hooks.on_write(key, now)
        if self.edge is not None:
            self.edge.written(key)
        if store:
            self.chains[server].fill(key, version, committed, now)
            if self.tracing:
                self.trace(key, now, "set", server, version, "the writer's tiers")
        else:
            stored_as = key + self.namespace.offset  # Chain.delete, written out
            for delete in self._writers[server][0]:
                delete(stored_as)
            if self.tracing:
                self.trace(key, now, "delete", server, version, "the writer's tiers")
        if self.pubsub:
            self.publish(key, server, version, now)
        self.write_done(t0, now, measured)

    def _delete_again(self, now: float, args: tuple[int, int]) -> None:
        key, server = args
        self.chains[server].delete(key)
        if self.tracing:
            self.trace(key, now, "delete", server, None, "the delayed second delete")

    def publish(self, key: int, server: int, version: int, now: float) -> None:
        """Tell the other app servers to drop their per-server copies of ``key``."""
        if not self.pubsub:
            return
        others = self._writers[server][1]
        delay_s, loss = self._pubsub_how
        if self.pubsub_down or loss:
            receivers = []
            for other in others:
                if self.pubsub_down or self._loss() < loss:
                    if self.tracing:
                        self.trace(key, now, "message lost", other, version,
                                   "pub/sub down" if self.pubsub_down else "dropped")
                else:
                    receivers.append(other)
        else:
            receivers = others  # every message arrives (read only, never changed)
        if receivers:  # a timer even with no delay: messages arrive after the publish
            self.clock.call_at(now + delay_s, self._deliver,
                               (key, version, receivers))

    def _deliver(self, now: float, args: tuple[int, int, list[int]]) -> None:
        key, version, receivers = args
        stored_as = key + self.namespace.offset
        for other in receivers:
            for store in self._local[other]:
                store.delete(stored_as)
            if self.tracing:
                self.trace(key, now, "message delivered", other, version,
                           "per-server copies dropped")

    def trace(self, key: int, time_s: float, event: str, server: int | None,
              version: int | None, detail: str) -> None:
        """Record an event of a traced key (``metrics.trace_keys``), at most 10,000."""
        if key in self.traced and len(self.trace_rows) < TRACE_LIMIT:
            self.trace_rows.append((time_s, key, event, server, version,
                                    self.db.committed[key], detail))

    def _trace_hit(self, key: int, t: float, server: int, level: int, entry: tuple) -> None:
        stale = entry[0] < self.db.committed[key]
        self.trace(key, t, "stale hit" if stale else "hit", server, entry[0],
                   self.tiers[level].name)

    def read_done(self, key: int, t0: float, now: float, version: int, measured: bool) -> None:
        """A read that arrived at ``t0`` and missed was answered at ``now`` with ``version``.

        A value read from the database is as fresh as the database was when the query
        started: such a read is stale only if something newer was committed before the
        read even arrived (a reader that joined a load started before a write).
        """
        if self.edge is not None:
            self.edge.answered(key, t0, version, now)
        if measured:
            w = self.recorder.window
            w.latency.add(self.read_path_ms + (now - t0) * 1000.0)
            if version < self.db.committed[key]:
                superseded = self.db.superseded_at(key, version)
                if superseded < t0:
                    w.stale += 1
                    w.staleness.add(now - superseded)
        if self.tracing:
            self.trace(key, now, "read answered", None, version, f"{(now - t0) * 1000:.3g} ms")

    def read_answered(self, key: int, t: float, latency_ms: float, measured: bool) -> None:
        """The read of ``key`` that arrived at ``t`` was answered before any tier was asked
        (``on_read``), in ``latency_ms``."""
        if self.edge is not None:
            self.edge.failed(key, t)  # a "not found": nothing for the edge to store
            latency_ms += self.edge.origin_path_ms
        if measured:
            w = self.recorder.window
            w.latency.add(latency_ms)
            w.screened += 1

    def read_failed(self, key: int, t0: float, now: float, measured: bool) -> None:
        """The read of ``key`` that arrived at ``t0`` gave up at ``now`` (a timeout); its
        latency counts at the timeout."""
        if self.edge is not None:
            self.edge.failed(key, t0)
        if measured:
            w = self.recorder.window
            w.latency.add(self.read_path_ms + (now - t0) * 1000.0)
            w.timeouts += 1

    def write_done(self, t0: float, now: float, measured: bool) -> None:
        """A write was acknowledged at ``now``: its latency runs from its arrival."""
        if measured:
            self.recorder.window.write_latency.add((now - t0) * 1000.0)

    def write_failed(self, t0: float, now: float, measured: bool) -> None:
        if measured:
            w = self.recorder.window
            w.write_latency.add((now - t0) * 1000.0)
            w.timeouts += 1

    def count(self, name: str, n: int = 1) -> None:
        """Add to a counter of the current window (``refreshes``, ``lost_writes``)."""
        if self.recorder.measuring:
            w = self.recorder.window
            setattr(w, name, getattr(w, name) + n)

    # -- the request loop -----------------------------------------------------------------
    def run(self) -> Result:
        """Simulate every request and return the result.

        Python's cyclic garbage collector is paused meanwhile (and restored after): the
        run makes many short-lived objects and no reference cycles of its own, so the
        collector's passes would find nothing, and they cost a few per cent of a run.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if was_enabled:
                gc.enable()

    def _run(self) -> Result:
        wl = self.scenario.workload
        rec = self.recorder
        warmup = wl.warmup_requests
        seen = 0
        last_t = 0.0
        if warmup == 0:
            self._start_measuring(0.0)
        edge = self.edge
        clients = wl.clients if edge is not None else 0
        for chunk in requests(wl, self.scenario.seed, clients=clients,
                              read_only=edge.read_only if edge is not None else None):
            times, keys, writes, servers = chunk.times, chunk.keys, chunk.writes, chunk.servers
            clients = chunk.clients
            # Warm-up counts requests that arrive; a page of several lookups is one.
            starts = chunk.starts  # where each arrival's lookups begin; None: one each
            arrivals = len(times) if starts is None else len(starts)
            if not rec.measuring and seen + arrivals > warmup:
                # Warm-up ends inside this chunk: split it so the loop has no extra test.
                cut = warmup - seen if starts is None else starts[warmup - seen]
                self._loop(times[:cut], keys[:cut], writes and writes[:cut],
                           servers and servers[:cut], clients and clients[:cut], False)
                if chunk.repeats is not None:
                    chunk.repeats = chunk.repeats[cut:]
                # Measuring starts when warm-up ends, at its last arrival, so n measured
                # arrivals span n inter-arrival gaps (one request has a positive span).
                self._start_measuring(times[cut - 1] if cut else last_t)
                times, keys = times[cut:], keys[cut:]
                writes, servers = writes and writes[cut:], servers and servers[cut:]
                clients = clients and clients[cut:]
                arrivals -= warmup - seen
                seen = warmup
            if chunk.repeats is not None and rec.measuring:
                # Lookups a request-level cache answered: counted in the row where the
                # chunk starts (chunks are a few seconds long), exactly in the summary.
                rec.window.request_cache_hits += sum(chunk.repeats)
            self._loop(times, keys, writes, servers, clients, rec.measuring)
            seen += arrivals
            last_t = times[-1] if times else last_t
        if not rec.measuring:
            raise ScenarioError("workload.warmup_requests", warmup,
                                f"must be less than the {seen} requests that arrive "
                                f"within duration_s = {wl.duration_s:g}")
        end_arrivals = wl.duration_s if wl.duration_s is not None else last_t
        self._cross(end_arrivals)
        self.read.arrivals_end(end_arrivals)
        # Let database work still queued or running finish; it lands in later rows.
        clock = self.clock
        while (next_time := clock.next_time()) < math.inf:
            self._cross(next_time)
            clock.step()
        # Hits never move the simpy clock, so the run ends at the later of the last
        # arrival and the last database reply.
        end = max(clock.now, end_arrivals)
        if end > rec.window_start or not rec.rows:
            rec.close(end)
        return self._result(end_arrivals, end)

    def _loop(self, times: list[float], keys: list[int], writes: list[bool] | None,
              servers: list[int] | None, clients: list[int] | None, measured: bool) -> None:
        clock = self.clock
        advance, next_time = clock.advance, clock.next_time
        rec = self.recorder
        window = rec.window
        tier_hits = window.tier_hits
        boundary = rec.boundary
        next_due = next_time()
        committed = self.db.committed
        check_stale = self.scenario.workload.write_ratio > 0
        hooks = self.hooks
        on_fill, on_read = hooks.on_fill, hooks.on_read
        # A hit is plain unless a hook must see it, tiers keep expired entries, a tier
        # has nodes (its hits' latencies include their node's queue), or browser and CDN
        # tiers wait for the application's answer.
        edge_read = self.edge.read if self.edge is not None else None
        hooked = (hooks.on_hit is not None or hooks.keep_expired_s > 0 or edge_read is not None
                  or any(t.nodes is not None for t in self.tiers))
        hit_hook = self._hit_hook
        # Per server: its chain and its tiers' (level, lookup) pairs, bound once. Unless an
        # on_hit hook must see every hit, a hit in the nearest tier (most hits) takes a
        # short way: ``nearest`` looks there, ``farther`` holds the other tiers.
        chains = self.chains
        lookups = [list(enumerate(c.gets)) for c in chains]
        short_way = not hooked and on_read is None and bool(self.tiers)
        nearest = [pairs[0][1] if short_way else None for pairs in lookups]
        farther = [pairs[1:] if short_way else pairs for pairs in lookups]
        timeless = [c.timeless_upto for c in chains]
        per_server = list(zip(chains, nearest, farther, timeless, strict=True))
        chain, first, lookup, ups = per_server[0]
        miss, write = self.read.miss, self.write.write
        stand = clock.stand
        superseded_at = self.db.superseded_at
        staleness = window.staleness
        traced, trace = self.traced, self.trace
        several = servers is not None
        namespace = self.namespace
        offset = namespace.offset  # read again whenever events may have run
        misses = n_writes = stale = 0
        for t, key, is_write, server, client in zip(times, keys, writes or repeat(False),
                                                    servers or repeat(0), clients or repeat(0),
                                                    strict=False):
            if t >= boundary:
                window.misses += misses
                window.writes += n_writes
                window.stale += stale
                misses = n_writes = stale = 0
                self._cross(t)
                window = rec.window
                tier_hits = window.tier_hits
                staleness = window.staleness
                boundary = rec.boundary
                next_due = next_time()
                offset = namespace.offset
            if t >= next_due:
                next_due = advance(t)
                offset = namespace.offset
            if several:
                chain, first, lookup, ups = per_server[server]
            if is_write:
                if traced and key in traced:
                    trace(key, t, "write arrives", server, None, "")
                stand(t)  # nothing is due before t: the write's events are scheduled from t
                n_writes += 1
                write(key, t, server, measured)
                next_due = next_time()
                continue
            if edge_read is not None and edge_read(key, t, client):
                continue  # a browser or the CDN served it
            if first is not None:
                entry = first(key + offset, t)
                if entry is not None:
                    tier_hits[0] += 1
                    if check_stale and entry[0] < committed[key]:
                        stale += 1
                        staleness.add(t - superseded_at(key, entry[0]))
                    if traced and key in traced:
                        self._trace_hit(key, t, server, 0, entry)
                    continue
            if on_read is not None:
                stand(t)
                answered = on_read(key, t, server, measured)
                next_due = next_time()
                if answered:  # before any tier: a miss no tier saw
                    misses += 1
                    continue
            for level, get in lookup:
                entry = get(key + offset, t)
                if entry is None:
                    continue
                copy = level  # a hit in a far tier copies the value into the nearer ones
                if hooked:
                    stand(t)
                    how = hit_hook(key, t, server, level, entry, measured)
                    next_due = next_time()
                    if how is _ABSENT:  # expired, and no protection serves it
                        continue
                    if how is _TAKEN:  # a protection serves it as a miss (an early refresh)
                        misses += 1
                        break
                    if how is _EXPIRED_SERVED:  # not copied: it is being reloaded
                        copy = 0
                tier_hits[level] += 1
                if check_stale and entry[0] < committed[key]:
                    stale += 1
                    staleness.add(t - superseded_at(key, entry[0]))
                if traced and key in traced:
                    self._trace_hit(key, t, server, level, entry)
                # The copy keeps the original load time, and the remaining TTL if asked to.
                if copy and (on_fill is None or on_fill(key, entry[0], server, t)):
                    if ups is None:
                        chain.copy_up(key, entry, level, t)
                    else:  # copy_up() written out: the same entry in each nearer tier
                        for insert in ups[level]:
                            insert(key + offset, entry, t)
                break
            else:
                stand(t)
                misses += 1
                if traced and key in traced:
                    trace(key, t, "read misses", server, None, "every tier")
                miss(key, t, server, measured)
                next_due = next_time()
        window.misses += misses
        window.writes += n_writes
        window.stale += stale

    def _hit_hook(self, key: int, t: float, server: int, level: int, entry: tuple,
                  measured: bool) -> object:
        """What a hit becomes when hooks must see it: a plain hit (None), a read a
        protection takes over (_TAKEN), an expired entry a protection serves while it is
        reloaded (_EXPIRED_SERVED), or an expired entry the tier counts as absent."""
        hooks = self.hooks
        keep = hooks.keep_expired_s
        how = None
        if keep and entry[1] - keep <= t:  # past its TTL, kept for a protection
            on_expired = hooks.on_expired
            if on_expired is None or not on_expired(key, t, server, level, entry, measured):
                return _ABSENT
            how = _EXPIRED_SERVED
        elif hooks.on_hit is not None and hooks.on_hit(key, t, server, level, entry,
                                                       measured):
            return _TAKEN
        nodes = self.tiers[level].nodes
        if nodes is not None and measured:  # the round trips, and the wait at the node
            self.recorder.window.latency.add(self.hit_latency_ms[level] + nodes.last_wait_ms)
        if self.edge is not None:
            self.edge.answered(key, t, entry[0], t)
        return how

    # -- measurement ------------------------------------------------------------------------
    def _start_measuring(self, t0: float) -> None:
        sc = self.scenario
        wl = sc.workload
        for tier in self.tiers:
            if tier.nodes is not None:
                tier.nodes.start([Histogram() for _ in range(tier.nodes.count)])
        if sc.metrics.interval_s is not None:
            self.recorder.start(t0, sc.metrics.interval_s, row_limit=MAX_ROWS)
            return
        if wl.duration_s is not None:
            span = wl.duration_s - t0
        else:
            span = (wl.requests - wl.warmup_requests) / wl.rate_rps
        self.recorder.start(t0, nice_interval(span))

    def _cross(self, t: float) -> None:
        """Close every time-series interval that ends at or before ``t``."""
        rec = self.recorder
        while rec.boundary <= t:
            boundary = rec.boundary
            self.clock.advance(boundary)
            self.db.expire(boundary)  # waiters that gave up by now count in this row
            rec.close(boundary)

    def _sample(self, now: float) -> Sample:
        db, tiers = self.db, self.every_tier
        offset = self.namespace.offset
        entries = [t.entries for t in tiers]
        # "Not found" markers exist only where reads ask for keys that do not exist.
        markers = ([t.not_found_entries(db.keys, len(db.committed)) for t in tiers]
                   if len(db.committed) > db.keys else [0] * len(tiers))
        value = self.scenario.workload.value_bytes
        memory = [n * (value + t.spec.entry_overhead_bytes) - m * value
                  for t, n, m in zip(tiers, entries, markers, strict=True)]
        return Sample(db.reads_started, db.writes_started, db.wait_s, db.busy_s(now),
                      [t.evictions for t in tiers], [t.expirations for t in tiers],
                      entries, len(db.waiting),
                      [t.orphans(offset) if t.scope not in EDGE_SCOPES else 0 for t in tiers],
                      db.not_found, db.hot_reads, db.hot_reloads, db.take_peak(now),
                      markers, memory)

    def _result(self, end_arrivals: float, end: float) -> Result:
        sc = self.scenario
        rec = self.recorder
        every = self.every_tier
        edge = len(every) - len(self.tiers)  # browser and CDN tiers, met first
        names = [t.name for t in every]
        connections = sc.database.concurrency
        span = Span(end_arrivals - rec.t0, end - rec.t0, connections)
        summary = catalog.summary(rec.total, span, names, edge)
        timeseries = pd.DataFrame([catalog.row(w, connections, names, edge) for w in rec.rows])
        about = [{"tier": t.name, "scope": t.scope, "instances": len(t.stores),
                  "eviction": t.spec.eviction, "capacity": t.spec.capacity,
                  "capacity_total": t.spec.capacity * len(t.stores), "ttl_s": t.spec.ttl_s,
                  "latency_ms": t.latency_ms} for t in every]
        tiers = pd.DataFrame(catalog.tier_rows(rec.total, about, edge),
                             columns=None if about else ["tier"])
        nodes = pd.DataFrame([row for t in self.tiers if t.nodes is not None
                              for row in t.nodes.rows(t.name, span.length_s)],
                             columns=list(NODE_COLUMNS))
        trace = pd.DataFrame(self.trace_rows, columns=list(TRACE_COLUMNS)).astype(
            {"server": "Int64", "version": "Int64", "committed": "Int64"})
        return Result(sc, summary, timeseries, tiers, trace, nodes)


def run(scenario: Scenario) -> Result:
    """Simulate ``scenario`` and return its summary and time series."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"run() takes a Scenario, not {type(scenario).__name__}; "
                        "build one with Scenario.from_dict(...)")
    return Simulation(scenario).run()
