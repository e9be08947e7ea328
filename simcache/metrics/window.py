"""The counters of one time-series interval; merged, the same counters give the summary.

Request-level figures (reads, misses, latencies, stale reads, timeouts) are pushed by the
engine as requests finish. Resource-level figures (database queries started, waiting
and busy time, evictions, expirations) are cumulative counters of the model that the
engine samples at every boundary: a window holds their differences, so a query that
spans two intervals puts its busy time in each, and warm-up's queries count only for
the part of their work done after measuring starts. Nothing grows with the number of
requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .histogram import Histogram


@dataclass(frozen=True)
class Sample:
    """The model's cumulative counters at one moment (taken by the engine)."""

    db_reads: int
    db_writes: int
    db_wait_s: float
    db_busy_s: float
    evictions: Sequence[int]
    expirations: Sequence[int]
    entries: Sequence[int]
    db_queue: int
    orphans: Sequence[int]
    db_not_found: int = 0
    hot_db_reads: int = 0
    hot_reloads: int = 0
    db_read_peak: float = 0.0  # most read queries per second over a fine window, since the last
    not_found_entries: Sequence[int] = ()
    used_memory: Sequence[int] = ()


class Window:
    """Counters of one interval ``[start, end)``."""

    __slots__ = ("start", "end", "misses", "writes", "stale", "timeouts", "lost_writes",
                 "refreshes", "waits", "screened", "bloom_checks", "bloom_false_positives",
                 "request_cache_hits", "tier_hits", "edge_hits", "not_modified",
                 "origin_not_modified", "origin_bytes", "origin_bytes_saved", "edge_refreshes",
                 "purged",
                 "latency", "write_latency", "staleness", "db_reads", "db_writes", "db_wait_s",
                 "db_busy_s", "db_not_found", "hot_db_reads", "hot_reloads", "db_read_peak",
                 "evictions", "expirations", "entries", "orphans", "not_found_entries",
                 "used_memory", "db_queue")
    #: Counts that add up when windows merge.
    COUNTS = ("misses", "writes", "stale", "timeouts", "lost_writes", "refreshes", "waits",
              "screened", "bloom_checks", "bloom_false_positives", "request_cache_hits",
              "db_reads", "db_writes", "db_wait_s", "db_busy_s", "db_not_found",
              "hot_db_reads", "hot_reloads", "edge_hits", "not_modified",
              "origin_not_modified", "origin_bytes", "origin_bytes_saved", "edge_refreshes",
              "purged")

    def __init__(self, tiers: int, start: float = 0.0) -> None:
        self.start = self.end = start
        # pushed by the engine
        self.misses = self.writes = self.stale = self.timeouts = 0
        self.lost_writes = self.refreshes = self.waits = self.screened = 0
        self.bloom_checks = self.bloom_false_positives = self.request_cache_hits = 0
        self.tier_hits = [0] * tiers
        # browser and CDN tiers (their hits are also in tier_hits)
        self.edge_hits = self.not_modified = self.origin_not_modified = 0
        self.origin_bytes = self.origin_bytes_saved = self.edge_refreshes = self.purged = 0
        self.latency = Histogram()
        self.write_latency = Histogram()
        self.staleness = Histogram()  # seconds each stale read's value had been out of date
        # differences of the model's counters over the window
        self.db_reads = self.db_writes = 0
        self.db_wait_s = self.db_busy_s = 0.0
        self.db_not_found = self.hot_db_reads = self.hot_reloads = 0
        self.db_read_peak = 0.0
        self.evictions = [0] * tiers
        self.expirations = [0] * tiers
        # gauges at the end of the window
        self.entries = [0] * tiers
        self.orphans = [0] * tiers
        self.not_found_entries = [0] * tiers
        self.used_memory = [0] * tiers
        self.db_queue = 0

    @property
    def hits(self) -> int:
        return sum(self.tier_hits)

    @property
    def reads(self) -> int:
        return self.hits + self.misses

    @property
    def requests(self) -> int:
        return self.reads + self.writes

    @property
    def length_s(self) -> float:
        return self.end - self.start

    def close(self, end: float, before: Sample, after: Sample) -> None:
        """End the window at ``end``; resource figures are ``after`` minus ``before``."""
        self.end = end
        self.db_reads = after.db_reads - before.db_reads
        self.db_writes = after.db_writes - before.db_writes
        self.db_wait_s = after.db_wait_s - before.db_wait_s
        self.db_busy_s = after.db_busy_s - before.db_busy_s
        self.db_not_found = after.db_not_found - before.db_not_found
        self.hot_db_reads = after.hot_db_reads - before.hot_db_reads
        self.hot_reloads = after.hot_reloads - before.hot_reloads
        self.db_read_peak = after.db_read_peak
        self.evictions = [a - b for a, b in zip(after.evictions, before.evictions, strict=True)]
        self.expirations = [a - b for a, b in zip(after.expirations, before.expirations,
                                                  strict=True)]
        self.entries = list(after.entries)
        self.orphans = list(after.orphans)
        self.not_found_entries = list(after.not_found_entries)
        self.used_memory = list(after.used_memory)
        self.db_queue = after.db_queue

    def merge(self, other: Window) -> None:
        """Add a later window to this one: counts add, gauges take the later value."""
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.db_read_peak = max(self.db_read_peak, other.db_read_peak)
        for name in ("tier_hits", "evictions", "expirations"):
            setattr(self, name, [a + b for a, b in zip(getattr(self, name), getattr(other, name),
                                                       strict=True)])
        self.latency.merge(other.latency)
        self.write_latency.merge(other.write_latency)
        self.staleness.merge(other.staleness)
        self.start = min(self.start, other.start)
        self.end = max(self.end, other.end)
        self.entries = list(other.entries)
        self.orphans = list(other.orphans)
        self.not_found_entries = list(other.not_found_entries)
        self.used_memory = list(other.used_memory)
        self.db_queue = other.db_queue
