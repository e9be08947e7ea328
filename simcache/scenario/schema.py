"""Scenario: the frozen, validated description of one simulation run.

A scenario is plain data. It loads from a dict, a TOML or a JSON file and goes back to
each; every value is checked on the way in (pydantic models, see :mod:`simcache.fields`), and a
bad one raises a single :class:`~simcache.errors.ScenarioError` naming the field, the
value and what is allowed. ``Scenario.json_schema()`` describes every field for editors.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from ..errors import ScenarioError, did_you_mean
from ..faults import FAULTS, FaultOptions
from ..fields import ByKind, FieldRule, OneOf, Section, items_checked
from ..model.policies import POLICIES
from ..protections import PROTECTIONS, ProtectionOptions
from ..strategies import READ_STRATEGIES, WRITE_STRATEGIES

MAX_ROWS = 100_000  # time-series rows a run may produce
_TIER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")


EDGE_SCOPES = ("per-client", "per-pop")


class Content(Section):
    """A content class: a share of the objects, served with one set of HTTP headers."""

    name: str = Field("page", pattern=_TIER_NAME.pattern,
                      description="short name (in URLs: /<name>/<id>)")
    share: float = Field(1.0, gt=0, le=1, description="fraction of the key ids in this class "
                                                      "(spread evenly over popularity)")
    cache_control: str = Field("", max_length=500,
                               description="the Cache-Control header its responses carry")
    etag: bool = Field(True, description="responses carry an ETag per version, so a stale "
                                         "copy is revalidated (If-None-Match → 304)")
    tags: tuple[str, ...] = Field((), description="surrogate keys each object carries, "
                                                  "\"{key}\" standing for its id "
                                                  "(\"product-{key}\", \"products\")")
    path: str | None = Field(None, max_length=200,
                             description="URL of an object, \"{key}\" standing for its id; "
                                         "omitted = /<name>/{key}")
    body_bytes: int | None = Field(None, ge=0, le=10**9,
                                   description="response body size; omitted = "
                                               "workload.value_bytes")
    purge_on_write: bool = Field(False, description="a write of an object purges it from "
                                                    "every CDN PoP")
    writable: bool = Field(True, description="writes fall on this class's objects too; "
                                             "false: a write drawn for one is a read instead "
                                             "(hashed assets change only with a deploy)")
    versioned_url: bool = Field(False, description="each version gets a new URL (a hashed "
                                                   "file name), so no cache ever holds an "
                                                   "old version under the current URL")

    @classmethod
    def check_field(cls, name: str, value: Any) -> Any:
        if name != "tags":
            return super().check_field(name, value)
        if not isinstance(value, list | tuple) or not all(
                isinstance(t, str) and t.strip() for t in value):
            raise ScenarioError(name, value, "must be a list of non-empty strings")
        return tuple(value)


class Workload(Section):
    """Who asks for what: key popularity, arrival rate, length and read/write mix."""

    nested: ClassVar[tuple[str, ...]] = ("content",)

    keys: int = Field(10_000, ge=1, le=10**8, description="distinct keys in the key space")
    popularity: Literal["zipf", "uniform", "hotspot"] = Field(
        "zipf", description="how requests spread over keys")
    zipf_alpha: float = Field(1.0, ge=0, le=5, description="Zipf skew; 0 is uniform")
    hot_key_fraction: float = Field(0.2, gt=0, le=1,
                                    description="hotspot: share of keys that are hot")
    hot_traffic_fraction: float = Field(
        0.8, ge=0, le=1, description="hotspot: share of requests that go to hot keys")
    rate_rps: float = Field(1000.0, gt=0, le=1e9,
                            description="mean request rate (Poisson arrivals)")
    requests: int | None = Field(50_000, ge=1, le=10**10,
                                 description="requests to simulate, warm-up included")
    duration_s: float | None = Field(None, gt=0,
                                     description="simulate this long instead of a request count")
    warmup_requests: int = Field(10_000, ge=0,
                                 description="first requests, left out of all metrics")
    write_ratio: float = Field(0.0, ge=0, le=1, description="share of requests that are writes")
    app_servers: int = Field(1, ge=1, le=1_000,
                             description="application servers; each request goes to one at "
                                         "random, and per-server tiers have one instance each")
    missing_ratio: float = Field(0.0, ge=0, le=1,
                                 description="share of reads that ask for a key that does not "
                                             "exist (cache penetration)")
    missing_keys: int = Field(100_000, ge=1, le=10**7,
                              description="ids the missing reads are drawn from, uniformly")
    value_bytes: int = Field(100, ge=0, le=10**9,
                             description="size of one cached value, for used_memory")
    fanout: int = Field(1, ge=1, le=1_000,
                        description="lookups per read request (a page that needs several "
                                    "values), all at its arrival time")
    request_cache: bool = Field(False, description="a read request looks each of its keys "
                                                   "up once; repeats are answered in-process")
    clients: int = Field(100, ge=1, le=100_000,
                         description="distinct clients (browsers); each request comes from "
                                     "one at random; per-client tiers have one cache each")
    content: tuple[Content, ...] = Field(
        (), description="content classes and their HTTP headers, for browser and CDN tiers")

    @model_validator(mode="before")
    @classmethod
    def _duration_alone(cls, data: Any) -> Any:
        # A file that gives only duration_s means "run this long", not "and also the
        # default request count", which would be a contradiction the reader never wrote.
        if isinstance(data, Mapping) and data.get("duration_s") is not None \
                and "requests" not in data:
            data = {**data, "requests": None}
        return data

    @model_validator(mode="before")
    @classmethod
    def _content_list(cls, data: Any) -> Any:
        return items_checked(data, "content", "content classes")

    @model_validator(mode="after")
    def _whole_workload(self) -> Workload:
        names = [c.name for c in self.content]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ScenarioError(f"content.{i}.name", name, "content names must be unique")
        total = sum(c.share for c in self.content)
        if self.content and abs(total - 1.0) > 1e-6:
            raise ScenarioError("content", [c.share for c in self.content],
                                f"the shares must add up to 1 (they add up to {total:g})")
        if self.requests is None and self.duration_s is None:
            raise ScenarioError("requests", None, "set requests or duration_s")
        if self.requests is not None and self.duration_s is not None:
            raise ScenarioError("duration_s", self.duration_s,
                                "set either requests or duration_s, not both")
        if self.requests is not None and self.warmup_requests >= self.requests:
            raise ScenarioError("warmup_requests", self.warmup_requests,
                                f"must be less than requests ({self.requests})")
        return self


class Tier(Section):
    """One cache tier: how many entries, how it evicts, how long entries live, how far it is."""

    name: str = Field("cache", pattern=_TIER_NAME.pattern,
                      description="short name used in summary keys")
    capacity: int = Field(1000, ge=0, le=10**9, description="entries the tier holds")
    eviction: Annotated[str, OneOf(POLICIES)] = Field("lru", description="eviction policy")
    ttl_s: float | None = Field(
        None, gt=0, description="seconds an entry lives after insert; omitted = forever")
    ttl_jitter: float = Field(0.0, ge=0, le=1,
                              description="each TTL is scaled by a uniform factor in 1 ± jitter")
    latency_ms: float = Field(0.5, ge=0, le=60_000, description="round trip of one lookup")
    samples: int = Field(5, ge=1, le=64, description="redis-lru: keys sampled per eviction")
    lru_clock_ms: float = Field(
        1000.0, ge=0, le=3_600_000,
        description="redis-lru: tick of the LRU clock that stamps each access "
                    "(Redis: 1000); 0 = exact recency")
    scope: Literal["shared", "per-server", "per-client", "per-pop"] = Field(
        "shared", description="one instance for all app servers, one per app server, one "
                              "browser cache per client, or one per CDN point of presence")
    pops: int = Field(1, ge=1, le=1_000, description="per-pop: CDN points of presence; "
                                                     "client c is served by PoP c mod pops")
    origin_latency_ms: float = Field(
        0.0, ge=0, le=60_000, description="edge tier: round trip from it on to the "
                                          "application when it must ask (the last edge "
                                          "tier's counts)")
    inherit_ttl: bool = Field(
        False, description="a fill from a lower tier keeps that copy's remaining TTL "
                           "(if shorter) instead of starting its own")
    entry_overhead_bytes: int = Field(
        90, ge=0, le=10**6, description="memory per entry besides its value (key, headers, "
                                        "hash-table slot), for used_memory")
    nodes: int = Field(1, ge=1, le=1024,
                       description="shared tier: nodes the keys hash to (a cluster)")
    node_ops_per_s: float | None = Field(
        None, gt=0, description="lookups one node serves per second; omitted = no limit")
    hot_keys: int = Field(0, ge=0, description="how many of the most popular keys are "
                                               "replicated or split")
    hot_key_replicas: int = Field(1, ge=1, le=1024,
                                  description="nodes holding each hot key; reads pick one")
    hot_key_split: int = Field(1, ge=1, le=1024,
                               description="shard keys each hot key is split into, on "
                                           "consecutive nodes; reads pick one")

    @model_validator(mode="after")
    def _nodes(self) -> Tier:
        edge = self.scope in EDGE_SCOPES
        if self.pops > 1 and self.scope != "per-pop":
            raise ScenarioError("pops", self.pops, "points of presence belong to a CDN tier "
                                                   "(scope = \"per-pop\")")
        if edge and self.ttl_s is not None:
            raise ScenarioError("ttl_s", self.ttl_s,
                                "must be omitted on a browser or CDN tier: its freshness "
                                "comes from each content class's Cache-Control")
        if edge and self.inherit_ttl:
            raise ScenarioError("inherit_ttl", True, "has no meaning on a browser or CDN "
                                                     "tier (HTTP keeps the response's date)")
        if not edge and self.origin_latency_ms:
            raise ScenarioError("origin_latency_ms", self.origin_latency_ms,
                                "belongs to a browser or CDN tier (scope \"per-client\" "
                                "or \"per-pop\")")
        if self.scope != "shared" and (self.nodes > 1 or self.node_ops_per_s is not None):
            raise ScenarioError("nodes", self.nodes, "nodes belong to a shared tier "
                                                     "(scope = \"shared\")")
        for name in ("hot_key_replicas", "hot_key_split"):
            if getattr(self, name) > self.nodes:
                raise ScenarioError(name, getattr(self, name),
                                    f"must be at most nodes ({self.nodes})")
        if self.hot_key_replicas > 1 and self.hot_key_split > 1:
            raise ScenarioError("hot_key_split", self.hot_key_split,
                                "replicate hot keys or split them, not both")
        return self

    @classmethod
    def check_field(cls, name: str, value: Any) -> Any:
        value = super().check_field(name, value)
        if name == "name" and not _TIER_NAME.match(value):
            raise ScenarioError("name", value, "must start with a letter and use letters, "
                                               "digits, - or _ (at most 32)")
        return value


class Database(Section):
    """The slow store behind the caches: a pool of connections, each serving one query."""

    latency_ms: float = Field(10.0, gt=0, le=600_000, description="mean time to serve one query")
    concurrency: int = Field(8, ge=1, le=100_000, description="connections in the pool")
    service: Literal["exponential", "constant"] = Field(
        "exponential", description="distribution of query service times")
    timeout_ms: float | None = Field(
        None, gt=0, description="a query that waits longer than this for a connection "
                                "fails; omitted = wait forever")


class Strategy(Section):
    """How the application uses its caches on reads and writes."""

    read: Annotated[str, OneOf(READ_STRATEGIES)] = Field(
        "cache-aside", description="what happens on a read that misses every tier")
    write: Annotated[str, OneOf(WRITE_STRATEGIES)] = Field(
        "invalidate", description="how a write reaches the database and the caches")
    refresh_fraction: float = Field(
        0.2, gt=0, le=1, description="refresh-ahead: reload a key read with less than this "
                                     "share of its TTL left")
    refresh_workers: int = Field(4, ge=1, le=10_000,
                                 description="refresh-ahead: background reloads at a time")
    flush_interval_s: float = Field(1.0, gt=0, le=86_400,
                                    description="write-behind: seconds between flushes")
    flush_batch: int = Field(100, ge=1, le=1_000_000,
                             description="write-behind: most keys one flush writes")


class Invalidation(Section):
    """How other copies of a written key learn about the write."""

    pubsub: bool = Field(False, description="publish each write; every other app server "
                                            "drops its per-server copies on receipt")
    pubsub_delay_ms: float = Field(1.0, ge=0, le=600_000,
                                   description="publish to delivery, per message")
    pubsub_loss: float = Field(0.0, ge=0, le=1,
                               description="probability that a subscriber misses a message")
    delete_delay_ms: float | None = Field(
        None, gt=0, le=600_000, description="delete the key a second time this long after "
                                            "the write (a delayed double delete)")
    set_check: Literal["none", "version"] = Field(
        "none", description="version: a fill never overwrites a newer version than it read "
                            "(compare-and-set, as a lease or a versioned SET does)")


class Metrics(Section):
    """How results are reported over time."""

    interval_s: float | None = Field(None, gt=0,
                                     description="time-series bucket; omitted = 20 to 100 rows")
    trace_keys: tuple[int, ...] = Field(
        (), description="keys whose every event is recorded in Result.trace (at most "
                        "10,000 events)")
    peak_window_s: float = Field(0.1, gt=0, le=3600,
                                 description="window over which peak_db_reads_per_s counts")

    @classmethod
    def check_field(cls, name: str, value: Any) -> Any:
        if name != "trace_keys":
            return super().check_field(name, value)
        if not isinstance(value, list | tuple) or any(
                isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in value):
            raise ScenarioError(name, value, "must be a list of key ids (whole numbers >= 0)")
        return tuple(value)


def default_tiers() -> tuple[Tier, ...]:
    return (
        Tier(name="local", capacity=200, eviction="lru", ttl_s=None, latency_ms=0.05),
        Tier(name="redis", capacity=2_000, eviction="redis-lru", ttl_s=None, latency_ms=0.5),
    )


_SCOPE_WORDS = {"shared": "", "per-server": " per server", "per-client": " per client",
                "per-pop": " at {} PoP(s)"}
_SECTIONS: dict[str, type[Section]] = {
    "workload": Workload, "database": Database, "strategy": Strategy,
    "invalidation": Invalidation, "metrics": Metrics,
}


class Scenario(Section):
    """A whole run: seed, workload, cache tiers (nearest the client first), database."""

    nested: ClassVar[tuple[str, ...]] = ("workload", "tiers", "database", "strategy",
                                          "invalidation", "metrics", "protections", "faults")

    seed: int = Field(42, ge=0, le=2**63 - 1, description="seed of every random stream")
    workload: Workload = Field(default_factory=Workload)
    tiers: tuple[Tier, ...] = Field(default_factory=lambda: default_tiers(),
                                    description="cache tiers, nearest the client first; "
                                                "[] = no cache")
    database: Database = Field(default_factory=Database)
    strategy: Strategy = Field(default_factory=Strategy)
    invalidation: Invalidation = Field(default_factory=Invalidation)
    metrics: Metrics = Field(default_factory=Metrics)
    protections: Annotated[tuple[ProtectionOptions, ...], ByKind(PROTECTIONS, "protections")] = \
        Field((), description="protections against stampedes, penetration and hot keys")
    faults: Annotated[tuple[FaultOptions, ...], ByKind(FAULTS, "faults")] = Field(
        (), description="scheduled events: flush a tier, slow the database down, ...")

    @model_validator(mode="before")
    @classmethod
    def _tier_list(cls, data: Any) -> Any:
        return items_checked(data, "tiers", "tiers ([] = no cache)")

    @model_validator(mode="after")
    def _whole_run(self) -> Scenario:
        seen: set[str] = set()
        for i, tier in enumerate(self.tiers):
            if tier.name in seen:
                raise ScenarioError(f"tiers.{i}.name", tier.name, "tier names must be unique")
            seen.add(tier.name)
        self._edge_first()
        for i, fault in enumerate(self.faults):
            tier = getattr(fault, "tier", None)
            if tier is not None and tier not in seen:
                raise ScenarioError(f"faults.{i}.tier", tier,
                                    f"must name a tier of this scenario: {', '.join(seen)}"
                                    if seen else "this scenario has no tiers")
        w, interval = self.workload, self.metrics.interval_s
        for key in self.metrics.trace_keys:
            if key >= w.keys:
                raise ScenarioError("metrics.trace_keys", key,
                                    f"must be a key id from 0 to {w.keys - 1}")
        span_s = w.duration_s if w.duration_s is not None else w.requests / w.rate_rps
        if interval is not None and span_s / interval > MAX_ROWS:
            raise ScenarioError("metrics.interval_s", interval,
                                f"must be at least {span_s / MAX_ROWS:.3g} s for this run of "
                                f"about {span_s:.3g} s (at most {MAX_ROWS:,} time-series rows)")
        return self

    def _edge_first(self) -> None:
        """Browser and CDN tiers come first (a browser before a CDN), one of each at most,
        and need content classes to know what they may store."""
        scopes = [t.scope for t in self.tiers]
        edge = [s for s in scopes if s in EDGE_SCOPES]
        for i, scope in enumerate(scopes):
            if scope in EDGE_SCOPES and (i >= len(edge) or scopes[:i].count(scope)):
                raise ScenarioError(f"tiers.{i}.scope", scope,
                                    "browser and CDN tiers come first, nearest the client: "
                                    "at most one per-client tier, then at most one per-pop")
        if edge == ["per-pop", "per-client"]:
            raise ScenarioError("tiers.1.scope", "per-client",
                                "the browser (per-client) comes before the CDN (per-pop)")
        if edge and not self.workload.content:
            raise ScenarioError("workload.content", [],
                                "browser and CDN tiers need content classes: "
                                "[{name, share, cache_control}, ...]")
        for i, fault in enumerate(self.faults):
            if fault.kind == "purge" and "per-pop" not in edge:
                raise ScenarioError(f"faults.{i}.kind", "purge",
                                    "purges a CDN: add a tier with scope = \"per-pop\"")
            tier = getattr(fault, "tier", None)
            if fault.kind == "warm" and tier is not None and any(
                    t.name == tier and t.scope in EDGE_SCOPES for t in self.tiers):
                raise ScenarioError(f"faults.{i}.tier", tier,
                                    "warm fills the application's tiers, not a browser "
                                    "or CDN")

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of scenario files (what ``simcache schema`` prints)."""
        schema = cls.model_json_schema()
        schema["title"] = "simcache scenario"
        return schema

    # -- conversion ---------------------------------------------------------------------
    @classmethod
    def from_toml(cls, text: str) -> Scenario:
        return cls.from_dict(_parse(text, "toml", tomllib.loads, tomllib.TOMLDecodeError))

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        return cls.from_dict(_parse(text, "json", json.loads, json.JSONDecodeError))

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a ``.toml`` or ``.json`` file."""
        path = Path(path)
        if path.suffix not in (".toml", ".json"):
            raise ScenarioError("config", str(path), "must be a .toml or .json file")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ScenarioError("config", str(path), f"cannot be read ({err.strerror})") from None
        return cls.from_toml(text) if path.suffix == ".toml" else cls.from_json(text)

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(_drop_none(self.to_dict()))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    # -- changing -----------------------------------------------------------------------
    def get(self, path: str) -> Any:
        """The value at a dotted path such as ``workload.zipf_alpha`` or ``tiers.0.capacity``."""
        node: Any = self.to_dict()
        for part in path.split("."):
            node = _step(node, part, path)
        return node

    def with_values(self, changes: Mapping[str, Any]) -> Scenario:
        """A copy with the dotted paths in ``changes`` set to new values (validated)."""
        data = self.to_dict()
        for path, value in changes.items():
            parts = path.split(".")
            node: Any = data
            for part in parts[:-1]:
                node = _step(node, part, path, value)
            last = parts[-1]
            if isinstance(node, list):
                node[_index(node, last, path, value)] = value
            elif isinstance(node, dict):
                if last not in node:
                    _unknown(node, last, path, value)
                node[last] = value
            else:
                raise ScenarioError(path, value, "does not name a field")
        # Setting one way of giving the run's length clears the other, unless both are set.
        for given, other in (("requests", "duration_s"), ("duration_s", "requests")):
            if (changes.get(f"workload.{given}") is not None
                    and f"workload.{other}" not in changes):
                data["workload"][other] = None
        return Scenario.from_dict(data)

    def describe(self) -> str:
        """One line a person can read: the shape of this run."""
        w = self.workload
        pop = {"zipf": f"Zipf({w.zipf_alpha:g})", "uniform": "uniform",
               "hotspot": f"hotspot({w.hot_key_fraction:.0%} keys get "
                          f"{w.hot_traffic_fraction:.0%})"}[w.popularity]
        tiers = " → ".join(f"{t.name}[{t.capacity} {t.eviction}"
                           f"{'' if t.ttl_s is None else f' ttl {t.ttl_s:g}s'}"
                           f"{_SCOPE_WORDS[t.scope].format(t.pops)}"
                           f"{f' on {t.nodes} nodes' if t.nodes > 1 else ''}"
                           f"{f' of {t.node_ops_per_s:g} ops/s' if t.node_ops_per_s else ''}]"
                           for t in self.tiers) or "no cache"
        length = f"{w.requests:,} requests" if w.requests else f"{w.duration_s:g} s"
        servers = f"; {w.app_servers} app servers" if w.app_servers > 1 else ""
        db = self.database
        timeout = f", timeout {db.timeout_ms:g} ms" if db.timeout_ms is not None else ""
        strategy = ("" if (self.strategy.read, self.strategy.write) == ("cache-aside", "invalidate")
                    else f"; {self.strategy.read} / {self.strategy.write}")
        inv = self.invalidation
        invalidation = ([f"pub/sub {inv.pubsub_delay_ms:g} ms"
                         + (f" losing {inv.pubsub_loss:.0%}" if inv.pubsub_loss else "")]
                        if inv.pubsub and w.app_servers > 1 else [])
        if inv.delete_delay_ms is not None:
            invalidation.append(f"second delete after {inv.delete_delay_ms:g} ms")
        if inv.set_check == "version":
            invalidation.append("version check on set")
        extras = (invalidation + [p.kind for p in self.protections]
                  + [f.describe() for f in self.faults])
        return (f"{length} at {w.rate_rps:g}/s over {w.keys:,} keys, {pop}, "
                f"{w.write_ratio:.0%} writes{servers}; {tiers} → DB {db.latency_ms:g} ms "
                f"× {db.concurrency}{timeout}{strategy}"
                + (f"; {', '.join(extras)}" if extras else ""))


def _parse(text: str, kind: str, loads: Any, error: type[Exception]) -> Any:
    try:
        return loads(text)
    except error as err:
        shown = text[:40] + "…" if len(text) > 40 else text
        raise ScenarioError(kind, shown, f"is not valid {kind.upper()} ({err})") from None


def _drop_none(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_none(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_drop_none(v) for v in node]
    return node


def _index(node: list, part: str, path: str, value: Any = None) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(path, part if value is None else value,
                            f"index {part} must be 0 to {len(node) - 1}"
                            if node else "there is no such element (the list is empty)")
    return int(part)


def _unknown(node: dict, part: str, path: str, value: Any = None) -> None:
    more = did_you_mean(part, node)
    raise ScenarioError(path, part if value is None else value,
                        f"unknown field {part!r}; {more}allowed: {', '.join(node)}")


def _step(node: Any, part: str, path: str, value: Any = None) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, path, value)]
    if isinstance(node, dict):
        if part not in node:
            _unknown(node, part, path, value)
        return node[part]
    raise ScenarioError(path, part if value is None else value, "does not name a field")


def field_rule(path: str) -> FieldRule:
    """The validation rule of the field at a dotted path (widgets use it for ranges)."""
    parts = path.split(".")
    if parts[0] == "tiers":
        cls: type[Section] = Tier
        parts = parts[2:]
    elif parts[0] in _SECTIONS:
        cls = _SECTIONS[parts[0]]
        parts = parts[1:]
    else:
        raise ScenarioError(path, path, "does not name a section field")
    if len(parts) == 1 and parts[0] in cls.model_fields:
        return cls.rule(parts[0])
    raise ScenarioError(path, path, "does not name a field")
