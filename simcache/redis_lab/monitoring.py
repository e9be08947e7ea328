"""The hit ratio as the server counts it: a small cache-aside workload, read back from
``INFO`` (keyspace hits and misses, evictions, memory) and read-only ``CONFIG GET``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .cache_aside import CACHE_ASIDE_LUA, cache_aside_load, zipf_keys
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


def keyspace_hits_if_exists_first(report: InfoReport) -> int:
    """``keyspace_hits`` growth for :func:`info_hit_ratio`'s reads run again from an empty
    cache by an application that sends ``EXISTS`` before each ``GET`` (and ``GET`` only
    when the key exists): every successful lookup counts, whichever command made it."""
    lookups_per_hit = len(("EXISTS", "GET"))
    return lookups_per_hit * report.client_hits


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


# -- INFO over time (notebook 09) -----------------------------------------------------------
#: The INFO fields notebook 09 samples: four counters that only grow (since the server
#: started or CONFIG RESETSTAT ran) and one gauge, the memory in use now.
INFO_COUNTERS = ("keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys")
INFO_GAUGES = ("used_memory",)
INFO_FIELDS = INFO_COUNTERS + INFO_GAUGES

#: What :func:`info_samples` read on a private Redis 7.0.15 (jemalloc 5.3.0) with its
#: defaults: 7 samples around 6 rounds of 1,500 Zipf cache-aside reads over 2,000 keys
#: (1 s expiry, 0.3 s pause after each round). Shown, labelled as typical, where INFO is
#: missing (fakeredis). A server's counters start wherever its history left them; these
#: start from a fresh server.
TYPICAL_INFO_SAMPLES: tuple[dict[str, float], ...] = tuple(
    dict(zip(("t_s", *INFO_FIELDS), row, strict=True)) for row in (
        (0.0, 0, 0, 0, 0, 988_976),
        (0.33, 968, 532, 0, 0, 1_233_504),
        (0.65, 2_186, 814, 0, 0, 1_296_672),
        (0.98, 3_492, 1_008, 0, 0, 1_340_128),
        (1.32, 4_733, 1_267, 0, 532, 1_295_360),
        (1.66, 5_916, 1_584, 0, 729, 1_322_240),
        (1.99, 7_154, 1_846, 0, 929, 1_336_128),
    ))


def _typical_below(reason: str | None) -> str | None:
    """A reason for not measuring, saying that typical figures follow."""
    return None if reason is None else f"{reason} Below: typical figures of a real Redis."


def _read_info(lab: Lab) -> dict[str, float] | None:
    stats, memory = lab.info("stats"), lab.info("memory")
    if stats is None or memory is None:
        return None
    row = {k: int(stats.get(k, 0)) for k in INFO_COUNTERS}
    row.update({k: int(memory.get(k, 0)) for k in INFO_GAUGES})
    return row


def info_deltas(samples: pd.DataFrame) -> pd.DataFrame:
    """Per interval between consecutive INFO samples: what a dashboard plots.

    Counters become differences (``keyspace_hits`` = hits in the interval) and rates per
    second; the hit ratio is Δkeyspace_hits / (Δkeyspace_hits + Δkeyspace_misses); the
    gauge ``used_memory`` is the value at the interval's end. ``samples`` needs a ``t_s``
    column (seconds) and the :data:`INFO_FIELDS` as read, one row per sample.
    """
    missing = [c for c in ("t_s", *INFO_FIELDS) if c not in samples.columns]
    if missing:
        raise ValueError(f"samples: missing columns {', '.join(missing)}")
    if len(samples) < 2:
        raise ValueError("samples: need at least two samples to take a difference")
    diff = samples[["t_s", *INFO_COUNTERS]].diff().iloc[1:]
    out = pd.DataFrame({"t_s": samples["t_s"].iloc[1:].to_numpy(),
                        "interval_s": diff["t_s"].to_numpy()})
    for name in INFO_COUNTERS:
        out[f"Δ{name}"] = diff[name].to_numpy().astype(int)
    reads = out["Δkeyspace_hits"] + out["Δkeyspace_misses"]
    out["hit_ratio"] = (out["Δkeyspace_hits"] / reads.where(reads > 0)).to_numpy()
    for name in ("evicted_keys", "expired_keys"):
        out[f"{name}/s"] = out[f"Δ{name}"] / out["interval_s"]
    out["used_memory"] = samples["used_memory"].iloc[1:].to_numpy()
    return out


@dataclass(frozen=True)
class InfoSeries:
    """INFO sampled between rounds of a cache-aside workload (or typical samples)."""

    samples: pd.DataFrame      # t_s, then INFO_FIELDS as read (counters cumulative)
    requests: tuple[int, ...]  # reads sent in each interval
    client_hits: tuple[int, ...]  # hits as our own script counted them, per interval
    measured: bool             # False: typical samples (no INFO here)
    server: str
    note: str

    def deltas(self) -> pd.DataFrame:
        """:func:`info_deltas` of the samples, with our own count of reads beside them."""
        out = info_deltas(self.samples)
        if self.measured:
            out.insert(2, "reads sent", list(self.requests))
        return out

    @property
    def other_clients(self) -> bool:
        """True when the server counted more reads than we sent: someone else's traffic."""
        if not self.measured:
            return False
        d = info_deltas(self.samples)
        return int((d["Δkeyspace_hits"] + d["Δkeyspace_misses"]).sum()) != sum(self.requests)


def info_samples(lab: Lab, *, rounds: int = 6, requests: int = 1_500, keys: int = 2_000,
                 zipf_alpha: float = 1.0, ttl_s: int = 1, pause_s: float = 0.3,
                 value_bytes: int = 100, seed: int = 7, name: str = "monitor") -> InfoSeries:
    """Sample INFO stats and memory before and after each of ``rounds`` rounds of a Zipf
    cache-aside workload (GET, then SET with a ``ttl_s`` expiry on a miss).

    The keys expire after ``ttl_s`` seconds and ``pause_s`` passes after each round, so
    ``expired_keys`` moves. Only keys under the lab's prefix are written, and they are
    deleted at the end. Where INFO is missing (fakeredis), or a ``maxmemory`` server has
    too little room, the workload is not run and the samples are
    :data:`TYPICAL_INFO_SAMPLES`, with a note saying so.
    """
    if not 1 <= ttl_s <= lab.safety_ttl_s:
        raise ValueError(f"ttl_s = {ttl_s!r}: must be from 1 to {lab.safety_ttl_s}")
    sequence = zipf_keys(keys, rounds * requests, zipf_alpha, seed)
    footprint = keys * (value_bytes + len(lab.key(f"{name}:{keys}")) + 150)
    why_not = lab.gap("info") or _typical_below(
        lab.room_for(footprint, "the INFO sampling workload"))
    if why_not:
        return InfoSeries(pd.DataFrame(TYPICAL_INFO_SAMPLES), (requests,) * rounds, (),
                          False, "typical (no INFO here)", why_not)
    script = lab.client.register_script(CACHE_ASIDE_LUA)
    rows: list[dict[str, float]] = []
    hits: list[int] = []
    start = time.perf_counter()
    with lab.guard():
        first = _read_info(lab)
        assert first is not None
        rows.append({"t_s": 0.0, **first})
        for i in range(rounds):
            chunk = sequence[i * requests:(i + 1) * requests]
            got = 0
            for j in range(0, len(chunk), 250):
                pipe = lab.client.pipeline(transaction=False)
                for k in chunk[j:j + 250]:
                    script(keys=[lab.key(f"{name}:{k}")], args=[value_bytes, ttl_s],
                           client=pipe)
                got += sum(int(x) for x in pipe.execute())
            hits.append(got)
            time.sleep(pause_s)
            row = _read_info(lab)
            assert row is not None
            rows.append({"t_s": time.perf_counter() - start, **row})
    lab.cleanup(f"{name}:*")
    series = InfoSeries(pd.DataFrame(rows), (requests,) * rounds, tuple(hits), True,
                        lab.where, "")
    if series.other_clients:
        series = InfoSeries(series.samples, series.requests, series.client_hits, True,
                            series.server, "ℹ️ INFO counted more reads than this notebook sent: "
                            "other clients use this server too (the counters are "
                            "server-wide)")
    return series


# -- used_memory per key --------------------------------------------------------------------
#: The measurement behind the simulator's default ``entry_overhead_bytes`` (90): 20,000
#: SETs of a 100-byte value under ~22-byte keys, without expiry, raised used_memory on a
#: private Redis 7.0.15 (jemalloc 5.3.0) by 192 bytes each (100 of value + about 90).
TYPICAL_BYTES_PER_KEY = 192


@dataclass(frozen=True)
class MemoryPerKey:
    """How much ``used_memory`` grew per key stored (measured, or the typical figure)."""

    keys: int
    value_bytes: int
    key_bytes: float            # mean length of the key names
    bytes_per_key: float
    measured: bool
    with_expiry: bool           # the keys carried an expiry (the lab's always do)
    server: str
    note: str

    @property
    def overhead_bytes(self) -> float:
        """Memory per key besides the value itself: the simulator's entry_overhead_bytes."""
        return self.bytes_per_key - self.value_bytes


def memory_per_key(lab: Lab, *, keys: int = 20_000, value_bytes: int = 100,
                   name: str = "mem") -> MemoryPerKey:
    """SET ``keys`` keys of ``value_bytes`` under the lab's prefix (with its safety expiry)
    and return how much INFO ``used_memory`` grew per key; the keys are deleted after.

    One round is stored and deleted first, so that allocator and tables have settled. On
    a shared server other clients' writes land in the same figure. Where INFO is missing,
    or a maxmemory server has too little room, returns :data:`TYPICAL_BYTES_PER_KEY`.
    """
    names = [lab.key(f"{name}:{i}") for i in range(keys)]
    key_bytes = sum(len(n) for n in names) / len(names)
    footprint = keys * (value_bytes + int(key_bytes) + 150)
    why_not = lab.gap("info") or _typical_below(
        lab.room_for(footprint, "the used_memory measurement"))
    if why_not:
        return MemoryPerKey(keys, value_bytes, 22.0, float(TYPICAL_BYTES_PER_KEY), False,
                            False, "Redis 7.0.15, jemalloc 5.3.0", why_not)
    value = "v" * value_bytes

    def store() -> None:
        for i in range(0, keys, 1_000):
            pipe = lab.client.pipeline(transaction=False)
            for key in names[i:i + 1_000]:
                pipe.set(key, value, ex=lab.safety_ttl_s)
            pipe.execute()

    with lab.guard():
        store()
        lab.cleanup(f"{name}:*")
        before = int((lab.info("memory") or {})["used_memory"])
        store()
        after = int((lab.info("memory") or {})["used_memory"])
        lab.cleanup(f"{name}:*")
    return MemoryPerKey(keys, value_bytes, key_bytes, (after - before) / keys, True, True,
                        f"{lab.where} (Redis {lab.version})", "")
