"""Cache tiers at run time: their stores (one per scope), expiry rules and the chains walked.

A tier is shared by every app server (``scope = "shared"``, a Redis) or has one instance
per app server (``"per-server"``, an in-process cache). Each app server walks a
:class:`Chain`: its own instance of every tier, nearest first. The HTTP tiers in front of
the application, one browser cache per client (``"per-client"``) and CDN points of
presence (``"per-pop"``), are walked by :mod:`.edge` before a read reaches the chain.

An entry is a tuple ``(version, expires_at, loaded_at)``: the value's version, when it
expires on the simulation clock, and when that value was read from the database. A fill
from a lower tier keeps ``loaded_at`` (like HTTP's Date header), so remaining TTL,
refresh-ahead, early recomputation and HTTP freshness follow from the entry alone.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable, Sequence
from typing import Any

from ..rng import UniformBuffer, stream
from .policies import FOREVER, Store, make_store

Entry = tuple[int, float, float]
HASH_SLOTS = 16_384  # Redis Cluster's key space is cut into this many slots
VERSION, EXPIRES, LOADED = 0, 1, 2


def expiry_rule(ttl_s: float | None, jitter: float, uniform: Callable[[], float],
                keep_s: float = 0.0) -> Callable[[float], float] | None:
    """When the store drops an entry stored at ``now``: ``now + ttl × (1 ± jitter)``, plus
    ``keep_s`` when protections keep expired entries a while; None: never."""
    if ttl_s is None:
        return None
    if not jitter:
        return lambda now: now + ttl_s + keep_s
    return lambda now: now + ttl_s * (1.0 + jitter * (2.0 * uniform() - 1.0)) + keep_s


def cluster_node(key: int, nodes: int) -> int:
    """The node that holds key ``key`` in a cluster of ``nodes``, as Redis Cluster places
    it: CRC16 (XMODEM, ``binascii.crc_hqx``) of the key name ``key:<id>`` modulo 16,384
    picks a hash slot, and the nodes own equal ranges of slots."""
    return binascii.crc_hqx(b"key:%d" % key, 0) % HASH_SLOTS * nodes // HASH_SLOTS


class Nodes:
    """The nodes of a shared tier: each key hashes to one, and each serves at most
    ``node_ops_per_s`` lookups a second, first come, first served.

    Keys are placed as Redis Cluster places them: the key name (``key:<id>``) hashes to
    one of 16,384 slots by CRC16 (the XMODEM variant, ``binascii.crc_hqx``), and the
    nodes own equal ranges of slots (Redis Cluster specification, "Key distribution
    model").

    Requests reach a node in time order, so its queue needs no event: a lookup starts at
    ``max(t, busy_until)`` and holds the node for 1/ops seconds. The ``hot_keys`` most
    popular keys are spread over ``spread`` consecutive nodes (replicas, or the shards of
    a split key), each lookup picking one at random. Only lookups (GETs) queue; the sets
    and deletes that follow misses and writes are left out (a cache is read far more).
    A hit's latency includes its wait at the node; a miss goes on to the database at once,
    its wait left out (few reads miss where a node is hot).
    """

    def __init__(self, spec: Any, seed: int, space: int):
        self.count = spec.nodes
        self.service_s = 1.0 / spec.node_ops_per_s if spec.node_ops_per_s else 0.0
        self.rtt_ms = spec.latency_ms
        self.space = space  # store keys are ids plus a multiple of this (namespaces)
        self.hot = spec.hot_keys
        self.spread = max(spec.hot_key_replicas, spec.hot_key_split)
        self.uniform = UniformBuffer(stream(seed, f"nodes:{spec.name}"))
        self._home: dict[int, int] = {}  # key id -> the node its hash slot belongs to
        self.busy_until = [0.0] * self.count
        self.ops = [0] * self.count
        self.ops_at_start = [0] * self.count
        #: Per node, a histogram of lookup latencies (given by the engine when measuring
        #: starts, anything with ``add`` and ``quantile``); None before.
        self.latency: list[Any] | None = None
        self.last_wait_ms = 0.0  # of the latest lookup

    def node_of(self, key: int) -> int:
        """The node a lookup of store key ``key`` goes to."""
        key %= self.space
        node = self._home.get(key)
        if node is None:
            node = self._home[key] = cluster_node(key, self.count)
        if key < self.hot and self.spread > 1:
            node = (node + int(self.uniform() * self.spread)) % self.count
        return node

    def lookup(self, key: int, t: float) -> None:
        """Queue a lookup of ``key`` arriving at ``t`` at its node (``last_wait_ms``)."""
        node = self.node_of(key)
        self.ops[node] += 1
        busy = self.busy_until[node]
        start = busy if busy > t else t
        self.busy_until[node] = start + self.service_s
        self.last_wait_ms = wait_ms = (start - t) * 1000.0
        if self.latency is not None:
            self.latency[node].add(self.rtt_ms + wait_ms)

    def timed(self, get: Callable[[int, float], Any]) -> Callable[[int, float], Any]:
        """``get`` with each lookup queued at its node first."""
        lookup = self.lookup

        def timed_get(key: int, now: float) -> Any:
            lookup(key, now)
            return get(key, now)
        return timed_get

    def start(self, histograms: list[Any]) -> None:
        """Measuring starts: per-node figures count from here, latencies in ``histograms``."""
        self.latency = histograms
        self.ops_at_start = list(self.ops)

    def rows(self, tier: str, span_s: float) -> list[dict[str, Any]]:
        """One row per node: lookups per second, utilisation, p99 lookup latency."""
        out = []
        for node in range(self.count):
            ops_per_s = (self.ops[node] - self.ops_at_start[node]) / span_s if span_s else 0.0
            out.append({"tier": tier, "node": node, "ops_per_s": ops_per_s,
                        "utilization": ops_per_s * self.service_s if self.service_s
                        else math.nan,
                        "latency_p99_ms": (self.latency[node].quantile(0.99)
                                           if self.latency is not None else math.nan)})
        return out


class Tier:
    """One tier of the scenario at run time: its store instances and how entries expire."""

    def __init__(self, spec: Any, index: int, servers: int, seed: int,
                 keep_expired_s: float = 0.0, space: int = 0):
        self.spec = spec
        self.index = index
        self.name: str = spec.name
        self.scope: str = spec.scope
        self.latency_ms: float = spec.latency_ms
        self.inherit_ttl: bool = spec.inherit_ttl
        self._seed = seed
        # Edge tiers (a browser per client, a CDN PoP) make their instances when first
        # used: most of a large crowd of clients never comes back.
        instances = {"per-server": servers, "per-client": 0, "per-pop": 0}.get(spec.scope, 1)
        self.stores: list[Store] = [self._make(i) for i in range(instances)]
        self._instances: dict[int, Store] = {}
        # Several nodes, or a throughput limit: lookups queue at nodes (None: they do not).
        self.nodes = (Nodes(spec, seed, space or 1) if getattr(spec, "nodes", 1) > 1
                      or getattr(spec, "node_ops_per_s", None) else None)
        self.expiry = expiry_rule(spec.ttl_s, spec.ttl_jitter,
                                  UniformBuffer(stream(seed, f"ttl-jitter:{spec.name}")),
                                  keep_expired_s)

    def _make(self, i: int) -> Store:
        # Instance 0 draws from the stream a shared tier would use.
        spec = self.spec
        return make_store(spec.eviction, spec.capacity,
                          stream(self._seed, f"tier:{spec.name}" + (f":{i}" if i else "")),
                          samples=spec.samples, clock_ms=spec.lru_clock_ms)

    def store_for(self, server: int) -> Store:
        return self.stores[server if len(self.stores) > 1 else 0]

    def instance(self, i: int) -> Store:
        """Instance ``i`` of an edge tier (client ``i``'s browser cache, PoP ``i``)."""
        store = self._instances.get(i)
        if store is None:
            store = self._instances[i] = self._make(i)
            self.stores.append(store)
        return store

    @property
    def evictions(self) -> int:
        return sum(s.evictions for s in self.stores)

    @property
    def expirations(self) -> int:
        return sum(s.expirations for s in self.stores)

    @property
    def entries(self) -> int:
        return sum(len(s) for s in self.stores)

    def not_found_entries(self, existing: int, space: int) -> int:
        """Entries that remember a key does not exist (ids from ``existing`` on)."""
        return sum(1 for s in self.stores for key in s if key % space >= existing)

    def orphans(self, offset: int) -> int:
        """Entries left under an older namespace (keys below ``offset``): never read again."""
        if not offset:
            return 0
        return sum(1 for s in self.stores for key in s if key < offset)

    def flush(self) -> int:
        """Empty every instance (a restart, a wipe); returns how many entries were dropped."""
        return sum(s.clear() for s in self.stores)


class Namespace:
    """The prefix every cache key carries, as a number added to the key's id.

    Versioned keys (``product:v7:42``) invalidate everything at once by moving to a new
    version: the old entries are never looked up again (orphans) but keep their memory
    until the eviction policy removes them. Here a bump adds the key-space size to
    ``offset``, so new store keys never meet old ones.
    """

    __slots__ = ("offset",)

    def __init__(self) -> None:
        self.offset = 0


class Chain:
    """The tier instances one app server walks, nearest first. Its methods take a key's
    id and add the namespace offset themselves."""

    def __init__(self, tiers: Sequence[Tier], server: int, namespace: Namespace):
        self.tiers = list(tiers)
        self.server = server
        self.namespace = namespace
        self.stores: list[Store] = [t.store_for(server) for t in tiers]
        #: Each tier's lookup: the store's get, queued at a node first where tiers have nodes.
        self.gets = [s.get if t.nodes is None else t.nodes.timed(s.get)
                     for t, s in zip(self.tiers, self.stores, strict=True)]
        fills = [(store.insert, tier.expiry, tier.inherit_ttl)
                 for tier, store in zip(self.tiers, self.stores, strict=True)]
        self._fills_upto = [fills[:n] for n in range(len(fills) + 1)]  # the nearest n
        # Without TTLs every tier stores the same entry: one tuple, no expiry to work out.
        inserts = [f[0] for f in fills]
        self._timeless_upto = ([inserts[:n] for n in range(len(inserts) + 1)]
                               if all(t.expiry is None for t in self.tiers) else None)

    @property
    def timeless_upto(self) -> list[list[Any]] | None:
        """Without TTLs: the inserts of the nearest n tiers, indexed by n (each takes
        ``(store_key, entry, now)``, the key with the namespace offset added); else None."""
        return self._timeless_upto

    def fill(self, key: int, version: int, loaded_at: float, now: float,
             levels: int | None = None, below_expires: float = FOREVER) -> None:
        """Store a value in the first ``levels`` tiers (all by default); ``below_expires`` is
        the expiry of the copy it came from, kept by tiers that inherit TTLs."""
        key += self.namespace.offset
        if self._timeless_upto is not None:
            entry = (version, FOREVER, loaded_at)
            for insert in self._timeless_upto[-1 if levels is None else levels]:
                insert(key, entry, now)
            return
        fills = self._fills_upto[-1 if levels is None else levels]
        for insert, expiry, inherit in fills:
            expires = FOREVER if expiry is None else expiry(now)
            if inherit and below_expires < expires:
                expires = below_expires
            insert(key, (version, expires, loaded_at), now)

    def fill_until(self, key: int, version: int, loaded_at: float, now: float,
                   expires: float) -> None:
        """Store an entry that expires at ``expires`` in every tier, whatever their TTLs
        (a negative cache's "not found", with its own TTL)."""
        entry = (version, expires, loaded_at)
        key += self.namespace.offset
        for store in self.stores:
            store.insert(key, entry, now)

    def peek(self, key: int) -> Entry | None:
        """The nearest entry of ``key``, expired or not, without counting an access."""
        key += self.namespace.offset
        for store in self.stores:
            entry = store.peek(key)
            if entry is not None:
                return entry
        return None

    def copy_up(self, key: int, entry: Entry, levels: int, now: float) -> None:
        """A hit in tier ``levels`` copies its entry into the nearer tiers: the copy keeps
        the load time, and the remaining TTL in tiers that inherit it."""
        if self._timeless_upto is not None:  # the very same entry fits every tier
            key += self.namespace.offset
            for insert in self._timeless_upto[levels]:
                insert(key, entry, now)
            return
        self.fill(key, entry[VERSION], entry[LOADED], now, levels, entry[EXPIRES])

    def delete(self, key: int) -> None:
        """Remove ``key`` from every tier of this chain."""
        key += self.namespace.offset
        for store in self.stores:
            store.delete(key)


def build(specs: Sequence[Any], servers: int, seed: int, namespace: Namespace | None = None,
          keep_expired_s: float = 0.0, space: int = 0) -> tuple[list[Tier], list[Chain]]:
    """The tiers of a scenario and one chain per app server; entries stay in a store
    ``keep_expired_s`` past their TTL (for protections that serve expired values);
    ``space`` is the number of key ids (a namespace bump adds it to store keys)."""
    tiers = [Tier(spec, i, servers, seed, keep_expired_s, space)
             for i, spec in enumerate(specs)]
    namespace = namespace if namespace is not None else Namespace()
    return tiers, [Chain(tiers, s, namespace) for s in range(servers)]
