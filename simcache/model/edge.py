"""The HTTP tiers in front of the application: each client's browser cache and a CDN.

A read walks the edge before it reaches the application (the origin):

1. The client's browser cache (``scope = "per-client"``, one private cache per client).
   A fresh copy is served at once. A stale one becomes a conditional request: the
   browser sends its copy's ETag in ``If-None-Match``.
2. The CDN point of presence that serves the client (``scope = "per-pop"``, ``pops`` of
   them, client ``c`` at PoP ``c mod pops``), a shared cache. A fresh copy is served;
   if the browser's ETag matches it, as ``304 Not Modified`` without a body. A stale copy
   is revalidated with the origin by its own ETag; a class the CDN may not store passes
   the browser's conditional request through.
3. The origin: the application's tiers and the database answer with the current version.
   A conditional request whose ETag names that version gets a ``304`` (no body); either
   way the caches on the way back store the response, dated now.

What each cache may do with a content class comes from its ``Cache-Control``, read once
per class and kind of cache (:mod:`.http`). Freshness counts from the response's date,
which a copy handed on from the CDN keeps (HTTP's ``Age``): a browser's copy of a CDN
copy that is already 50 s old has 50 s less to live. ``stale-while-revalidate`` serves a
stale copy at once and revalidates it in the background; that background request asks
the origin for the committed version directly (it is counted in ``edge_refreshes`` and
the origin's bytes, not as a read of the application's tiers).

The version is the ETag (one per object version); objects without ``etag`` cannot be
revalidated, so a stale copy is dropped and fetched whole. A class with
``versioned_url`` (hashed asset names) puts the version in the URL: after a write, reads
ask for the new URL, so an old copy is never served, and simply ages out of the cache.
A content class's objects are ``share`` of the key ids, spread evenly over popularity
(key ``k`` belongs to the class where the golden-ratio sequence ``frac(k·φ)`` falls in
the cumulative shares), so each class gets about its share of the requests too. Reads
of keys with no row (404s) are never stored at the edge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np

from .http import Decision, decide
from .policies import FOREVER, Store

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
DATE = 2  # an edge entry is (version, expires_at, date): date = when the origin answered


@dataclass(frozen=True)
class Rules:
    """A content class at run time: its decisions and what its objects carry."""

    name: str
    browser: Decision   # a private cache's decision
    cdn: Decision       # a shared cache's decision
    etag: bool
    body_bytes: int
    tags: tuple[str, ...]
    path: str
    purge_on_write: bool
    versioned_url: bool
    writable: bool


def rules_of(content: Sequence[Any], value_bytes: int) -> list[Rules]:
    """Each content class's decisions, worked out once."""
    return [Rules(c.name, decide(c.cache_control, shared=False),
                  decide(c.cache_control, shared=True), c.etag,
                  value_bytes if c.body_bytes is None else c.body_bytes, tuple(c.tags),
                  c.path if c.path is not None else f"/{c.name}/{{key}}", c.purge_on_write,
                  c.versioned_url, c.writable)
            for c in content]


def classes_of(shares: Sequence[float], count: int) -> list[int]:
    """The content class of each of ``count`` key ids: ``shares`` of them each, spread
    evenly over ids (and so over popularity ranks)."""
    bounds = list(accumulate(shares))[:-1]  # the last class takes what is left
    u = (np.arange(count, dtype=np.float64) * GOLDEN) % 1.0
    return np.searchsorted(np.asarray(bounds), u, side="right").tolist()


def match(template: str, text: str) -> int | None | bool:
    """Whether ``text`` is what ``template`` makes: the key id when the template has a
    ``{key}`` (``product-{key}`` makes ``product-7``: 7), True for a template without one
    that equals ``text``, else None."""
    if "{key}" not in template:
        return True if template == text else None
    before, _, after = template.partition("{key}")
    if not (text.startswith(before) and text.endswith(after)) or \
            len(text) <= len(before) + len(after):
        return None
    middle = text[len(before):len(text) - len(after)]
    return int(middle) if middle.isdigit() else None


class Edge:
    """Browser caches and CDN PoPs at run time. ``browsers`` and ``cdn`` are the edge
    tiers (``model.tiers.Tier``, either may be None); ``ctx`` is the running simulation
    (its recorder's window takes the counts, its database says what is committed)."""

    def __init__(self, browsers: Any, cdn: Any, content: Sequence[Any], value_bytes: int,
                 space: int, clients: int, ctx: Any, hit_index: Sequence[int]):
        self.browsers, self.cdn = browsers, cdn
        self.rules = rules_of(content, value_bytes)
        self.klass = classes_of([c.share for c in content], space)
        #: Per key id, whether its class takes no writes (None: every class does).
        self.read_only = (np.array([not r.writable for r in self.rules])[self.klass]
                          if not all(r.writable for r in self.rules) else None)
        self.clients = clients
        self.pops = cdn.spec.pops if cdn is not None else 1
        self.ctx = ctx
        self.b_index, self.c_index = hit_index  # where their hits count in tier_hits
        edge = [t for t in (browsers, cdn) if t is not None]
        self.tiers = edge  # in the order reads meet them (and their figures are indexed)
        #: What reaching the origin adds to a read's latency: every edge tier's round
        #: trip, then the last one's trip on to the application.
        self.origin_path_ms = (sum(t.latency_ms for t in edge)
                               + edge[-1].spec.origin_latency_ms)
        #: The latency of a read served by the browser, and by the CDN.
        self.served_ms = [t.latency_ms for t in edge]
        if len(edge) == 2:
            self.served_ms[1] += edge[0].latency_ms
        # Reads on their way to the origin: (key, arrival) -> (client, browser's ETag,
        # CDN's ETag): the conditional requests each cache sent, None for a plain one.
        self._pending: dict[tuple[int, float], tuple[int, int | None, int | None]] = {}

    # -- a read arrives ---------------------------------------------------------------
    def read(self, key: int, t: float, client: int) -> bool:
        """Walk the edge: True if a browser or the CDN served the read, False if it goes
        on to the origin (the application answers it, then :meth:`answered`)."""
        rules = self.rules[self.klass[key]]
        # A class whose URLs carry the version asks for the current version's URL: a copy
        # of an older one is another object, never looked up again.
        current = self.ctx.db.committed[key] if rules.versioned_url else -1
        b_tag = None
        if self.browsers is not None:
            store = self.browsers.instance(client)
            entry = store.get(key, t)
            if entry is not None and entry[0] >= current:
                how = self._reuse(entry, t, rules.browser)
                if how is not None:
                    self._served(self.b_index, key, entry[0], t)
                    if how == "stale":
                        self._refresh(store, key, entry[0], t, rules, rules.browser)
                    return True
                if rules.etag:
                    b_tag = entry[0]
        c_tag = b_tag  # a cache that may not store the class passes the request through
        if self.cdn is not None and rules.cdn.stored:
            c_tag = None  # the CDN fetches whole what it does not hold, to store it
            store = self.cdn.instance(client % self.pops)
            entry = store.get(key, t)
            if entry is not None and entry[0] >= current:
                how = self._reuse(entry, t, rules.cdn)
                if how is not None:
                    self._served(self.c_index, key, entry[0], t)
                    self._to_browser(key, client, entry[0], entry[DATE], t, b_tag, rules)
                    if how == "stale":
                        self._refresh(store, key, entry[0], t, rules, rules.cdn)
                    return True
                if rules.etag:
                    c_tag = entry[0]
        self._pending[(key, t)] = (client, b_tag, c_tag)
        return False

    @staticmethod
    def _reuse(entry: tuple, t: float, rule: Decision) -> str | None:
        """How a stored copy may be reused at ``t``: "fresh", "stale" (within
        stale-while-revalidate: served, then revalidated), or None (ask the next hop)."""
        age = t - entry[DATE]
        if age < rule.fresh_s and not rule.revalidate_always:
            return "fresh"
        if age < rule.fresh_s + rule.stale_while_revalidate_s:  # 0 where stale is forbidden
            return "stale"
        return None

    def _served(self, index: int, key: int, version: int, t: float) -> None:
        ctx = self.ctx
        w = ctx.recorder.window
        w.tier_hits[index] += 1
        w.edge_hits += 1
        committed = ctx.db.committed
        if key < len(committed) and version < committed[key]:
            w.stale += 1
            w.staleness.add(t - ctx.db.superseded_at(key, version))

    def _store(self, store: Store, key: int, version: int, date: float, now: float,
               rules: Rules, rule: Decision) -> None:
        # A copy with an ETag is kept after it goes stale, to be revalidated; one without
        # is useless then, and the store drops it.
        expires = FOREVER if rules.etag else date + rule.fresh_s + rule.stale_while_revalidate_s
        store.insert(key, (version, expires, date), now)

    def _to_browser(self, key: int, client: int, version: int, date: float, now: float,
                    b_tag: int | None, rules: Rules) -> None:
        """The response reaches the browser: a 304 if its ETag still names ``version``;
        it stores the response (dated ``date``) if it may."""
        if b_tag is not None and b_tag == version:
            self.ctx.recorder.window.not_modified += 1
        if self.browsers is not None and rules.browser.stored and key < self.ctx.db.keys:
            self._store(self.browsers.instance(client), key, version, date, now, rules,
                        rules.browser)

    def _refresh(self, store: Store, key: int, served: int, now: float, rules: Rules,
                 rule: Decision) -> None:
        """stale-while-revalidate: the copy just served (version ``served``) is revalidated
        in the background against the committed version (a 304 when it is unchanged)."""
        w = self.ctx.recorder.window
        w.edge_refreshes += 1
        current = self.ctx.db.committed[key]
        if rules.etag and served == current:
            w.origin_not_modified += 1
            w.origin_bytes_saved += rules.body_bytes
        else:
            w.origin_bytes += rules.body_bytes
        self._store(store, key, current, now, now, rules, rule)

    # -- the origin answers -----------------------------------------------------------
    def answered(self, key: int, t0: float, version: int, now: float) -> None:
        """The application answered the read of ``key`` that arrived at ``t0`` with
        ``version`` at ``now``: a 304 where the cache's ETag names it, and the caches on
        the way back store the response."""
        pending = self._pending.pop((key, t0), None)
        if pending is None:
            return
        client, b_tag, c_tag = pending
        rules = self.rules[self.klass[key]]
        w = self.ctx.recorder.window
        if c_tag is not None and c_tag == version:
            w.origin_not_modified += 1
            w.origin_bytes_saved += rules.body_bytes
        else:
            w.origin_bytes += rules.body_bytes
        if key >= self.ctx.db.keys:  # a 404: stored nowhere
            return
        if self.cdn is not None and rules.cdn.stored:
            self._store(self.cdn.instance(client % self.pops), key, version, now, now, rules,
                        rules.cdn)
        self._to_browser(key, client, version, now, now, b_tag, rules)

    def failed(self, key: int, t0: float) -> None:
        """The read of ``key`` that arrived at ``t0`` got no answer (a timeout)."""
        self._pending.pop((key, t0), None)

    # -- purges -----------------------------------------------------------------------
    def written(self, key: int) -> int:
        """A write of ``key`` reached the caches: purge it from every PoP if its class
        asks for that (``purge_on_write``); returns the copies removed."""
        if self.cdn is None or not self.rules[self.klass[key]].purge_on_write:
            return 0
        return self._purge({key}, None)

    def purge_tag(self, tag: str) -> int:
        """Remove from every PoP each object tagged ``tag`` (a surrogate key)."""
        return self._purge_matching(tag, lambda rules: rules.tags)

    def purge_url(self, url: str) -> int:
        """Remove from every PoP the object at ``url`` (its class's ``path``)."""
        return self._purge_matching(url, lambda rules: (rules.path,))

    def _purge_matching(self, name: str, templates: Any) -> int:
        keys: set[int] = set()
        whole: set[int] = set()
        for cls, rules in enumerate(self.rules):
            for template in templates(rules):
                found = match(template, name)
                if found is True:
                    whole.add(cls)
                elif found is not None and found < len(self.klass) \
                        and self.klass[found] == cls:
                    keys.add(found)
        return self._purge(keys, whole)

    def _purge(self, keys: set[int], classes: set[int] | None) -> int:
        if self.cdn is None:
            return 0
        removed = 0
        for store in self.cdn.stores:
            doomed = [k for k in keys if k in store]
            if classes:
                klass = self.klass
                doomed += [k for k in store if klass[k] in classes and k not in keys]
            for k in doomed:
                store.delete(k)
            removed += len(doomed)
        self.ctx.recorder.window.purged += removed
        return removed
