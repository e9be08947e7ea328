"""Every figure a run reports, declared once: its key, unit, how windows merge, and meaning.

The summary, the time series, ``Result.tiers``, ``Result.table()`` and ``simcache
metrics`` are all generated from this list, so a figure means the same thing everywhere.
Each figure is computed from a :class:`~.window.Window`: for a time-series row, the
row's window; for the summary, every measured window merged. Where Redis reports the
same figure, ``redis`` gives its ``INFO`` name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .window import Window

#: How a figure combines over several windows (documentation, and what merge() does).
MERGES = {
    "sum": "counts add up",
    "ratio": "recomputed from the summed counts",
    "histogram": "recomputed from the merged histograms (buckets 1 % wide)",
    "rate": "summed count divided by the summed length",
    "gauge": "the value at the end of the later window",
    "max": "the larger of the windows' values",
    "length": "lengths add up",
}


@dataclass(frozen=True)
class Span:
    """How long a window lasted, for rates and utilisation."""

    length_s: float       # rates divide by this
    busy_span_s: float    # utilisation divides by this × connections
    connections: int


@dataclass(frozen=True)
class Metric:
    """One reported figure."""

    key: str
    unit: str    # "requests", "fraction", "ms", "/s", "s", "entries", ...
    merge: str   # a key of MERGES
    about: str
    value: Callable[[Window, Span], float]
    series: bool = True            # also a time-series column
    headline: str | None = None    # its label in Result.table(); None = not shown there
    redis: str | None = None       # the same figure in Redis INFO


@dataclass(frozen=True)
class TierMetric:
    """One figure per cache tier: ``tier.<name>.<key>`` in the summary and time series."""

    key: str
    unit: str
    merge: str
    about: str
    value: Callable[[Window, int, int], float]  # (window, tier index, lookups at that tier)
    series: bool = False
    redis: str | None = None


def ratio(part: float, whole: float) -> float:
    """``part / whole``, NaN when there is no whole (a row without reads has no hit ratio)."""
    return part / whole if whole else math.nan


def _per_s(count: float, span: Span) -> float:
    return count / span.length_s if span.length_s > 0 else math.nan


def _db_per_s(count: float, span: Span) -> float:
    """Queries per second over the time the database had work: queries started while a
    backlog drains after the last arrival count, so they divide by that time too."""
    return count / span.busy_span_s if span.busy_span_s > 0 else math.nan


METRICS: tuple[Metric, ...] = (
    Metric("requests", "requests", "sum", "reads and writes that arrived",
           lambda w, s: w.requests, headline="requests"),
    Metric("reads", "requests", "sum", "reads that arrived (lookups: a page of "
           "workload.fanout lookups counts each)", lambda w, s: w.reads),
    Metric("writes", "requests", "sum", "writes that arrived", lambda w, s: w.writes),
    Metric("hits", "requests", "sum", "reads served by some tier", lambda w, s: w.hits,
           redis="keyspace_hits"),
    Metric("misses", "requests", "sum", "reads that missed every tier", lambda w, s: w.misses,
           redis="keyspace_misses"),
    Metric("hit_ratio", "fraction", "ratio", "hits / reads", lambda w, s: ratio(w.hits, w.reads),
           headline="hit ratio"),
    Metric("origin_requests", "requests", "sum", "reads that reached the application, past "
           "any browser and CDN tiers (every read without them)",
           lambda w, s: w.reads - w.edge_hits),
    Metric("not_modified", "responses", "sum", "304 Not Modified answers browsers got: the "
           "copy they asked about with If-None-Match was still current",
           lambda w, s: w.not_modified, series=False),
    Metric("origin_not_modified", "responses", "sum", "304 Not Modified answers the "
           "application sent (no body)", lambda w, s: w.origin_not_modified, series=False),
    Metric("origin_bytes", "bytes", "sum", "response bodies the application sent to the edge "
           "or to browsers", lambda w, s: w.origin_bytes, series=False),
    Metric("origin_bytes_per_s", "/s", "rate", "origin bandwidth: body bytes the application "
           "sent per second", lambda w, s: _per_s(w.origin_bytes, s)),
    Metric("origin_bytes_saved", "bytes", "sum", "body bytes the application did not send "
           "because a 304 answered", lambda w, s: w.origin_bytes_saved, series=False),
    Metric("edge_refreshes", "requests", "sum", "background revalidations of copies a "
           "browser or CDN served stale (stale-while-revalidate)",
           lambda w, s: w.edge_refreshes, series=False),
    Metric("purged", "entries", "sum", "copies removed from CDN PoPs by purges",
           lambda w, s: w.purged, series=False),
    Metric("db_reads", "queries", "sum", "read queries the database started",
           lambda w, s: w.db_reads, series=False),
    Metric("db_writes", "rows", "sum", "keys the database started writing (a batch of n: n)",
           lambda w, s: w.db_writes, series=False),
    Metric("db_reads_per_s", "/s", "rate", "read queries started per second, backlog after "
           "the last arrival included", lambda w, s: _db_per_s(w.db_reads, s),
           headline="DB reads/s"),
    Metric("db_writes_per_s", "/s", "rate", "keys written per second, backlog after the "
           "last arrival included", lambda w, s: _db_per_s(w.db_writes, s)),
    Metric("peak_db_reads_per_s", "/s", "max", "the most read queries started in one fine "
           "window (metrics.peak_window_s), per second: how hard a stampede hits",
           lambda w, s: w.db_read_peak),
    Metric("hot_key_db_reads", "queries", "sum", "read queries for the hottest key (id 0)",
           lambda w, s: w.hot_db_reads, series=False),
    Metric("hot_key_reloads", "reloads", "sum", "reloads of the hottest key: periods with at "
           "least one read of it running (one per expiry when nothing piles on)",
           lambda w, s: w.hot_reloads, series=False),
    Metric("hot_key_reads_per_reload", "queries", "ratio", "read queries per reload of the "
           "hottest key: 1 when loads are coalesced, more when a stampede piles on",
           lambda w, s: ratio(w.hot_db_reads, w.hot_reloads), series=False),
    Metric("waits", "requests", "sum", "reads that waited for another reader's load instead "
           "of querying (coalescing, locks, leases)", lambda w, s: w.waits, series=False),
    Metric("request_cache_hits", "lookups", "sum", "repeated lookups within a read request "
           "that its request-level cache answered (not counted in reads)",
           lambda w, s: w.request_cache_hits, series=False),
    Metric("db_not_found", "queries", "sum", "read queries for keys that do not exist "
           "(cache penetration)", lambda w, s: w.db_not_found),
    Metric("bloom_rejected", "requests", "sum", "reads the Bloom filter answered \"not "
           "found\" before any tier was asked (counted as misses)",
           lambda w, s: w.screened, series=False),
    Metric("bloom_false_positive_ratio", "fraction", "ratio", "reads of missing keys the "
           "Bloom filter let through, of those it checked",
           lambda w, s: ratio(w.bloom_false_positives, w.bloom_checks), series=False),
    Metric("db_utilization", "fraction", "ratio",
           "busy connection-time / (connections × time), backlog after the last arrival "
           "included", lambda w, s: (w.db_busy_s / (s.connections * s.busy_span_s)
                                     if s.busy_span_s > 0 else math.nan),
           headline="DB utilisation"),
    Metric("db_wait_mean_ms", "ms", "ratio", "mean wait for a connection, of queries that got one",
           lambda w, s: 1000.0 * w.db_wait_s / (w.db_reads + w.db_writes)
           if w.db_reads + w.db_writes else 0.0, series=False, headline="DB wait mean"),
    Metric("latency_mean_ms", "ms", "histogram", "mean read latency (timeouts at the timeout)",
           lambda w, s: w.latency.mean, headline="latency mean"),
    Metric("latency_p50_ms", "ms", "histogram", "median read latency",
           lambda w, s: w.latency.quantile(0.50), headline="latency p50"),
    Metric("latency_p95_ms", "ms", "histogram", "95th percentile of read latency",
           lambda w, s: w.latency.quantile(0.95), series=False, headline="latency p95"),
    Metric("latency_p99_ms", "ms", "histogram", "99th percentile of read latency",
           lambda w, s: w.latency.quantile(0.99), headline="latency p99"),
    Metric("latency_max_ms", "ms", "histogram", "slowest read", lambda w, s: w.latency.max,
           series=False),
    Metric("write_latency_mean_ms", "ms", "histogram", "mean write latency",
           lambda w, s: w.write_latency.mean, series=False),
    Metric("write_latency_p50_ms", "ms", "histogram", "median write latency",
           lambda w, s: w.write_latency.quantile(0.50), series=False),
    Metric("write_latency_p99_ms", "ms", "histogram", "99th percentile of write latency",
           lambda w, s: w.write_latency.quantile(0.99), series=False),
    Metric("evictions", "entries", "sum", "entries removed to make room, all tiers",
           lambda w, s: sum(w.evictions), headline="evictions", redis="evicted_keys"),
    Metric("expirations", "entries", "sum", "entries removed because their TTL ran out",
           lambda w, s: sum(w.expirations), redis="expired_keys"),
    Metric("used_memory", "bytes", "gauge", "memory the cache entries take at the end, all "
           "tiers: entries × (workload.value_bytes + entry_overhead_bytes), markers without "
           "a value", lambda w, s: sum(w.used_memory), redis="used_memory"),
    Metric("stale_reads", "requests", "sum",
           "reads that returned an older version than the database had committed",
           lambda w, s: w.stale, headline="stale reads"),
    Metric("stale_ratio", "fraction", "ratio", "stale reads / reads",
           lambda w, s: ratio(w.stale, w.reads), series=False),
    Metric("staleness_p50_s", "s", "histogram",
           "median age of stale reads: how long the value returned had been out of date",
           lambda w, s: w.staleness.quantile(0.50), series=False),
    Metric("staleness_p99_s", "s", "histogram", "99th percentile of that age",
           lambda w, s: w.staleness.quantile(0.99), series=False),
    Metric("staleness_max_s", "s", "histogram", "the oldest value any read returned",
           lambda w, s: w.staleness.max, series=False),
    Metric("lost_writes", "writes", "sum",
           "acknowledged writes a crash destroyed before they reached the database",
           lambda w, s: w.lost_writes),
    Metric("refreshes", "queries", "sum", "reloads before a key expired or while its expired "
           "value was served (refresh-ahead, XFetch, stale-while-revalidate)",
           lambda w, s: w.refreshes, series=False),
    Metric("timeouts", "requests", "sum",
           "requests that waited longer than database.timeout_ms and failed",
           lambda w, s: w.timeouts, headline="timeouts"),
    Metric("timeout_ratio", "fraction", "ratio", "timeouts / requests",
           lambda w, s: ratio(w.timeouts, w.requests), series=False),
    Metric("duration_s", "s", "length", "measured time: from the end of warm-up to the last "
           "arrival", lambda w, s: s.length_s, series=False),
    Metric("throughput_rps", "/s", "rate", "requests that arrived per second",
           lambda w, s: _per_s(w.requests, s), series=False),
)

TIER_METRICS: tuple[TierMetric, ...] = (
    TierMetric("lookups", "requests", "sum", "reads that reached this tier",
               lambda w, i, lookups: lookups),
    TierMetric("hits", "requests", "sum", "reads this tier served",
               lambda w, i, lookups: w.tier_hits[i]),
    TierMetric("hit_ratio", "fraction", "ratio", "hits / lookups at this tier",
               lambda w, i, lookups: ratio(w.tier_hits[i], lookups), series=True),
    TierMetric("evictions", "entries", "sum", "entries evicted from this tier (all instances)",
               lambda w, i, lookups: w.evictions[i], series=True, redis="evicted_keys"),
    TierMetric("expirations", "entries", "sum", "entries of this tier whose TTL ran out",
               lambda w, i, lookups: w.expirations[i], redis="expired_keys"),
    TierMetric("entries", "entries", "gauge", "entries held at the end (all instances)",
               lambda w, i, lookups: w.entries[i], series=True, redis="keys"),
    TierMetric("not_found_entries", "entries", "gauge",
               "entries a negative cache holds: \"this key does not exist\" markers",
               lambda w, i, lookups: w.not_found_entries[i], series=True),
    TierMetric("used_memory", "bytes", "gauge", "memory this tier's entries take (all "
               "instances)", lambda w, i, lookups: w.used_memory[i], series=True,
               redis="used_memory"),
    TierMetric("orphans", "entries", "gauge",
               "entries under a namespace a bump left behind: never read, not yet evicted",
               lambda w, i, lookups: w.orphans[i], series=True),
)

#: Summary figures that are fractions or means: 0 (not NaN) when nothing was counted.
_ZERO_IF_EMPTY = {m.key for m in METRICS if m.merge in ("ratio", "rate")}


def walk(window: Window, tiers: int, edge: int = 0) -> list[tuple[int, int]]:
    """The tiers in the order a read meets them, each with the reads that reached it:
    ``(index, lookups)``. The last ``edge`` of the ``tiers`` indices are browser and CDN
    tiers, met first; reads a Bloom filter answered never reach the application's tiers."""
    order = list(range(tiers - edge, tiers)) + list(range(tiers - edge))
    out = []
    lookups = window.reads
    for n, i in enumerate(order):
        if n == edge:
            lookups -= window.screened
        out.append((i, lookups))
        lookups -= window.tier_hits[i]
    return out


def _tier_values(window: Window, tiers: list[str], edge: int,
                 pick: Callable[[TierMetric], bool]) -> dict[str, float]:
    out: dict[str, float] = {}
    for i, lookups in walk(window, len(tiers), edge):
        for m in TIER_METRICS:
            if pick(m):
                out[f"tier.{tiers[i]}.{m.key}"] = m.value(window, i, lookups)
    return out


def summary(total: Window, span: Span, tiers: list[str], edge: int = 0) -> dict[str, float]:
    """The run's summary: every figure of the catalog over the measured windows merged.
    ``tiers`` are the tier names by index, the last ``edge`` of them met first."""
    out: dict[str, float] = {}
    for m in METRICS:
        value = m.value(total, span)
        out[m.key] = 0.0 if m.key in _ZERO_IF_EMPTY and math.isnan(value) else value
    for key, value in _tier_values(total, tiers, edge, lambda m: True).items():
        out[key] = 0.0 if math.isnan(value) else value
    return out


def row(window: Window, connections: int, tiers: list[str], edge: int = 0) -> dict[str, float]:
    """One time-series row: the start, the length, then each series figure of the catalog."""
    length = window.length_s
    span = Span(length, length, connections)
    out: dict[str, float] = {"time_s": window.start, "interval_s": length}
    out.update({m.key: m.value(window, span) for m in METRICS if m.series})
    out.update(_tier_values(window, tiers, edge, lambda m: m.series))
    return out


def tier_rows(total: Window, tiers: list[dict[str, object]],
              edge: int = 0) -> list[dict[str, object]]:
    """Long format: one row per tier in the order reads meet them, its description then
    each per-tier figure."""
    return [{**tiers[i], **{m.key: m.value(total, i, lookups) for m in TIER_METRICS}}
            for i, lookups in walk(total, len(tiers), edge)]
