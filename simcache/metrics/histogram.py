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


_BATCH = 2048  # single values wait in a list and go into the buckets this many at a time


class Histogram:
    """A distribution in buckets 1 % wide; quantiles come back within 1 %.

    Each bucket keeps its count and sum, so a quantile is the mean of the values in its
    bucket: exact when they are all equal (a cache hit costs the same every time). Values
    beyond the range share the first or last bucket, whose mean stays exact. Single values
    are bucketed in vectorised batches of up to 2,048 (a few microseconds per request
    saved on a miss); every reading of the histogram takes the waiting ones in first.
    """

    __slots__ = ("_count", "_sum", "_n", "_total", "_max", "_waiting")

    def __init__(self) -> None:
        self._count: array | None = None
        self._sum: array | None = None
        self._n = 0
        self._total = 0.0
        self._max = 0.0
        self._waiting: list[float] = []

    def _allocate(self) -> None:
        self._count = array("q", bytes(8 * BUCKETS))
        self._sum = array("d", bytes(8 * BUCKETS))

    def add(self, value: float, times: int = 1) -> None:
        """Count ``value`` ``times`` times."""
        if times == 1:
            waiting = self._waiting
            waiting.append(value)
            if len(waiting) >= _BATCH:
                self._settle()
            return
        if times <= 0:
            return
        self._settle()
        # int() is floor() for the positive numbers it sees here
        b = min(int(_log(value) * _PER_LOG + _OFFSET), BUCKETS - 1) if value > _LOWEST else 0
        self._count[b] += times  # type: ignore[index]
        self._sum[b] += value * times  # type: ignore[index]
        self._n += times
        self._total += value * times
        if value > self._max:
            self._max = value

    def _settle(self) -> None:
        """Put the waiting single values into their buckets."""
        if self._count is None:
            self._allocate()
        waiting = self._waiting
        if not waiting:
            return
        values = np.array(waiting, dtype=np.float64)
        self._waiting = []
        buckets = np.zeros(len(values), dtype=np.int64)
        above = values > _LOWEST
        buckets[above] = np.minimum(
            np.floor(np.log(values[above]) * _PER_LOG + _OFFSET), BUCKETS - 1)
        np.add.at(np.frombuffer(self._count, dtype=np.int64), buckets, 1)
        np.add.at(np.frombuffer(self._sum, dtype=np.float64), buckets, values)
        self._n += len(values)
        self._total += float(values.sum())
        self._max = max(self._max, float(values.max()))

    @property
    def n(self) -> int:
        """How many values were counted."""
        self._settle()
        return self._n

    @property
    def total(self) -> float:
        self._settle()
        return self._total

    @property
    def max(self) -> float:
        self._settle()
        return self._max

    def merge(self, other: Histogram) -> None:
        other._settle()
        if other._count is None:
            return
        self._settle()
        np.frombuffer(self._count, dtype=np.int64)[:] += np.frombuffer(other._count,
                                                                       dtype=np.int64)
        np.frombuffer(self._sum, dtype=np.float64)[:] += np.frombuffer(other._sum,
                                                                       dtype=np.float64)
        self._n += other._n
        self._total += other._total
        self._max = max(self._max, other._max)

    @property
    def mean(self) -> float:
        n = self.n
        return self._total / n if n else 0.0

    def quantile(self, q: float) -> float:
        """The value below which a fraction ``q`` of observations lie (0 if empty)."""
        n = self.n
        if not n:
            return 0.0
        counts = np.frombuffer(self._count, dtype=np.int64)
        cumulative = np.cumsum(counts)
        b = int(np.searchsorted(cumulative, q * n, side="left"))
        if b >= BUCKETS:
            return self._max
        while counts[b] == 0:  # q = 0: the first bucket that holds anything
            b += 1
        return float(self._sum[b] / counts[b])  # type: ignore[index]

    def quantiles(self, qs: Iterable[float]) -> list[float]:
        return [self.quantile(q) for q in qs]
