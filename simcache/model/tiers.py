"""Cache tiers at run time: their stores (one per scope), expiry rules and the chains walked.

A tier is shared by every app server (``scope = "shared"``, a Redis) or has one instance
per app server (``"per-server"``, an in-process cache). Each app server walks a
:class:`Chain`: its own instance of every tier, nearest first.

An entry is a tuple ``(version, expires_at, loaded_at)``: the value's version, when it
expires on the simulation clock, and when that value was read from the database. A fill
from a lower tier keeps ``loaded_at`` (like HTTP's Date header), so remaining TTL,
refresh-ahead, early recomputation and HTTP freshness follow from the entry alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..rng import UniformBuffer, stream
from .policies import FOREVER, Store, make_store

Entry = tuple[int, float, float]
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


class Tier:
    """One tier of the scenario at run time: its store instances and how entries expire."""

    def __init__(self, spec: Any, index: int, servers: int, seed: int,
                 keep_expired_s: float = 0.0):
        self.spec = spec
        self.index = index
        self.name: str = spec.name
        self.scope: str = spec.scope
        self.latency_ms: float = spec.latency_ms
        self.inherit_ttl: bool = spec.inherit_ttl
        instances = servers if spec.scope == "per-server" else 1
        # Server 0's instance draws from the stream a shared tier would use.
        self.stores: list[Store] = [
            make_store(spec.eviction, spec.capacity,
                       stream(seed, f"tier:{spec.name}" + (f":{i}" if i else "")),
                       samples=spec.samples, clock_ms=spec.lru_clock_ms)
            for i in range(instances)]
        self.expiry = expiry_rule(spec.ttl_s, spec.ttl_jitter,
                                  UniformBuffer(stream(seed, f"ttl-jitter:{spec.name}")),
                                  keep_expired_s)

    def store_for(self, server: int) -> Store:
        return self.stores[server if len(self.stores) > 1 else 0]

    @property
    def evictions(self) -> int:
        return sum(s.evictions for s in self.stores)

    @property
    def expirations(self) -> int:
        return sum(s.expirations for s in self.stores)

    @property
    def entries(self) -> int:
        return sum(len(s) for s in self.stores)

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
          keep_expired_s: float = 0.0) -> tuple[list[Tier], list[Chain]]:
    """The tiers of a scenario and one chain per app server; entries stay in a store
    ``keep_expired_s`` past their TTL (for protections that serve expired values)."""
    tiers = [Tier(spec, i, servers, seed, keep_expired_s) for i, spec in enumerate(specs)]
    namespace = namespace if namespace is not None else Namespace()
    return tiers, [Chain(tiers, s, namespace) for s in range(servers)]
