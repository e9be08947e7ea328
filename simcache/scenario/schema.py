"""Scenario: the frozen, validated description of one simulation run.

A scenario is plain data. It loads from a dict, a TOML or a JSON file and goes back to
each; every value is checked on the way in, and a bad one raises a single
:class:`~simcache.errors.ScenarioError` naming the field, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScenarioError, did_you_mean
from ..model.policies import POLICIES

POPULARITIES = ("zipf", "uniform", "hotspot")
SERVICES = ("exponential", "constant")
READ_STRATEGIES = ("cache-aside",)
WRITE_STRATEGIES = ("invalidate",)
MAX_ROWS = 100_000  # time-series rows a run may produce
_TIER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Spec:
    """How one field is checked: its type, bounds or choices, and whether None is allowed."""

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] | None = None
    optional: bool = False
    help: str = ""

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            if self.optional:
                return None
            raise ScenarioError(name, value, f"required: {self.describe()}")
        if self.kind is str:
            if not isinstance(value, str):
                raise ScenarioError(name, value, f"must be a string: {self.describe()}")
            if self.choices is not None and value not in self.choices:
                hint = did_you_mean(value, self.choices).rstrip()
                more = f" ({hint})" if hint else ""
                raise ScenarioError(name, value, f"must be one of {', '.join(self.choices)}{more}")
            return value
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise ScenarioError(name, value, f"must be a number: {self.describe()}")
        if self.kind is int:
            if not isinstance(value, numbers.Integral) and not float(value).is_integer():
                raise ScenarioError(name, value, f"must be a whole number: {self.describe()}")
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ScenarioError(name, value, f"must be finite: {self.describe()}")
        too_low = self.low is not None and (
            value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            raise ScenarioError(name, value, f"must be {self.describe()}")
        return value

    def describe(self) -> str:
        if self.choices is not None:
            text = "one of " + ", ".join(self.choices)
        elif self.kind is str:
            text = "a string"
        else:
            noun = "a whole number" if self.kind is int else "a number"
            parts = []
            if self.low is not None:
                parts.append(f"{'>' if self.low_open else '>='} {_num(self.low)}")
            if self.high is not None:
                parts.append(f"<= {_num(self.high)}")
            text = noun + (" " + " and ".join(parts) if parts else "")
        return text + (" (or omitted)" if self.optional else "")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def spec(default: Any, kind: type, **kwargs: Any) -> Any:
    """A dataclass field whose value is validated against :class:`Spec`."""
    return field(default=default, metadata={"spec": Spec(kind, **kwargs)})


class _Section:
    """Shared checking and conversion for the scenario's sections."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            rule = f.metadata.get("spec")
            if rule is not None:
                object.__setattr__(self, f.name, rule.check(f.name, getattr(self, f.name)))
        self._check()

    def _check(self) -> None:
        """Cross-field rules; subclasses override."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Any:
        return cls(**_known(cls, data or {}))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def _known(cls: type, data: Any) -> dict[str, Any]:
    """``data`` as keyword arguments of ``cls``; an unknown name is an error."""
    if not isinstance(data, Mapping):
        raise ScenarioError("", data, "must be a table of fields")
    names = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in names:
            more = did_you_mean(key, names)
            raise ScenarioError(str(key), data[key],
                                f"unknown field; {more}allowed: {', '.join(names)}")
    return dict(data)


@dataclass(frozen=True)
class Workload(_Section):
    """Who asks for what: key popularity, arrival rate, length and read/write mix."""

    keys: int = spec(10_000, int, low=1, high=10**8, help="distinct keys in the key space")
    popularity: str = spec("zipf", str, choices=POPULARITIES, help="how requests spread over keys")
    zipf_alpha: float = spec(1.0, float, low=0, high=5, help="Zipf skew; 0 is uniform")
    hot_key_fraction: float = spec(0.2, float, low=0, low_open=True, high=1,
                                   help="hotspot: share of keys that are hot")
    hot_traffic_fraction: float = spec(0.8, float, low=0, high=1,
                                       help="hotspot: share of requests that go to hot keys")
    rate_rps: float = spec(1000.0, float, low=0, low_open=True, high=1e9,
                           help="mean request rate (Poisson arrivals)")
    requests: int | None = spec(50_000, int, low=1, high=10**10, optional=True,
                                help="requests to simulate, warm-up included")
    duration_s: float | None = spec(None, float, low=0, low_open=True, optional=True,
                                    help="simulate this long instead of a request count")
    warmup_requests: int = spec(10_000, int, low=0, help="first requests, left out of all metrics")
    write_ratio: float = spec(0.0, float, low=0, high=1, help="share of requests that are writes")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Workload:
        # A file that gives only duration_s means "run this long", not "and also the
        # default request count", which would be a contradiction the reader never wrote.
        if (isinstance(data, Mapping) and data.get("duration_s") is not None
                and "requests" not in data):
            data = {**data, "requests": None}
        return super().from_dict(data)

    def _check(self) -> None:
        if self.requests is None and self.duration_s is None:
            raise ScenarioError("requests", None, "set requests or duration_s")
        if self.requests is not None and self.duration_s is not None:
            raise ScenarioError("duration_s", self.duration_s,
                                "set either requests or duration_s, not both")
        if self.requests is not None and self.warmup_requests >= self.requests:
            raise ScenarioError("warmup_requests", self.warmup_requests,
                                f"must be less than requests ({self.requests})")


@dataclass(frozen=True)
class Tier(_Section):
    """One cache tier: how many entries, how it evicts, how long entries live, how far it is."""

    name: str = spec("cache", str, help="short name used in summary keys")
    capacity: int = spec(1000, int, low=0, high=10**9, help="entries the tier holds")
    eviction: str = spec("lru", str, choices=tuple(POLICIES), help="eviction policy")
    ttl_s: float | None = spec(None, float, low=0, low_open=True, optional=True,
                               help="seconds an entry lives after insert; omitted = forever")
    ttl_jitter: float = spec(0.0, float, low=0, high=1,
                             help="each TTL is scaled by a uniform factor in 1 ± jitter")
    latency_ms: float = spec(0.5, float, low=0, high=60_000, help="round trip of one lookup")
    samples: int = spec(5, int, low=1, high=64, help="redis-lru: keys sampled per eviction")

    def _check(self) -> None:
        if not _TIER_NAME.match(self.name):
            raise ScenarioError("name", self.name,
                                "must start with a letter and use letters, digits, - or _ "
                                "(at most 32)")


@dataclass(frozen=True)
class Database(_Section):
    """The slow store behind the caches: a pool of connections, each serving one query."""

    latency_ms: float = spec(10.0, float, low=0, low_open=True, high=600_000,
                             help="mean time to serve one query")
    concurrency: int = spec(8, int, low=1, high=100_000, help="connections in the pool")
    service: str = spec("exponential", str, choices=SERVICES,
                        help="distribution of query service times")


@dataclass(frozen=True)
class Strategy(_Section):
    """How the application uses its caches on reads and writes."""

    read: str = spec("cache-aside", str, choices=READ_STRATEGIES, help="read path")
    write: str = spec("invalidate", str, choices=WRITE_STRATEGIES,
                      help="write path: update the database, then delete the key everywhere")


@dataclass(frozen=True)
class Metrics(_Section):
    """How results are reported over time."""

    interval_s: float | None = spec(None, float, low=0, low_open=True, optional=True,
                                    help="time-series bucket; omitted = 20 to 100 rows")


def default_tiers() -> tuple[Tier, ...]:
    return (
        Tier(name="local", capacity=200, eviction="lru", ttl_s=None, latency_ms=0.05),
        Tier(name="redis", capacity=2_000, eviction="redis-lru", ttl_s=None, latency_ms=0.5),
    )


_SECTIONS: dict[str, type[_Section]] = {
    "workload": Workload, "database": Database, "strategy": Strategy, "metrics": Metrics,
}


@dataclass(frozen=True)
class Scenario:
    """A whole run: seed, workload, cache tiers (nearest the client first), database."""

    seed: int = 42
    workload: Workload = field(default_factory=Workload)
    tiers: tuple[Tier, ...] = field(default_factory=default_tiers)
    database: Database = field(default_factory=Database)
    strategy: Strategy = field(default_factory=Strategy)
    metrics: Metrics = field(default_factory=Metrics)

    def __post_init__(self) -> None:
        object.__setattr__(self, "seed", Spec(int, low=0, high=2**63 - 1).check("seed", self.seed))
        if isinstance(self.tiers, list):
            object.__setattr__(self, "tiers", tuple(self.tiers))
        if not isinstance(self.tiers, tuple):
            raise ScenarioError("tiers", self.tiers, "must be a list of tiers ([] = no cache)")
        seen: set[str] = set()
        for i, tier in enumerate(self.tiers):
            if not isinstance(tier, Tier):
                raise ScenarioError(f"tiers.{i}", tier, "must be a Tier")
            if tier.name in seen:
                raise ScenarioError(f"tiers.{i}.name", tier.name, "tier names must be unique")
            seen.add(tier.name)
        for name, cls in _SECTIONS.items():
            if not isinstance(getattr(self, name), cls):
                raise ScenarioError(name, getattr(self, name), f"must be a {cls.__name__}")
        w, interval = self.workload, self.metrics.interval_s
        span_s = w.duration_s if w.duration_s is not None else w.requests / w.rate_rps
        if interval is not None and span_s / interval > MAX_ROWS:
            raise ScenarioError("metrics.interval_s", interval,
                                f"must be at least {span_s / MAX_ROWS:.3g} s for this run of "
                                f"about {span_s:.3g} s (at most {MAX_ROWS:,} time-series rows)")

    # -- conversion ---------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build and validate a scenario from plain data; missing fields take defaults."""
        if not isinstance(data, Mapping):
            raise ScenarioError("scenario", data, "must be a table of fields")
        top = _known(cls, data)
        kwargs: dict[str, Any] = {}
        if "seed" in top:
            kwargs["seed"] = top["seed"]
        for name, section in _SECTIONS.items():
            if name in top:
                try:
                    kwargs[name] = section.from_dict(top[name])
                except ScenarioError as err:
                    raise err.under(name) from None
        if "tiers" in top:
            raw = top["tiers"]
            if not isinstance(raw, list | tuple):
                raise ScenarioError("tiers", raw, "must be a list of tiers ([] = no cache)")
            tiers = []
            for i, item in enumerate(raw):
                try:
                    tiers.append(Tier.from_dict(item))
                except ScenarioError as err:
                    raise err.under(f"tiers.{i}") from None
            kwargs["tiers"] = tuple(tiers)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dicts, lists, numbers, strings, None) that ``from_dict`` reads back."""
        out: dict[str, Any] = {"seed": self.seed}
        for name in _SECTIONS:
            out[name] = getattr(self, name).to_dict()
        out["tiers"] = [tier.to_dict() for tier in self.tiers]
        return out

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
                           f"{'' if t.ttl_s is None else f' ttl {t.ttl_s:g}s'}]"
                           for t in self.tiers) or "no cache"
        length = f"{w.requests:,} requests" if w.requests else f"{w.duration_s:g} s"
        return (f"{length} at {w.rate_rps:g}/s over {w.keys:,} keys, {pop}, "
                f"{w.write_ratio:.0%} writes; {tiers} → DB {self.database.latency_ms:g} ms "
                f"× {self.database.concurrency}")


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


def field_spec(path: str) -> Spec:
    """The validation rule of the field at a dotted path (widgets use it for ranges)."""
    parts = path.split(".")
    if parts[0] == "tiers":
        cls: type = Tier
        parts = parts[2:]
    elif parts[0] in _SECTIONS:
        cls = _SECTIONS[parts[0]]
        parts = parts[1:]
    else:
        raise ScenarioError(path, path, "does not name a section field")
    for f in dataclasses.fields(cls):
        if parts and f.name == parts[0] and "spec" in f.metadata:
            return f.metadata["spec"]
    raise ScenarioError(path, path, "does not name a field")
