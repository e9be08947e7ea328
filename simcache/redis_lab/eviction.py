"""Real ``maxmemory`` eviction on a separate private redis-server next to the simulator on
the same requests at the same rate, and the measured reasons they differ.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..engine import run
from ..model.workload import requests as request_stream
from ..scenario import Scenario
from .cache_aside import cache_aside_load, cache_aside_replay
from .connection import Lab, can_start_private_server, private_lab
from .monitoring import _stats

#: Redis ``maxmemory-policy`` → the simulator's policy that models it.
SIMULATOR_POLICY = {
    "allkeys-lru": "redis-lru",
    "allkeys-lfu": "lfu",
    "allkeys-random": "random",
}
#: Redis's LRU_CLOCK_RESOLUTION (server.h): the LRU clock ticks once a second.
LRU_CLOCK_MS = 1000.0
#: Within this many points, the simulator "agrees" with the server.
AGREEMENT_POINTS = 1.5


#: Every ``maxmemory-policy``: which keys it may evict, and which of them first (Redis
#: documentation, "Key eviction", https://redis.io/docs/latest/develop/reference/eviction/).
MAXMEMORY_POLICIES: dict[str, tuple[str, str]] = {
    "noeviction": ("no key", "none: writes fail with OOM"),
    "allkeys-lru": ("any key", "least recently used"),
    "allkeys-lfu": ("any key", "least frequently used"),
    "allkeys-random": ("any key", "random"),
    "volatile-lru": ("keys with an expiry", "least recently used"),
    "volatile-lfu": ("keys with an expiry", "least frequently used"),
    "volatile-random": ("keys with an expiry", "random"),
    "volatile-ttl": ("keys with an expiry", "shortest remaining TTL"),
}


def policy_for(may_evict: str, first: str) -> str:
    """The ``maxmemory-policy`` that evicts only ``may_evict`` ("any key", "keys with an
    expiry"), ``first`` ("least recently used", …) first; see :data:`MAXMEMORY_POLICIES`."""
    for name, (scope, order) in MAXMEMORY_POLICIES.items():
        if (scope, order) == (may_evict, first):
            return name
    raise ValueError(f"no maxmemory-policy evicts {may_evict!r}, {first!r} first")


def simulator_scenario(*, keys: int, requests: int, warmup_requests: int, zipf_alpha: float,
                       rate_rps: float, seed: int, capacity: int, policy: str,
                       clock_ms: float = LRU_CLOCK_MS) -> Scenario:
    """One tier of ``capacity`` entries in front of a near-instant database: the scenario
    whose requests a replay sends to the server, at the same times."""
    return Scenario.from_dict({
        "seed": seed,
        "workload": {"keys": keys, "zipf_alpha": zipf_alpha, "rate_rps": rate_rps,
                     "requests": requests, "warmup_requests": warmup_requests},
        "tiers": [{"name": "redis", "capacity": capacity, "eviction": policy,
                   "lru_clock_ms": clock_ms, "latency_ms": 0.0}],
        "database": {"latency_ms": 0.001, "concurrency": 1_000, "service": "constant"},
    })


@dataclass(frozen=True)
class EvictionRun:
    """One maxmemory-policy on a real server next to the simulator, same requests and rate."""

    redis_policy: str
    simulator_policy: str
    rate_rps: float
    scenario: Scenario              # what the simulator ran: one tier of ``keys_held`` entries
    simulated_hit_ratio: float
    keys_held: int                  # mean DBSIZE while measuring (the simulator's capacity)
    redis_hit_ratio: float | None = None  # GET hits / GETs after warm-up, counted per reply
    load_s: float | None = None     # wall-clock seconds of the replay
    max_late_ms: float | None = None  # worst delay of a request behind its arrival time
    maxmemory_bytes: int | None = None
    evicted_keys: int | None = None  # INFO evicted_keys during the replay
    idle_seconds: tuple[int, ...] = ()  # distinct OBJECT IDLETIME values afterwards (LRU)
    exact_clock_hit_ratio: float | None = None  # redis-lru with a clock that never ties
    random_hit_ratio: float | None = None  # random eviction at the same capacity

    @property
    def difference_points(self) -> float | None:
        """Real minus simulated, in percentage points."""
        if self.redis_hit_ratio is None:
            return None
        return 100 * (self.redis_hit_ratio - self.simulated_hit_ratio)

    @property
    def turnover_s(self) -> float | None:
        """Seconds in which evictions replaced as many keys as the cache holds."""
        if not self.evicted_keys or not self.load_s:
            return None
        return self.keys_held / (self.evicted_keys / self.load_s)

    def describe(self) -> str:
        """One line: real against simulated at this rate."""
        if self.redis_hit_ratio is None:
            return (f"{self.redis_policy} at {self.rate_rps:,.0f} requests/s: needs a real "
                    f"server; simulator {self.simulator_policy}: "
                    f"{self.simulated_hit_ratio:.3f}")
        return (f"{self.redis_policy} at {self.rate_rps:,.0f} requests/s: Redis "
                f"{self.redis_hit_ratio:.3f}, simulator {self.simulator_policy} "
                f"{self.simulated_hit_ratio:.3f} ({self.difference_points:+.1f} points)")


@dataclass(frozen=True)
class EvictionComparison:
    """Real maxmemory eviction against the simulator on one Zipf workload."""

    runs: tuple[EvictionRun, ...]
    keys: int
    requests: int
    warmup_requests: int
    target_keys: int
    value_bytes: int
    bytes_per_key: float | None
    measured: bool
    server: str
    note: str

    def table(self) -> pd.DataFrame:
        rows = []
        for run_ in self.runs:
            rows.append({
                "maxmemory-policy": run_.redis_policy,
                "requests/s": f"{run_.rate_rps:,.0f}",
                "keys held": run_.keys_held,
                "evicted_keys": run_.evicted_keys,
                "Redis hit ratio": run_.redis_hit_ratio,
                "simulator": run_.simulator_policy,
                "simulated hit ratio": round(run_.simulated_hit_ratio, 4),
                "difference (points)": (None if run_.difference_points is None
                                        else round(run_.difference_points, 2)),
            })
        frame = pd.DataFrame(rows)
        frame["Redis hit ratio"] = frame["Redis hit ratio"].map(
            lambda x: "needs a real server" if x is None else round(x, 4))
        return frame

    def explain(self) -> str:
        """How close each policy came to the simulator, then :meth:`explain_clock`
        (Markdown). Every sentence is built from this comparison's own figures."""
        if not self.measured:
            lines = [f"- `{r.redis_policy}`: needs a real server; the simulator's "
                     f"`{r.simulator_policy}` gives **{r.simulated_hit_ratio:.3f}**."
                     for r in self.runs]
            return "\n".join(lines) + "\n\n" + self.explain_clock()
        lines = []
        for r in self.runs:
            diff = r.difference_points or 0.0
            verdict = (f"within {AGREEMENT_POINTS:g} points of the simulator"
                       if abs(diff) <= AGREEMENT_POINTS else
                       f"{'above' if diff > 0 else 'below'} the simulator by "
                       f"{abs(diff):.1f} points")
            lines.append(f"- `{r.redis_policy}` at {r.rate_rps:,.0f} requests/s: Redis "
                         f"**{r.redis_hit_ratio:.3f}**, simulator `{r.simulator_policy}` "
                         f"**{r.simulated_hit_ratio:.3f}**: {verdict}.")
        return "\n".join(lines) + "\n\n" + self.explain_clock()

    def explain_clock(self) -> str:
        """What Redis's one-second LRU clock did to ``allkeys-lru`` at this rate (Markdown)."""
        run_ = next((r for r in self.runs if r.redis_policy == "allkeys-lru"), None)
        if run_ is None or run_.exact_clock_hit_ratio is None:
            return ""
        lines = [f"- Redis stamps each access with a clock that ticks once per second. With "
                 f"that clock, the simulator's `redis-lru` gives "
                 f"**{run_.simulated_hit_ratio:.3f}**; with a clock that never ties it would "
                 f"give **{run_.exact_clock_hit_ratio:.3f}**, and evicting at random "
                 f"**{run_.random_hit_ratio:.3f}**."]
        if run_.turnover_s is not None:
            ticks = ("many times within one tick, so the sampled keys' idle times tie and "
                     "the choice is close to random" if run_.turnover_s < 1 else
                     "slower than one tick, so idle times differ and Redis can rank them")
            idle = ", ".join(str(i) for i in run_.idle_seconds) or "n/a"
            lines.append(f"- At {run_.rate_rps:,.0f} requests/s evictions replaced the whole "
                         f"cache every {run_.turnover_s:.2f} s: {ticks} (`OBJECT IDLETIME` "
                         f"of keys left afterwards: {idle} s).")
        return "\n".join(lines)

    def best_policy(self) -> str:
        """The maxmemory-policy with the highest hit ratio (measured if possible)."""
        def score(run_: EvictionRun) -> float:
            return run_.redis_hit_ratio if run_.redis_hit_ratio is not None \
                else run_.simulated_hit_ratio

        return max(self.runs, key=score).redis_policy


def eviction_vs_simulator(lab: Lab, *, keys: int = 10_000, requests: int = 60_000,
                          warmup_requests: int = 20_000, capacity: int = 1_000,
                          zipf_alpha: float = 0.9, value_bytes: int = 4_000,
                          rate_rps: float = 20_000.0, seed: int = 7,
                          policies: Sequence[str] = tuple(SIMULATOR_POLICY)
                          ) -> EvictionComparison:
    """Send one Zipf workload to a Redis with ``maxmemory`` and to the simulator.

    The requests are the simulator's own (arrival times and keys for ``seed`` at
    ``rate_rps``), sent to the server at those times as GET-then-SET-on-miss; the server
    is a separate private redis-server (never the learner's own: with an ``allkeys-*``
    policy a small maxmemory would evict their keys too), with ``maxmemory`` sized from the
    measured ``used_memory`` per key so that about ``capacity`` keys fit. The simulator
    runs the same workload with one tier as large as the server's mean key count and the
    matching policy; ``redis-lru`` keeps Redis's one-second LRU clock. Hit ratios count
    the requests after ``warmup_requests``.
    """
    for policy in policies:
        if policy not in SIMULATOR_POLICY:
            raise ValueError(f"policies: {policy!r} is not one of "
                             f"{', '.join(SIMULATOR_POLICY)}")
    shape = dict(keys=keys, requests=requests, warmup_requests=warmup_requests,
                 zipf_alpha=zipf_alpha, rate_rps=rate_rps, seed=seed)
    reason = _why_no_eviction_server(lab)
    if reason:
        runs = []
        for policy in policies:
            scenario = simulator_scenario(**shape, capacity=capacity,
                                          policy=SIMULATOR_POLICY[policy])
            runs.append(EvictionRun(policy, SIMULATOR_POLICY[policy], rate_rps, scenario,
                                    run(scenario).summary["hit_ratio"], capacity))
        return EvictionComparison(tuple(runs), keys, requests, warmup_requests, capacity,
                                  value_bytes, None, False, "none", reason)
    workload = simulator_scenario(**shape, capacity=capacity, policy="lru").workload
    times, sequence = [], []
    for chunk in request_stream(workload, seed):
        times += chunk.times
        sequence += chunk.keys
    with private_lab() as server:
        saved = server.client.config_get("maxmemory*")
        runs = []
        try:
            _quiet_latency_tracking(server)
            bytes_per_key = _bytes_per_key(server, capacity, value_bytes)
            for policy in policies:
                runs.append(_evict_once(server, times, sequence, policy, shape, capacity,
                                        bytes_per_key, value_bytes))
        finally:
            for name in ("maxmemory", "maxmemory-policy"):  # put back what we changed
                _config_set(server, name, saved[name])
        where = f"a separate private redis-server {server.version} on {server.server.address}"
    return EvictionComparison(tuple(runs), keys, requests, warmup_requests, capacity,
                              value_bytes, bytes_per_key, True, where, "")


def _why_no_eviction_server(lab: Lab) -> str:
    if lab.is_fake:
        return ("ℹ️ fakeredis never evicts (it has no maxmemory): these are the simulator's "
                "figures only; this cell needs a real server (install redis-server or set "
                "SIMCACHE_REDIS_URL) to measure Redis itself.")
    if not can_start_private_server():
        return ("ℹ️ The course never sets maxmemory on your server (an allkeys policy "
                "would evict your own keys too) and found no redis-server on PATH to start "
                "a separate one: these are the simulator's figures only.")
    return ""


def _config_set(lab: Lab, name: str, value: Any) -> None:
    """CONFIG SET, only on a private server the course started (ValueError otherwise)."""
    lab.require_own_server(f"CONFIG SET {name}")
    lab.client.config_set(name, value)


def _quiet_latency_tracking(lab: Lab) -> None:
    """Stop Redis 7 allocating a latency histogram per command while we size maxmemory.

    Each histogram takes about 20 kB the first time its command runs (and again after
    CONFIG RESETSTAT): memory that would otherwise appear in the middle of a run and
    evict keys the sizing counted on. Older servers have no such setting.
    """
    lab.require_own_server("CONFIG SET latency-tracking")
    with contextlib.suppress(Exception):
        lab.client.config_set("latency-tracking", "no")


def _bytes_per_key(lab: Lab, count: int, value_bytes: int) -> float:
    """used_memory per key of ``value_bytes``, measured by loading ``count`` keys."""
    ids = range(count)
    # One round first: the allocator and the script cache settle, and stay settled.
    cache_aside_load(lab, ids, value_bytes=value_bytes, name="calibrate")
    lab.cleanup()
    base = lab.info("memory")["used_memory"]
    cache_aside_load(lab, ids, value_bytes=value_bytes, name="calibrate")
    per_key = (lab.info("memory")["used_memory"] - base) / count
    lab.cleanup()
    return per_key


def _evict_once(lab: Lab, times: Sequence[float], sequence: Sequence[int], policy: str,
                shape: dict[str, Any], capacity: int, bytes_per_key: float,
                value_bytes: int) -> EvictionRun:
    lab.require_own_server("maxmemory eviction")
    r = lab.client
    lab.cleanup()
    base = lab.info("memory")["used_memory"]
    maxmemory = int(base + capacity * bytes_per_key)
    _config_set(lab, "maxmemory-policy", policy)
    _config_set(lab, "maxmemory", maxmemory)
    # Differences of the INFO counters, not CONFIG RESETSTAT: nothing else uses this
    # server, so the difference is exact, and no memory is freed and regrown meanwhile.
    before = _stats(lab) or {}
    replayed = cache_aside_replay(lab, sequence, times, warmup=shape["warmup_requests"],
                                  value_bytes=value_bytes, name="zipf")
    after = _stats(lab) or {}
    idle: tuple[int, ...] = ()
    if policy != "allkeys-lfu":  # under LFU, OBJECT IDLETIME is refused
        sample = [k for _, k in zip(range(300), lab.scan("zipf:*"), strict=False)]
        pipe = r.pipeline(transaction=False)
        for k in sample:
            pipe.object("idletime", k)
        idle = tuple(sorted({int(x) for x in pipe.execute(raise_on_error=False)
                             if isinstance(x, int)}))
    _config_set(lab, "maxmemory", 0)
    lab.cleanup()
    held = round(replayed.mean_keys)
    simulated = simulator_scenario(**shape, capacity=held, policy=SIMULATOR_POLICY[policy])
    exact = random_ = None
    if policy == "allkeys-lru":
        exact = run(simulated.with_values({"tiers.0.lru_clock_ms": 0.0})).summary["hit_ratio"]
        random_ = run(simulated.with_values({"tiers.0.eviction": "random"})
                      ).summary["hit_ratio"]
    evicted = after.get("evicted_keys", 0) - before.get("evicted_keys", 0) if after else None
    return EvictionRun(policy, SIMULATOR_POLICY[policy], shape["rate_rps"], simulated,
                       run(simulated).summary["hit_ratio"], held, replayed.hit_ratio,
                       replayed.seconds, 1000.0 * replayed.max_late_s, maxmemory, evicted,
                       idle, exact, random_)
