"""The hit ratio as the server counts it: a small cache-aside workload, read back from
``INFO`` (keyspace hits and misses, evictions, memory) and read-only ``CONFIG GET``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .cache_aside import cache_aside_load, zipf_keys
from .connection import Lab


@dataclass(frozen=True)
class InfoReport:
    """Hit ratio of a small cache-aside workload, counted by us and by the server's INFO."""

    requests: int
    client_hits: int
    info_hits: int | None           # keyspace_hits grew by this much (None: no INFO)
    info_misses: int | None
    evicted_keys: int | None        # evicted_keys grew by this much
    used_memory_human: str | None
    maxmemory: int | None
    maxmemory_policy: str | None
    note: str

    @property
    def client_hit_ratio(self) -> float:
        return self.client_hits / self.requests if self.requests else 0.0

    @property
    def info_hit_ratio(self) -> float | None:
        if self.info_hits is None or self.info_misses is None:
            return None
        total = self.info_hits + self.info_misses
        return self.info_hits / total if total else 0.0

    @property
    def hits(self) -> int:
        """Hits as the server counted them when it can, else as we counted them."""
        return self.info_hits if self.info_hits is not None else self.client_hits

    @property
    def misses(self) -> int:
        if self.info_misses is not None:
            return self.info_misses
        return self.requests - self.client_hits

    def table(self) -> pd.DataFrame:
        def val(x: Any) -> Any:
            return "n/a (no INFO)" if x is None else x
        rows = [
            ("requests", self.requests, "GET-then-SET-on-miss, one per key in the sequence"),
            ("hits counted by us", self.client_hits, "the script told us hit or miss"),
            ("keyspace_hits (INFO delta)", val(self.info_hits), "the server's own count"),
            ("keyspace_misses (INFO delta)", val(self.info_misses), ""),
            ("hit ratio, ours", round(self.client_hit_ratio, 4), ""),
            ("hit ratio, INFO", val(None if self.info_hit_ratio is None
                                    else round(self.info_hit_ratio, 4)),
             "hits / (hits + misses)"),
            ("evicted_keys (INFO delta)", val(self.evicted_keys), "keys removed by maxmemory"),
            ("used_memory_human", val(self.used_memory_human), ""),
            ("maxmemory", val(self.maxmemory), "0 means no limit: nothing is ever evicted"),
            ("maxmemory_policy", val(self.maxmemory_policy), ""),
        ]
        return pd.DataFrame(rows, columns=["measure", "value", "note"])


def _stats(lab: Lab) -> dict[str, Any] | None:
    info = lab.info("stats")
    return None if info is None else {k: int(info.get(k, 0)) for k in
                                      ("keyspace_hits", "keyspace_misses", "evicted_keys")}


def info_hit_ratio(lab: Lab, requests: int = 3000, keys: int = 1000,
                   zipf_alpha: float = 1.0, seed: int = 7, value_bytes: int = 100,
                   name: str = "info") -> InfoReport:
    """Run a small Zipf cache-aside workload and read the hit ratio back from INFO.

    INFO counters are server-wide, so the report uses the difference before/after; on a
    shared server other clients' reads land in the same counters (``CONFIG RESETSTAT``
    would clear them for everyone, so the course never runs it on your server). On a
    server with maxmemory and too little room free (:meth:`~simcache.redis_lab.Lab.room_for`)
    the workload is not run: the report then counts hits from the sequence itself (a
    cache that keeps every key) and its note says why.
    """
    sequence = zipf_keys(keys, requests, zipf_alpha, seed)
    distinct = len(set(sequence))
    footprint = distinct * (value_bytes + len(lab.key(name)) + 100)  # + Redis's overhead
    skipped = lab.room_for(footprint, "the INFO workload")
    if skipped:
        return InfoReport(len(sequence), len(sequence) - distinct, None, None, None, None,
                          None, None, skipped + " Hits below are counted from the sequence.")
    before = _stats(lab)
    hits = cache_aside_load(lab, sequence, value_bytes=value_bytes, name=name)
    after = _stats(lab)
    memory = lab.info("memory") or {}
    config = _config_get(lab, "maxmemory", "maxmemory-policy")
    lab.cleanup(f"{name}:*")
    if before is None or after is None:
        return InfoReport(len(sequence), hits, None, None, None, None, None, None,
                          lab.gap("info") or "")
    delta = {k: after[k] - before[k] for k in after}
    note = ("" if delta["keyspace_hits"] + delta["keyspace_misses"] == len(sequence) else
            "INFO counted reads by other clients of this server too: the counters are "
            "server-wide")
    return InfoReport(len(sequence), hits, delta["keyspace_hits"], delta["keyspace_misses"],
                      delta["evicted_keys"], memory.get("used_memory_human"),
                      _int_or_none(config.get("maxmemory", memory.get("maxmemory"))),
                      config.get("maxmemory-policy", memory.get("maxmemory_policy")), note)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _config_get(lab: Lab, *names: str) -> dict[str, str]:
    """CONFIG GET, read-only; an empty dict where CONFIG is disabled or missing."""
    if not lab.supports("config"):
        return {}
    out: dict[str, str] = {}
    for name in names:
        try:
            out.update(lab.client.config_get(name))
        except Exception:  # managed services rename or forbid CONFIG
            return {}
    return out
