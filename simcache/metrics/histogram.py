"""Streaming metrics: counters, a log-bucketed latency histogram, a bucketed time series.

Nothing here stores one value per request, so memory depends on the number of
histogram buckets and time-series rows, never on the number of requests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

_REL = 0.01  # bucket width: values within 1% share a bucket
_LOG_BASE = math.log1p(_REL)


class Histogram:
    """Latency distribution in buckets 1% wide; quantiles come back within 1%.

    Each bucket keeps its count and sum, so a quantile is the mean of the values in its
    bucket: exact when they are all equal (a cache hit costs the same every time).
    """

    __slots__ = ("_count", "_sum", "n", "total", "max")

    def __init__(self) -> None:
        self._count: dict[int, int] = {}
        self._sum: dict[int, float] = {}
        self.n = 0
        self.total = 0.0
        self.max = 0.0

    def add(self, value: float, times: int = 1) -> None:
        if times <= 0:
            return
        b = math.floor(math.log(value) / _LOG_BASE) if value > 0 else -(10**9)
        self._count[b] = self._count.get(b, 0) + times
        self._sum[b] = self._sum.get(b, 0.0) + value * times
        self.n += times
        self.total += value * times
        if value > self.max:
            self.max = value

    def merge(self, other: Histogram) -> None:
        for b, c in other._count.items():
            self._count[b] = self._count.get(b, 0) + c
            self._sum[b] = self._sum.get(b, 0.0) + other._sum[b]
        self.n += other.n
        self.total += other.total
        self.max = max(self.max, other.max)

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    def quantile(self, q: float) -> float:
        """The value below which a fraction ``q`` of observations lie (0 if empty)."""
        if not self.n:
            return 0.0
        rank = q * self.n
        seen = 0
        for b in sorted(self._count):
            seen += self._count[b]
            if seen >= rank:
                return self._sum[b] / self._count[b]
        return self.max

    def quantiles(self, qs: Iterable[float]) -> list[float]:
        return [self.quantile(q) for q in qs]


class Window:
    """Counters for one time-series interval (and, merged, for the whole run)."""

    __slots__ = ("reads", "writes", "hits", "misses", "db_reads", "db_writes", "stale",
                 "latency", "write_latency_sum_ms", "db_wait_sum_s", "db_ops", "db_busy_s",
                 "tier_hits")

    def __init__(self, tiers: int) -> None:
        self.reads = self.writes = self.hits = self.misses = 0
        self.db_reads = self.db_writes = self.stale = self.db_ops = 0
        self.write_latency_sum_ms = self.db_wait_sum_s = self.db_busy_s = 0.0
        self.latency = Histogram()
        self.tier_hits = [0] * tiers

    def merge(self, other: Window) -> None:
        for name in ("reads", "writes", "hits", "misses", "db_reads", "db_writes", "stale",
                     "write_latency_sum_ms", "db_wait_sum_s", "db_ops", "db_busy_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.latency.merge(other.latency)
        self.tier_hits = [a + b for a, b in zip(self.tier_hits, other.tier_hits, strict=True)]


def nice_interval(span_s: float, rows: int = 100) -> float:
    """A round bucket width (1, 2 or 5 × 10ᵏ seconds) giving about ``rows`` rows."""
    raw = max(span_s / rows, 1e-6)
    exp = math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= raw:
            return m * 10.0**exp
    return 10.0 ** (exp + 1)
