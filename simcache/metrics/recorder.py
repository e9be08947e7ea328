"""Turns a run into time-series rows and a total, with exact, bounded rows.

Rows start where measuring starts (``t0``) and row ``i`` covers ``[t0 + i·Δ, t0 +
(i+1)·Δ)``, each boundary computed from ``t0`` and ``Δ`` rather than by adding Δ again and
again. When a run goes on much longer than expected (an overloaded database draining its
backlog), pairs of rows are merged and Δ doubles, so the number of rows stays bounded
whatever the run's length, and boundaries stay exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .window import Sample, Window

#: With the automatic interval: merge row pairs when this many rows exist.
AUTO_ROW_LIMIT = 120


def nice_interval(span_s: float, rows: int = 100) -> float:
    """A round bucket width (1, 2 or 5 × 10ᵏ seconds) giving about ``rows`` rows."""
    raw = max(span_s / rows, 1e-6)
    exp = math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= raw:
            return m * 10.0**exp
    return 10.0 ** (exp + 1)


class Recorder:
    """The current window, the closed rows and their total for one run."""

    def __init__(self, tiers: int, sample: Callable[[float], Sample],
                 hit_latency_ms: Sequence[float | None]):
        self.tiers = tiers
        self.sample = sample
        self.hit_latency_ms = list(hit_latency_ms)
        self.window = Window(tiers)  # warm-up's window: never reported
        self.rows: list[Window] = []
        self.total = Window(tiers)
        self.measuring = False
        self.t0 = 0.0
        self.interval = math.inf
        self.boundary = math.inf
        self.row_limit = AUTO_ROW_LIMIT
        self._index = 0
        self._last: Sample | None = None

    def start(self, t0: float, interval: float, row_limit: int = AUTO_ROW_LIMIT) -> None:
        """Measuring starts at ``t0``: everything before is left out."""
        self.measuring = True
        self.t0 = t0
        self.interval = interval
        self.row_limit = row_limit
        self._index = 0
        self.boundary = t0 + interval
        self.window = Window(self.tiers, t0)
        self.total = Window(self.tiers, t0)
        self._last = self.sample(t0)

    def close(self, end: float) -> None:
        """Close the current window at ``end`` (its boundary, or the end of the run)."""
        w = self.window
        for level, count in enumerate(w.tier_hits):
            latency_ms = self.hit_latency_ms[level]
            if latency_ms is not None:  # None: that tier's hits recorded their own
                w.latency.add(latency_ms, count)
        after = self.sample(end)
        assert self._last is not None, "close() before start()"
        w.close(end, self._last, after)
        self._last = after
        self.rows.append(w)
        self.total.merge(w)
        self._index += 1
        if len(self.rows) >= self.row_limit and len(self.rows) % 2 == 0:
            self._coarsen()
        self.boundary = self.t0 + (self._index + 1) * self.interval
        self.window = Window(self.tiers, end)

    def _coarsen(self) -> None:
        merged = []
        for first, second in zip(self.rows[::2], self.rows[1::2], strict=True):
            first.merge(second)
            merged.append(first)
        self.rows = merged
        self._index //= 2
        self.interval *= 2.0

    @property
    def window_start(self) -> float:
        return self.t0 + self._index * self.interval
