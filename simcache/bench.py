"""Benchmarks: simcache's figures beside baselines measured in the same process.

Run ``python -m simcache.bench`` (``make bench``); ``--quick`` for smaller runs,
``--repeat N`` for the number of timed repeats (medians are quoted), ``--json PATH`` to
keep the figures, ``--only full replay`` for some sections, ``--profile`` to print where
the full model spends its time. Sections:

1. ``full``: :func:`simcache.run` against a naive simpy model with one process per request,
   on the same arrivals, keys and policy classes, so only the engine differs.
2. ``writes``: the same with 20 % writes (invalidate), pub/sub and two app servers.
3. ``replay``: :func:`simcache.replay` against libCacheSim on the same trace.
4. ``memory``: peak RSS of :func:`simcache.run` for 1M and 10M requests, each in its own
   process.
5. ``slider``: re-run time of the scenarios that interactive controls start from.
6. ``sweep``: a 40-point replicated :func:`simcache.sweep` on 2 local worker processes
   against the same sweep run serially.
7. ``mrc``: :func:`simcache.mrc` of a 5M-request Zipf trace at 100 capacities against
   libCacheSim's LRU replaying 10 of them one by one.

Wall-clock figures depend on the machine and on what else runs on it; ratios against a
baseline timed in the same process, runs interleaved, are what to compare.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from .analysis.replay import replay
from .engine import run
from .metrics.histogram import Histogram
from .model.database import service_times
from .model.policies import FOREVER, make_store
from .model.workload import requests
from .rng import UniformBuffer, stream
from .scenario import Scenario, Workload

SECTIONS = ("full", "writes", "replay", "memory", "slider", "sweep", "mrc")
#: Figures measured before the engine gained its extension points, printed beside today's
#: (machines differ: compare the ratios to the naive model, not the requests/s).
EARLIER = Path(__file__).resolve().parent.parent / "benchmarks" / "before-extension-points.json"


def earlier_figures(path: Path = EARLIER) -> dict[str, Any] | None:
    """The earlier run's figures, if the file is there (a source checkout)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
SPEEDUP_TARGET = 3.0  # full model vs the naive baseline, requests/s
SLIDER_TARGET_S = 0.3
MEMORY_TOLERANCE = 0.10

#: The full-model scenario: app-local LRU in front of Redis in front of an 8-connection DB.
#: 2,000 requests/s keeps the database about half busy once the caches are warm; from a
#: cold start, much faster arrivals swamp it before the caches fill.
FULL_MODEL = {
    "seed": 7,
    "workload": {"keys": 100_000, "popularity": "zipf", "zipf_alpha": 1.0,
                 "rate_rps": 2_000.0, "requests": 1_100_000, "warmup_requests": 100_000,
                 "write_ratio": 0.05},
    "tiers": [
        {"name": "local", "capacity": 1_000, "eviction": "lru", "latency_ms": 0.05},
        {"name": "redis", "capacity": 20_000, "eviction": "redis-lru", "latency_ms": 0.5},
    ],
    "database": {"latency_ms": 7.5, "concurrency": 8, "service": "exponential"},
}

#: The full model with writes: 20 % of requests write (invalidate: commit, then delete),
#: two app servers each with its own local tier, told of the other's writes by pub/sub.
#: Writes and the misses they cause need about 9 connections' worth of queries: 16 keep
#: the database a little over half busy, as in the model above.
FULL_MODEL_WRITES = {
    **FULL_MODEL,
    "workload": {**FULL_MODEL["workload"], "write_ratio": 0.2, "app_servers": 2},
    "database": {**FULL_MODEL["database"], "concurrency": 16},
    "tiers": [{**FULL_MODEL["tiers"][0], "scope": "per-server"}, FULL_MODEL["tiers"][1]],
    "strategy": {"read": "cache-aside", "write": "invalidate"},
    "invalidation": {"pubsub": True, "pubsub_delay_ms": 1.0},
}


@dataclass(frozen=True)
class Sizes:
    """How many requests each section simulates."""

    full_requests: int = 1_100_000   # 100k warm-up + 1M measured
    naive_requests: int = 1_100_000
    replay_requests: int = 5_000_000
    replay_capacities: tuple[int, ...] = (1_000, 10_000)
    memory_requests: tuple[int, ...] = (1_000_000, 10_000_000)
    slider_repeat: int = 5
    sweep_requests: int = 20_000  # per run of the 40-point replicated sweep
    mrc_requests: int = 5_000_000
    mrc_points: int = 100      # capacities on the curve
    mrc_lcs_points: int = 10   # of them replayed one by one by libCacheSim


FULL_SIZES = Sizes()
QUICK_SIZES = Sizes(full_requests=220_000, naive_requests=220_000, replay_requests=1_000_000,
                    memory_requests=(200_000, 2_000_000), slider_repeat=3,
                    sweep_requests=5_000, mrc_requests=500_000)


def full_scenario(total_requests: int, model: dict[str, Any] = FULL_MODEL) -> Scenario:
    """A full-model scenario with ``total_requests`` requests, 1 in 11 of them warm-up."""
    scenario = Scenario.from_dict(model)
    return scenario.with_values({"workload.requests": total_requests,
                                 "workload.warmup_requests": total_requests // 11})


# -- the naive baseline -------------------------------------------------------------------
def naive_run(scenario: Scenario) -> dict[str, float]:
    """The textbook simpy model: one process per request, a timeout per tier lookup.

    Uses the same arrivals, keys and app servers (:func:`simcache.model.workload.requests`)
    and the same policy classes and random streams as :func:`simcache.run`, so the engine is
    the only difference. Cache-aside reads (a round trip per tier to write a value back);
    writes update the database, then delete the key from the writer's tiers (a round trip
    per tier) and, with pub/sub, publish: each other app server drops its per-server
    copies ``pubsub_delay_ms`` later unless the message is lost. Returns the summary
    figures both models share.
    """
    wl, inv = scenario.workload, scenario.invalidation
    env = simpy.Environment()
    servers = wl.app_servers
    per_server = [t.scope == "per-server" for t in scenario.tiers]
    instances = [[make_store(t.eviction, t.capacity,
                             stream(scenario.seed, f"tier:{t.name}" + (f":{i}" if i else "")),
                             samples=t.samples, clock_ms=t.lru_clock_ms)
                  for i in range(servers if local else 1)]
                 for t, local in zip(scenario.tiers, per_server, strict=True)]
    chains = [[tier[s if local else 0] for tier, local in zip(instances, per_server,
                                                               strict=True)]
              for s in range(servers)]
    pubsub = inv.pubsub and servers > 1 and any(per_server)
    loss = UniformBuffer(stream(scenario.seed, "pubsub-loss"))
    lookup_s = [t.latency_ms / 1000.0 for t in scenario.tiers]
    ttl_s = [t.ttl_s for t in scenario.tiers]
    db = simpy.Resource(env, capacity=scenario.database.concurrency)
    db_spec = scenario.database
    service = service_times(stream(scenario.seed, "db-service"), db_spec.latency_ms / 1000.0,
                            db_spec.service == "constant")
    versions: dict[int, int] = {}
    latency = Histogram()
    count = {"reads": 0, "writes": 0, "hits": 0, "misses": 0, "stale": 0}

    def expires(level: int) -> float:
        return FOREVER if ttl_s[level] is None else env.now + ttl_s[level]

    def back(levels: int) -> float:  # writing a value back to the nearest tiers, in ms
        return 1000.0 * sum(lookup_s[:levels])

    def read(key: int, server: int, measured: bool):
        t0 = env.now
        stores = chains[server]
        for level, store in enumerate(stores):
            yield env.timeout(lookup_s[level])
            entry = store.get(key, env.now)
            if entry is not None:
                for upper in range(level):
                    stores[upper].put(key, entry[0], expires(upper), env.now)
                if measured:
                    count["reads"] += 1
                    count["hits"] += 1
                    count["stale"] += entry[0] != versions.get(key, 0)
                    latency.add((env.now - t0) * 1000.0 + back(level))
                return
        with db.request() as req:
            yield req
            version = versions.get(key, 0)
            yield env.timeout(service())
        for level, store in enumerate(stores):
            store.put(key, version, expires(level), env.now)
        if measured:
            count["reads"] += 1
            count["misses"] += 1
            count["stale"] += version != versions.get(key, 0)
            latency.add((env.now - t0) * 1000.0 + back(len(stores)))

    def deliver(key: int, others: list[int]):
        yield env.timeout(inv.pubsub_delay_ms / 1000.0)
        for other in others:
            for store, local in zip(chains[other], per_server, strict=True):
                if local:
                    store.delete(key)

    def write(key: int, server: int, measured: bool):
        with db.request() as req:
            yield req
            yield env.timeout(service())
        versions[key] = versions.get(key, 0) + 1
        yield env.timeout(sum(lookup_s))  # the deletes' round trips
        for store in chains[server]:
            store.delete(key)
        if pubsub:
            others = [o for o in range(servers)
                      if o != server and not (inv.pubsub_loss and loss() < inv.pubsub_loss)]
            if others:
                env.process(deliver(key, others))
        if measured:
            count["writes"] += 1

    def arrive():
        n = 0
        for chunk in requests(wl, scenario.seed):
            writes, owners = chunk.writes, chunk.servers
            for i, t in enumerate(chunk.times):
                yield env.timeout(t - env.now)
                measured = n >= wl.warmup_requests
                server = owners[i] if owners is not None else 0
                if writes is not None and writes[i]:
                    env.process(write(chunk.keys[i], server, measured))
                else:
                    env.process(read(chunk.keys[i], server, measured))
                n += 1

    env.process(arrive())
    env.run()
    reads = count["reads"]
    return {
        "requests": reads + count["writes"],
        "hit_ratio": count["hits"] / reads if reads else 0.0,
        "misses": count["misses"],
        "latency_mean_ms": latency.mean,
        "latency_p99_ms": latency.quantile(0.99),
        "stale_reads": count["stale"],
    }


# -- helpers -----------------------------------------------------------------------------
def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _rate(n: int, seconds: Sequence[float]) -> float:
    return n / _median(seconds)


def _int(x: float) -> str:
    return f"{x:,.0f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "   ") -> str:
    """Aligned text: the first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                         strict=True)]
        return (indent + "  ".join(parts)).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


# -- 1. full model vs naive simpy --------------------------------------------------------
SHARED = ("hit_ratio", "misses", "latency_mean_ms", "latency_p99_ms", "stale_reads")


def bench_full(sizes: Sizes, repeat: int, model: dict[str, Any] = FULL_MODEL) -> dict[str, Any]:
    """simcache.run against the naive one-process-per-request model, runs interleaved."""
    scenario = full_scenario(sizes.full_requests, model)
    naive_scenario = full_scenario(sizes.naive_requests, model)
    sim_s: list[float] = []
    naive_s: list[float] = []
    result = naive = None
    for _ in range(repeat):
        seconds, result = _timed(lambda: run(scenario))
        sim_s.append(seconds)
        seconds, naive = _timed(lambda: naive_run(naive_scenario))
        naive_s.append(seconds)
    assert result is not None and naive is not None
    same = result if naive_scenario == scenario else run(naive_scenario)
    sim_rps = _rate(sizes.full_requests, sim_s)
    naive_rps = _rate(sizes.naive_requests, naive_s)
    return {
        "scenario": scenario.describe(),
        "requests": sizes.full_requests,
        "naive_requests": sizes.naive_requests,
        "simcache": {"seconds": sim_s, "rps": sim_rps,
                     **{k: result.summary[k] for k in SHARED},
                     "db_utilization": result.summary["db_utilization"]},
        "simcache_at_naive_size": {k: same.summary[k] for k in SHARED},
        "naive": {"seconds": naive_s, "rps": naive_rps, **naive},
        "speedup": sim_rps / naive_rps,
        "target": SPEEDUP_TARGET,
        "hit_ratio_gap_points": 100.0 * (same.summary["hit_ratio"] - naive["hit_ratio"]),
    }


def render_full(data: dict[str, Any],
                title: str = "1. Full model: simcache.run vs a naive simpy model "
                             "(one process per request)") -> str:
    sim, naive, same = data["simcache"], data["naive"], data["simcache_at_naive_size"]
    n, m = data["requests"], data["naive_requests"]
    verdict = "meets" if data["speedup"] >= data["target"] else "MISSES"
    rows = [
        ["requests/s (median)", _int(sim["rps"]), _int(naive["rps"]),
         f"{data['speedup']:.2f}x"],
        ["wall time, median (s)", f"{_median(sim['seconds']):.2f}",
         f"{_median(naive['seconds']):.2f}", ""],
    ]
    lines = [
        title,
        f"   {data['scenario']}",
        f"   simcache: {n:,} requests; naive: {m:,} requests (warm-up 1/11 of each, "
        "counted in requests/s); wall clock includes drawing the workload",
        f"   database {sim['db_utilization']:.0%} busy, hit ratio {sim['hit_ratio']:.1%} "
        "(simcache, measured part)",
        "",
        table(["", "simcache", "naive simpy", "ratio"], rows),
        f"   target >= {data['target']:g}x: {verdict}",
        *_earlier_full(data),
        "",
        f"   Same model? measured part of the {m:,}-request run:",
        table(["", "simcache", "naive simpy", "difference"], [
            ["hit ratio", f"{same['hit_ratio']:.2%}", f"{naive['hit_ratio']:.2%}",
             f"{data['hit_ratio_gap_points']:+.2f} points"],
            ["misses (DB reads)", _int(same["misses"]), _int(naive["misses"]),
             f"{same['misses'] / max(naive['misses'], 1) - 1:+.1%}"],
            ["latency mean (ms)", f"{same['latency_mean_ms']:.3f}",
             f"{naive['latency_mean_ms']:.3f}", ""],
            ["latency p99 (ms)", f"{same['latency_p99_ms']:.2f}",
             f"{naive['latency_p99_ms']:.2f}", ""],
            ["stale reads", _int(same["stale_reads"]), _int(naive["stale_reads"]), ""],
        ]),
        "   (the naive model waits out each tier's lookup latency before querying the",
        "   database; simcache adds it to the recorded latency instead)",
    ]
    return "\n".join(lines)


def render_writes(data: dict[str, Any]) -> str:
    return render_full(data, "2. Full model with 20% writes, invalidate, pub/sub and two app "
                             "servers, vs the naive simpy model")


def _earlier_full(data: dict[str, Any]) -> list[str]:
    before = earlier_figures()
    if before is None:
        return []
    full = before["full"]
    env = before["environment"]
    return [
        f"   before the extension points (commit {before['commit'][:7]}, {env['when'][:10]}, "
        f"{env['machine']}), section 1's scenario:",
        f"     simcache {_int(full['simcache_rps'])} requests/s, naive "
        f"{_int(full['naive_rps'])}: {full['speedup']:.2f}x; here {data['speedup']:.2f}x "
        f"({data['speedup'] / full['speedup'] - 1:+.0%} on the ratio)",
    ]


# -- 2. eviction-only replay vs libCacheSim ----------------------------------------------
def replay_trace(n: int, keys: int = 100_000, seed: int = 11) -> list[int]:
    """``n`` keys drawn Zipf(1.0) over ``keys`` keys by simcache's own workload stream."""
    wl = Workload(keys=keys, zipf_alpha=1.0, requests=n, warmup_requests=0)
    out: list[int] = []
    for chunk in requests(wl, seed):
        out.extend(chunk.keys)
    return out


def _write_oracle_general(keys: Sequence[int], path: Path) -> None:
    """libCacheSim's oracleGeneral binary trace: time, id, size, next access (24 bytes)."""
    record = np.dtype([("clock_time", "<u4"), ("obj_id", "<u8"), ("obj_size", "<u4"),
                       ("next_access_vtime", "<i8")])
    trace = np.zeros(len(keys), dtype=record)
    trace["obj_id"] = np.asarray(keys, dtype=np.uint64) + 1  # ids from 1; 0 can mean "none"
    trace["obj_size"] = 1  # capacity then counts objects, as simcache's does
    trace["next_access_vtime"] = -1
    trace.tofile(path)


def bench_replay(sizes: Sizes, repeat: int) -> dict[str, Any]:
    """simcache.replay against libCacheSim's C simulator on one Zipf trace."""
    n = sizes.replay_requests
    keys = replay_trace(n)
    try:
        import libcachesim as lcs
    except ImportError:
        lcs = None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zipf.oracleGeneral"
        if lcs is not None:
            _write_oracle_general(keys, path)
        for policy in ("lru", "fifo"):
            for capacity in sizes.replay_capacities:
                sim_s, lcs_s = [], []
                sim_hits = lcs_hits = None
                for _ in range(repeat):
                    seconds, res = _timed(lambda: replay(keys, policy, capacity))  # noqa: B023
                    sim_s.append(seconds)
                    sim_hits = res.hits
                    if lcs is not None:
                        cache = {"lru": lcs.LRU, "fifo": lcs.FIFO}[policy](capacity)
                        reader = lcs.TraceReader(str(path), lcs.TraceType.ORACLE_GENERAL_TRACE)
                        seconds, (miss_ratio, _) = _timed(
                            lambda: cache.process_trace(reader))  # noqa: B023
                        lcs_s.append(seconds)
                        lcs_hits = round(n * (1.0 - miss_ratio))
                        # No reader.close(): in libcachesim 0.3.5 it frees the reader
                        # again when the object is collected (double free, abort).
                        del reader, cache
                rows.append({
                    "policy": policy, "capacity": capacity,
                    "simcache_seconds": sim_s, "simcache_rps": _rate(n, sim_s),
                    "simcache_hits": sim_hits,
                    "libcachesim_seconds": lcs_s or None,
                    "libcachesim_rps": _rate(n, lcs_s) if lcs_s else None,
                    "libcachesim_hits": lcs_hits,
                    "identical": lcs_hits == sim_hits if lcs is not None else None,
                })
    return {"requests": n, "keys": 100_000, "zipf_alpha": 1.0,
            "libcachesim": getattr(lcs, "__version__", None) if lcs else None, "rows": rows}


def render_replay(data: dict[str, Any]) -> str:
    n = data["requests"]
    lines = [
        "3. Eviction-only replay: simcache.replay vs libCacheSim",
        f"   trace: {n:,} requests, Zipf({data['zipf_alpha']:g}) over {data['keys']:,} keys, "
        "object size 1, capacity in objects",
    ]
    if data["libcachesim"] is None:
        lines.append("   libcachesim is not installed (pip install libcachesim): "
                     "simcache figures only")
    else:
        lines += [
            f"   timed: simcache.replay(list_of_ints, policy, capacity); libcachesim "
            f"{data['libcachesim']}: cache.process_trace(reader) over an oracleGeneral file",
            "   (opening the reader and writing the file are not timed; libCacheSim hits = "
            "requests x (1 - its miss ratio))",
        ]
    rows = []
    for r in data["rows"]:
        has_lcs = r["libcachesim_rps"] is not None
        rows.append([
            r["policy"].upper(), _int(r["capacity"]), _int(r["simcache_rps"]),
            _int(r["libcachesim_rps"]) if has_lcs else "-",
            f"{r['simcache_rps'] / r['libcachesim_rps']:.2f}x" if has_lcs else "-",
            _int(r["simcache_hits"]),
            _int(r["libcachesim_hits"]) if has_lcs else "-",
            ("yes" if r["identical"] else "NO") if has_lcs else "-",
        ])
    lines += ["", table(["policy", "capacity", "simcache req/s", "libCacheSim req/s", "ratio",
                         "simcache hits", "libCacheSim hits", "identical"], rows)]
    return "\n".join(lines)


# -- 3. peak memory ----------------------------------------------------------------------
_MEMORY_CHILD = """\
import gc, json, resource, sys, time
import simcache
import simcache.engine

def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])

scenario = simcache.Scenario.from_json(sys.argv[1])
simcache.run(scenario.with_values({"workload.requests": 2000, "workload.warmup_requests": 0}))
gc.collect()
try:
    # Linux: restart the peak-RSS mark (VmHWM) here, so the peak is this run's alone.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    method = "VmHWM"
    base = status_kib("VmRSS")
except OSError:
    # ru_maxrss also carries the peak of the process that forked this one.
    method = "ru_maxrss"
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
sim = simcache.engine.Simulation(scenario)
result = sim.run()
seconds = time.perf_counter() - start
versions = sim.db.committed  # committed version per key, sized to the key space
if method == "VmHWM":
    peak = status_kib("VmHWM")
else:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"method": method, "base_kib": base, "peak_kib": peak, "seconds": seconds,
                  "measured_requests": result.summary["requests"],
                  "keys_written": None if versions is None else sum(1 for v in versions if v)}))
"""


def measure_memory(scenario: Scenario) -> dict[str, Any]:
    """Peak RSS of one ``simcache.run`` in a fresh interpreter, and its baseline."""
    proc = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, scenario.to_json(None)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"memory run failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_memory(sizes: Sizes) -> dict[str, Any]:
    """Peak RSS of the full-model scenario at each size, one subprocess each."""
    runs = []
    for total in sizes.memory_requests:
        warmup = min(FULL_MODEL["workload"]["warmup_requests"], total // 11)
        scenario = Scenario.from_dict(FULL_MODEL).with_values(
            {"workload.requests": total, "workload.warmup_requests": warmup})
        runs.append({"requests": total, "warmup_requests": scenario.workload.warmup_requests,
                     **measure_memory(scenario)})
    small, large = runs[0], runs[-1]
    grow = (large["peak_kib"] - large["base_kib"]) / max(small["peak_kib"] - small["base_kib"], 1)
    return {"runs": runs, "growth_over_baseline": grow,
            "growth_total": large["peak_kib"] / small["peak_kib"],
            "tolerance": MEMORY_TOLERANCE}


def render_memory(data: dict[str, Any]) -> str:
    runs = data["runs"]
    small, large = runs[0], runs[-1]
    mib = 1024.0
    rows = [[f"{r['requests']:,} requests", f"{r['base_kib'] / mib:.1f}",
             f"{r['peak_kib'] / mib:.1f}", f"{(r['peak_kib'] - r['base_kib']) / mib:.1f}",
             _int(r["keys_written"]) if r.get("keys_written") is not None else "-",
             f"{r['seconds']:.1f}"] for r in runs]
    tol = data["tolerance"]

    def verdict(ratio: float) -> str:
        return "meets" if abs(ratio - 1.0) <= tol else "MISSES"

    lines = [
        "4. Peak memory of simcache.run (full-model scenario, each size in its own process)",
        f"   peak RSS ({runs[0]['method']}) during the run; baseline = RSS after imports and "
        "a 2,000-request warm-up run",
        "",
        table(["", "baseline MiB", "peak MiB", "run adds MiB", "keys written", "run s"], rows),
        f"   {large['requests']:,} vs {small['requests']:,} requests, target within {tol:.0%}:",
        f"     peak RSS          {data['growth_total']:.3f}x  {verdict(data['growth_total'])}",
        f"     added by the run  {data['growth_over_baseline']:.3f}x  "
        f"{verdict(data['growth_over_baseline'])}",
        "   (keys written = distinct keys with at least one committed write; the per-key",
        f"   version table is allocated once for all {FULL_MODEL['workload']['keys']:,} keys, "
        "so it does not grow with requests)",
    ]
    return "\n".join(lines)


# -- 4. slider re-run time ---------------------------------------------------------------
def slider_scenarios() -> dict[str, Scenario]:
    """``Scenario()`` and every preset that interactive controls start from."""
    found = {"Scenario()": Scenario()}
    try:
        from .scenario import presets
    except ImportError:
        return found
    table_ = getattr(presets, "PRESETS", {})
    for name in table_:
        try:
            found[f"preset {name}"] = presets.preset(name)
        except Exception as err:  # a preset under construction should not stop the bench
            print(f"   (preset {name!r} skipped: {err})", file=sys.stderr)
    if "waterfall" in table_:  # notebook 02's explorer re-runs a shorter waterfall
        found["02 waterfall explorer"] = presets.preset("waterfall").with_values(
            {"workload.requests": 15_000, "workload.warmup_requests": 5_000})
    return found


def bench_slider(sizes: Sizes, scenarios: dict[str, Scenario] | None = None) -> dict[str, Any]:
    """Median wall time of simcache.run for each slider's starting scenario."""
    rows = []
    for label, scenario in (scenarios or slider_scenarios()).items():
        run(scenario)  # first call pays one-off costs (imports inside pandas, caches)
        seconds = [_timed(lambda: run(scenario))[0]  # noqa: B023
                   for _ in range(sizes.slider_repeat)]
        rows.append({"scenario": label, "requests": scenario.workload.requests,
                     "seconds": seconds, "median_s": _median(seconds)})
    return {"rows": rows, "target_s": SLIDER_TARGET_S, "repeat": sizes.slider_repeat}


def render_slider(data: dict[str, Any]) -> str:
    target = data["target_s"]
    rows = [[r["scenario"], _int(r["requests"]) if r["requests"] else "-",
             f"{r['median_s']:.3f}", f"{max(r['seconds']):.3f}", f"{target:g}",
             f"{target / r['median_s']:.2f}x",
             "meets" if r["median_s"] < target else "MISSES"] for r in data["rows"]]
    before = (earlier_figures() or {}).get("slider", {})
    if before:
        for row, r in zip(rows, data["rows"], strict=True):
            earlier = before.get(r["scenario"])
            row.insert(3, f"{earlier:.3f}" if earlier is not None else "-")
    headers = ["scenario", "requests", "median s", "max s", "target s", "headroom", ""]
    if before:
        headers.insert(3, "before s")
    return "\n".join([
        f"5. Slider re-run: simcache.run of each control's starting scenario "
        f"(median of {data['repeat']}, after one untimed run"
        + ("; 'before s': the median before the extension points" if before else "") + ")",
        "",
        table(headers, rows),
    ])


# -- 6. a replicated sweep on 2 worker processes vs serial --------------------------------
SWEEP_GRID = {"tiers.0.capacity": [50, 100, 200, 400, 800, 1_600, 3_200, 6_400],
              "tiers.0.ttl_s": [None, 1, 5, 30, 120]}  # 8 x 5 = 40 points
SWEEP_REPLICATIONS = 3
SWEEP_WORKERS = 2


def _spin(n: int) -> int:
    """Pure-Python arithmetic: a task with nothing to share, for the machine's headroom."""
    total = 0
    for i in range(n):
        total += i
    return total


def spare_cores_ratio(workers: int = SWEEP_WORKERS, n: int = 5_000_000) -> float:
    """Serial time / time on ``workers`` processes of ``2 * workers`` independent spins.

    The most any process pool can gain on this machine at this moment: ``workers`` on an
    idle machine with that many cores, less when other work holds the CPUs.
    """
    serial, _ = _timed(lambda: [_spin(n) for _ in range(2 * workers)])
    with ProcessPoolExecutor(workers) as pool:
        pool.submit(_spin, 1).result()  # start the workers outside the timing
        parallel, _ = _timed(lambda: list(pool.map(_spin, [n] * (2 * workers))))
    return serial / parallel


def bench_sweep(sizes: Sizes, repeat: int) -> dict[str, Any]:
    """Wall time of a 40-point, 3-replication sweep: serially, then on 2 worker processes.

    The pool is started inside the timed call, as a user's ``executor=2`` would be; runs
    are interleaved (serial, parallel, serial, ...) so drift in machine load hits both.
    """
    from .analysis.sweep import sweep

    scenario = Scenario().with_values({"workload.requests": sizes.sweep_requests,
                                       "workload.warmup_requests": sizes.sweep_requests // 10})
    serial_s, parallel_s, tables = [], [], []
    for _ in range(repeat):
        seconds, serial = _timed(lambda: sweep(scenario, SWEEP_GRID,
                                               replications=SWEEP_REPLICATIONS))
        serial_s.append(seconds)
        seconds, parallel = _timed(lambda: sweep(scenario, SWEEP_GRID,
                                                 replications=SWEEP_REPLICATIONS,
                                                 executor=SWEEP_WORKERS))
        parallel_s.append(seconds)
        tables.append(serial.equals(parallel))
    points = len(serial)
    headroom = spare_cores_ratio()
    return {"spare_cores_ratio": headroom, "points": points,
            "replications": SWEEP_REPLICATIONS, "workers": SWEEP_WORKERS,
            "runs": points * SWEEP_REPLICATIONS, "requests_per_run": sizes.sweep_requests,
            "serial_s": serial_s, "parallel_s": parallel_s,
            "serial_median_s": _median(serial_s), "parallel_median_s": _median(parallel_s),
            "speedup": _median(serial_s) / _median(parallel_s), "same_table": all(tables),
            "cpus": os.cpu_count()}


def render_sweep(data: dict[str, Any]) -> str:
    rows = [["serial (this process)", f"{data['serial_median_s']:.2f}", "1.00x"],
            [f"{data['workers']} worker processes", f"{data['parallel_median_s']:.2f}",
             f"{data['speedup']:.2f}x"]]
    return "\n".join([
        f"6. Replicated sweep: {data['points']} points x {data['replications']} replications = "
        f"{data['runs']} runs of {_int(data['requests_per_run'])} requests "
        f"({data['cpus']} CPUs; ideal {data['workers']}.00x)",
        "",
        table(["executor", "median s", "speed-up"], rows),
        "",
        f"   same table from both executors: {'yes' if data['same_table'] else 'NO'}",
        f"   control: pure-Python arithmetic on {data['workers']} processes vs serial, same run: "
        f"{data['spare_cores_ratio']:.2f}x (the most this machine gives a pool right now)",
    ])


# -- 7. one-pass miss-ratio curve vs libCacheSim, one capacity at a time ------------------
def bench_mrc(sizes: Sizes, repeat: int) -> dict[str, Any]:
    """:func:`simcache.mrc` at ``mrc_points`` capacities against libCacheSim's LRU replaying
    ``mrc_lcs_points`` of them one by one, on the Zipf trace of the replay section."""
    from .analysis.mrc import mrc

    n = sizes.mrc_requests
    keys = np.asarray(replay_trace(n))
    distinct = int(np.unique(keys).size)
    capacities = np.linspace(distinct / sizes.mrc_points, distinct,
                             sizes.mrc_points).astype(np.int64)
    checked = capacities[sizes.mrc_points // sizes.mrc_lcs_points - 1::
                         sizes.mrc_points // sizes.mrc_lcs_points][:sizes.mrc_lcs_points]
    try:
        import libcachesim as lcs
    except ImportError:
        lcs = None
    mrc_s: list[float] = []
    lcs_s: list[float] = []
    frame = None
    lcs_hits: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zipf.oracleGeneral"
        if lcs is not None:
            _write_oracle_general(keys.tolist(), path)
        for _ in range(repeat):
            seconds, frame = _timed(lambda: mrc(keys, capacities=capacities))
            mrc_s.append(seconds)
            if lcs is None:
                continue
            total = 0.0
            for capacity in checked.tolist():
                cache = lcs.LRU(capacity)
                reader = lcs.TraceReader(str(path), lcs.TraceType.ORACLE_GENERAL_TRACE)
                start = time.perf_counter()
                miss_ratio, _ = cache.process_trace(reader)
                total += time.perf_counter() - start
                lcs_hits[capacity] = round(n * (1.0 - miss_ratio))
                del reader, cache  # no reader.close(): see bench_replay
            lcs_s.append(total)
    assert frame is not None
    ours = dict(zip(frame["capacity"].tolist(),
                    (frame["hit_ratio"].to_numpy() * n).round().astype(int).tolist(),
                    strict=True))
    return {
        "requests": n, "keys": 100_000, "zipf_alpha": 1.0, "distinct_keys": distinct,
        "capacities": len(capacities), "libcachesim_capacities": len(checked),
        "libcachesim": getattr(lcs, "__version__", None) if lcs else None,
        "mrc_seconds": mrc_s, "libcachesim_seconds": lcs_s or None,
        "speedup": _median(lcs_s) / _median(mrc_s) if lcs_s else None,
        "checked": [{"capacity": c, "mrc_hits": ours[c], "libcachesim_hits": lcs_hits.get(c)}
                    for c in checked.tolist()],
        "identical": all(ours[c] == lcs_hits[c] for c in lcs_hits) if lcs_hits else None,
        "hit_ratio_range": [float(frame["hit_ratio"].iloc[0]),
                            float(frame["hit_ratio"].iloc[-1])],
    }


def render_mrc(data: dict[str, Any]) -> str:
    n, points, few = data["requests"], data["capacities"], data["libcachesim_capacities"]
    lines = [
        "7. Miss-ratio curve: simcache.mrc (one pass, LRU stack distances) vs libCacheSim "
        "replaying capacities one by one",
        f"   trace: {n:,} requests, Zipf({data['zipf_alpha']:g}) over {data['keys']:,} keys "
        f"({data['distinct_keys']:,} seen); hit ratio {data['hit_ratio_range'][0]:.1%} to "
        f"{data['hit_ratio_range'][1]:.1%} across the curve",
    ]
    mrc_s = _median(data["mrc_seconds"])
    if data["libcachesim"] is None:
        lines.append("   libcachesim is not installed (pip install libcachesim): "
                     "simcache figures only")
        lines += ["", table(["", "simcache.mrc"],
                            [[f"wall time, {points} capacities (s)", f"{mrc_s:.2f}"]])]
        return "\n".join(lines)
    lcs_s = _median(data["libcachesim_seconds"])
    rows = [
        ["capacities", f"{points}", f"{few}", ""],
        ["wall time, median (s)", f"{mrc_s:.2f}", f"{lcs_s:.2f}",
         f"{data['speedup']:.2f}x"],
        ["seconds per capacity", f"{mrc_s / points:.3f}", f"{lcs_s / few:.3f}",
         f"{(lcs_s / few) / (mrc_s / points):.1f}x"],
    ]
    identical = "yes" if data["identical"] else "NO"
    lines += [
        f"   timed: simcache.mrc(int array, {points} capacities) against libcachesim "
        f"{data['libcachesim']} LRU.process_trace over an oracleGeneral file, once per "
        f"capacity (opening readers and writing the file not timed)",
        "",
        table(["", "simcache.mrc", "libCacheSim LRU", "ratio"], rows),
        f"   hits identical at the {few} capacities both computed: {identical}",
    ]
    return "\n".join(lines)


# -- profile -----------------------------------------------------------------------------
def profile_full(requests_: int, top: int = 20) -> str:
    """cProfile of simcache.run on the full-model scenario, sorted by own time."""
    scenario = full_scenario(requests_)
    profiler = cProfile.Profile()
    profiler.enable()
    run(scenario)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


# -- driver ------------------------------------------------------------------------------
RENDER = {"full": render_full, "writes": render_writes, "replay": render_replay,
          "memory": render_memory, "slider": render_slider, "sweep": render_sweep,
          "mrc": render_mrc}


def environment() -> dict[str, Any]:
    import pandas

    from . import __version__
    return {
        "simcache": __version__, "python": platform.python_version(),
        "simpy": simpy.__version__, "numpy": np.__version__, "pandas": pandas.__version__,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def run_all(sections: Sequence[str], sizes: Sizes, repeat: int,
            emit: Callable[[str], None] = print,
            slider: dict[str, Scenario] | None = None) -> dict[str, Any]:
    """Run the chosen sections in their usual order, printing each table when ready.

    ``slider`` replaces the scenarios the slider section times (tests pass tiny ones).
    """
    env = environment()
    emit(f"simcache {env['simcache']} benchmarks — Python {env['python']}, simpy "
         f"{env['simpy']}, numpy {env['numpy']}; {env['machine']}; load average "
         f"{' '.join(map(str, env['load_average']))}; {repeat} timed repeats, medians quoted")
    out: dict[str, Any] = {"environment": env, "repeat": repeat}
    for name in [s for s in SECTIONS if s in sections]:
        start = time.perf_counter()
        if name == "full":
            data = bench_full(sizes, repeat)
        elif name == "writes":
            data = bench_full(sizes, repeat, FULL_MODEL_WRITES)
        elif name == "replay":
            data = bench_replay(sizes, repeat)
        elif name == "memory":
            data = bench_memory(sizes)
        elif name == "sweep":
            data = bench_sweep(sizes, repeat)
        elif name == "mrc":
            data = bench_mrc(sizes, repeat)
        else:
            data = bench_slider(sizes, slider)
        data["section_seconds"] = time.perf_counter() - start
        out[name] = data
        emit("")
        emit(RENDER[name](data))
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    emit("")
    emit(f"load average at the end: {' '.join(map(str, out['load_average_end']))} "
         f"(other work on the machine moves wall-clock figures; ratios less so)")
    return out


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simcache.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="about 5x fewer requests in every section")
    parser.add_argument("--repeat", type=_positive, default=3,
                        help="timed repeats per figure; the median is quoted (default 3)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write figures as JSON")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        metavar="SECTION", help=f"run only these: {', '.join(SECTIONS)}")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the full model and exit")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    if args.profile:
        print(profile_full(sizes.full_requests // 5))
        return 0
    data = run_all(args.only, sizes, args.repeat)
    if args.json:
        write_json(data, args.json)
        print(f"\nfigures written to {args.json}")
    return 0


def write_json(data: dict[str, Any], path: Path) -> None:
    """The figures of :func:`run_all` as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n", encoding="utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


if __name__ == "__main__":
    sys.exit(main())
