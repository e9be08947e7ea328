"""Everyday caching patterns in plain Python, beside the simulator (notebook 06).

A backend that counts its calls, a fake clock for ``cachetools`` caches, a memo that lives
for one request, the simulator's own key sequences and pages as plain lists, and the two
formulas that size a request-level cache and a batch warm-up. Nothing here imports plotly,
ipywidgets or a Redis client; ``cachetools`` is imported only by :func:`cached_with_info`.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple

import numpy as np

from ..model.workload import requests
from ..scenario import Scenario


# -- a slow backend and a clock ---------------------------------------------------------
class Backend:
    """A stand-in for a database: each call sleeps ``delay_s`` and is counted.

    ``load(key)`` is one query for one key; ``load_many(keys)`` one query for many (a
    batch, like SQL's ``WHERE id IN (…)`` or Redis's ``MGET``). ``calls`` counts queries,
    ``rows`` the keys they read.
    """

    def __init__(self, delay_s: float = 0.0):
        if delay_s < 0:
            raise ValueError(f"delay_s = {delay_s!r}: must be >= 0")
        self.delay_s = delay_s
        self.calls = 0
        self.rows = 0

    def load(self, key: Hashable) -> str:
        """The value of one key, after one round trip."""
        self.calls += 1
        self.rows += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        return f"value of {key}"

    def load_many(self, keys: Iterable[Hashable]) -> dict[Hashable, str]:
        """The values of several keys, after one round trip."""
        wanted = list(dict.fromkeys(keys))
        self.calls += 1
        self.rows += len(wanted)
        if self.delay_s:
            time.sleep(self.delay_s)
        return {key: f"value of {key}" for key in wanted}

    def reset(self) -> None:
        """Set the counters back to zero."""
        self.calls = self.rows = 0


class FakeClock:
    """A clock that moves only when told: pass it as ``timer=`` to a ``cachetools`` cache."""

    def __init__(self, now: float = 0.0):
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError(f"seconds = {seconds!r}: a clock does not go back")
        self.now += seconds
        return self.now


# -- cachetools, with hit statistics on every version ------------------------------------
class CacheInfo(NamedTuple):
    """Hits and misses of a memoised function, as ``functools`` and ``cachetools`` report them."""

    hits: int
    misses: int
    maxsize: int | None
    currsize: int


def cached_with_info(cache: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``cachetools.cached(cache, info=True)``; on a cachetools without ``info`` (before
    5.3) the same decorator with hit and miss counters added here."""
    import cachetools

    if "info" in inspect.signature(cachetools.cached).parameters:
        return cachetools.cached(cache, info=True)
    return counting_cached(cache)  # pragma: no cover (cachetools < 5.3)


def counting_cached(cache: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``cachetools.cached(cache)`` plus a ``cache_info()`` counted here (for cachetools < 5.3)."""
    import cachetools

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        calls = misses = 0

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal misses
            misses += 1
            return func(*args, **kwargs)

        inner = cachetools.cached(cache)(counted)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return inner(*args, **kwargs)

        wrapper.cache = cache  # type: ignore[attr-defined]
        wrapper.cache_info = lambda: CacheInfo(  # type: ignore[attr-defined]
            calls - misses, misses, getattr(cache, "maxsize", None), len(cache))
        return wrapper

    return decorator


# -- the simulator's traffic as plain lists ---------------------------------------------
def key_sequence(scenario: Scenario, n: int | None = None) -> list[int]:
    """The keys of the scenario's reads, in arrival order (writes left out): the same
    sequence ``sc.run`` draws from the same seed, warm-up included. ``n`` keeps the first n."""
    return [key for _, key in timed_keys(scenario, n)]


def timed_keys(scenario: Scenario, n: int | None = None) -> list[tuple[float, int]]:
    """``(arrival time in s, key)`` of the scenario's reads, in order (see :func:`key_sequence`)."""
    out: list[tuple[float, int]] = []
    for chunk in requests(scenario.workload, scenario.seed):
        writes = chunk.writes or [False] * len(chunk.keys)
        out.extend((t, k) for t, k, w in zip(chunk.times, chunk.keys, writes, strict=True)
                   if not w)
        if n is not None and len(out) >= n:
            return out[:n]
    return out


def page_keys(scenario: Scenario, pages: int) -> list[list[int]]:
    """The first ``pages`` read requests of a scenario with ``workload.fanout`` > 1, each as
    the list of keys it looks up: the pages the simulator draws from the same seed, warm-up
    included (``workload.warmup_requests`` counts pages, so with W of them the first W
    pages are the warm-up's). Writes (a single lookup each) are left out. Lookups of a page
    share its arrival time."""
    workload = scenario.workload
    if workload.fanout < 2:
        raise ValueError(f"workload.fanout = {workload.fanout}: pages need a fanout of 2 or more")
    plain = scenario.with_values({"workload.request_cache": False})
    out: list[list[int]] = []
    for chunk in requests(plain.workload, plain.seed):
        writes = chunk.writes or [False] * len(chunk.keys)
        i, size = 0, len(chunk.keys)
        while i < size:
            j = i + 1
            while j < size and chunk.times[j] == chunk.times[i]:
                j += 1
            if not writes[i]:
                out.append(chunk.keys[i:j])
                if len(out) == pages:
                    return out
            i = j
    return out


# -- a memo for one request ---------------------------------------------------------------
class RequestMemo:
    """A dict that lives for one request: each key is loaded at most once while it lives.

    Create one when a request starts and drop it when the request ends, so nothing it holds
    outlives the request or leaks to another user's request.
    """

    def __init__(self, load: Callable[[Hashable], Any]):
        self._load = load
        self._values: dict[Hashable, Any] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any:
        """The value of ``key``: from the memo if this request has loaded it already."""
        try:
            value = self._values[key]
        except KeyError:
            self.misses += 1
            value = self._values[key] = self._load(key)
            return value
        self.hits += 1
        return value

    def __len__(self) -> int:
        return len(self._values)


def serve_pages(pages: Iterable[Iterable[Hashable]], backend: Backend, *,
                memo: bool) -> int:
    """Render each page by loading its keys one by one from ``backend``, with a fresh
    :class:`RequestMemo` per page or without one; return the lookups made."""
    lookups = 0
    for keys in pages:
        load = RequestMemo(backend.load).get if memo else backend.load
        for key in keys:
            load(key)
            lookups += 1
    return lookups


# -- sizing formulas ----------------------------------------------------------------------
def expected_distinct(p: np.ndarray, fanout: int) -> float:
    """Expected distinct keys among ``fanout`` independent draws by popularity ``p``:
    Σᵢ 1 − (1 − pᵢ)^F (key i appears unless all F draws miss it)."""
    p = np.asarray(p, dtype=float)
    if fanout < 0:
        raise ValueError(f"fanout = {fanout!r}: must be >= 0")
    return float(np.sum(1.0 - (1.0 - np.clip(p, 0.0, 1.0)) ** fanout))


def top_k_share(p: np.ndarray, k: int) -> float:
    """The share of requests that go to the ``k`` most popular keys."""
    p = np.sort(np.asarray(p, dtype=float))[::-1]
    return float(p[:max(0, int(k))].sum() / p.sum())


def top_k_for(p: np.ndarray, share: float) -> int:
    """The fewest most-popular keys that together receive at least ``share`` of requests."""
    if not 0 <= share <= 1:
        raise ValueError(f"share = {share!r}: must be between 0 and 1")
    p = np.sort(np.asarray(p, dtype=float))[::-1]
    cumulative = np.cumsum(p) / p.sum()
    return int(min(len(p), np.searchsorted(cumulative, share - 1e-12) + 1)) if share else 0

