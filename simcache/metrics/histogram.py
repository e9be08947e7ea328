"""A log-bucketed histogram: quantiles within 1 %, in a fixed amount of memory.

Buckets are 1 % wide on a log scale from 1 ns to about 12 days (in the unit the caller
uses, milliseconds for latencies), held in two flat arrays allocated on the first value.
A histogram therefore takes the same memory after ten values or ten million: a run keeps
one per time-series row, and its memory must not grow with the number of requests.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable

import numpy as np

_log = math.log

_REL = 0.01  # bucket width: values within 1% share a bucket
_LOG_BASE = math.log1p(_REL)
_PER_LOG = 1.0 / _LOG_BASE
_LOWEST = 1e-6  # values at or below this (zero included) share the first bucket
_OFFSET = -math.floor(math.log(_LOWEST) / _LOG_BASE) + 1
BUCKETS = _OFFSET + math.floor(math.log(1e9) / _LOG_BASE) + 1  # up to 1e9: 3,473 buckets


class Histogram:
    """A distribution in buckets 1 % wide; quantiles come back within 1 %.

    Each bucket keeps its count and sum, so a quantile is the mean of the values in its
    bucket: exact when they are all equal (a cache hit costs the same every time). Values
    beyond the range share the first or last bucket, whose mean stays exact.
    """

    __slots__ = ("_count", "_sum", "n", "total", "max")

    def __init__(self) -> None:
        self._count: array | None = None
        self._sum: array | None = None
        self.n = 0
        self.total = 0.0
        self.max = 0.0

    def _allocate(self) -> None:
        self._count = array("q", bytes(8 * BUCKETS))
        self._sum = array("d", bytes(8 * BUCKETS))

    def add(self, value: float, times: int = 1) -> None:
        if times <= 0:
            return
        if self._count is None:
            self._allocate()
        if value > _LOWEST:
            b = int(_log(value) * _PER_LOG + _OFFSET)  # positive here, so int() is floor()
            if b >= BUCKETS:
                b = BUCKETS - 1
        else:
            b = 0
        self._count[b] += times  # type: ignore[index]
        self._sum[b] += value * times  # type: ignore[index]
        self.n += times
        self.total += value * times
        if value > self.max:
            self.max = value

    def merge(self, other: Histogram) -> None:
        if other._count is None:
            return
        if self._count is None:
            self._allocate()
        np.frombuffer(self._count, dtype=np.int64)[:] += np.frombuffer(other._count,
                                                                       dtype=np.int64)
        np.frombuffer(self._sum, dtype=np.float64)[:] += np.frombuffer(other._sum,
                                                                       dtype=np.float64)
        self.n += other.n
        self.total += other.total
        self.max = max(self.max, other.max)

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    def quantile(self, q: float) -> float:
        """The value below which a fraction ``q`` of observations lie (0 if empty)."""
        if not self.n or self._count is None:
            return 0.0
        counts = np.frombuffer(self._count, dtype=np.int64)
        cumulative = np.cumsum(counts)
        b = int(np.searchsorted(cumulative, q * self.n, side="left"))
        if b >= BUCKETS:
            return self.max
        while counts[b] == 0:  # q = 0: the first bucket that holds anything
            b += 1
        return float(self._sum[b] / counts[b])  # type: ignore[index]

    def quantiles(self, qs: Iterable[float]) -> list[float]:
        return [self.quantile(q) for q in qs]
