"""Real ``maxmemory`` eviction on a separate private redis-server next to the simulator's
replay of the same Zipf sequence, and the measured reasons they differ.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..analysis.replay import replay
from .cache_aside import cache_aside_load, zipf_keys
from .connection import Lab, can_start_private_server, private_lab
from .monitoring import _stats

#: Redis ``maxmemory-policy`` → the simulator's policy that models it.
SIMULATOR_POLICY = {
    "allkeys-lru": "redis-lru",
    "allkeys-lfu": "lfu",
    "allkeys-random": "random",
}


@dataclass(frozen=True)
class EvictionRun:
    """One maxmemory-policy on a real server next to the simulator on the same sequence."""

    redis_policy: str
    simulator_policy: str
    pace_s: float                   # 0: as fast as the server goes
    load_s: float | None            # wall-clock seconds of the replay (None: not run)
    maxmemory_bytes: int | None
    keys_held: int                  # DBSIZE after the replay (the simulator's capacity)
    evicted_keys: int | None
    redis_hit_ratio: float | None   # from INFO keyspace_hits / keyspace_misses
    simulated_hit_ratio: float
    idle_seconds: tuple[int, ...] = ()  # distinct OBJECT IDLETIME values in a sample (LRU)
    random_hit_ratio: float | None = None  # simulator's ``random`` at the same capacity

    @property
    def difference_points(self) -> float | None:
        """Real minus simulated, in percentage points."""
        if self.redis_hit_ratio is None:
            return None
        return 100 * (self.redis_hit_ratio - self.simulated_hit_ratio)

    def describe(self) -> str:
        """One line: real against simulated, and the idle times Redis could see."""
        load = "as fast as possible" if not self.pace_s else f"paced over {self.pace_s:g} s"
        if self.redis_hit_ratio is None:
            return (f"{self.redis_policy} ({load}): needs a real server; simulator "
                    f"{self.simulator_policy}: {self.simulated_hit_ratio:.3f}")
        idle = ", ".join(str(i) for i in self.idle_seconds) or "not tracked"
        return (f"{self.redis_policy} ({load}): Redis {self.redis_hit_ratio:.3f}, simulator "
                f"{self.simulator_policy} {self.simulated_hit_ratio:.3f} "
                f"({self.difference_points:+.1f} points); idle seconds seen: {idle}")

    @property
    def turnover_s(self) -> float | None:
        """Seconds in which evictions replaced as many keys as the cache holds."""
        if not self.evicted_keys or not self.load_s:
            return None
        return self.keys_held / (self.evicted_keys / self.load_s)


@dataclass(frozen=True)
class EvictionComparison:
    """Real maxmemory eviction against ``simcache.replay`` on one Zipf key sequence."""

    runs: tuple[EvictionRun, ...]
    keys: int
    requests: int
    target_keys: int
    value_bytes: int
    bytes_per_key: float | None
    measured: bool
    server: str
    note: str
    #: The simulator's replay at exactly ``target_keys`` entries, per simulator policy
    #: (lru, redis-lru, lfu, random): what ``sc.run`` with one tier of that size compares to.
    reference: dict[str, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        rows = []
        for run in self.runs:
            rows.append({
                "maxmemory-policy": run.redis_policy,
                "load": "as fast as possible" if not run.pace_s else f"paced over {run.pace_s:g} s",
                "keys held": run.keys_held,
                "evicted_keys": run.evicted_keys,
                "Redis hit ratio": run.redis_hit_ratio,
                "simulator": run.simulator_policy,
                "simulated hit ratio": round(run.simulated_hit_ratio, 4),
                "difference (points)": (None if run.difference_points is None
                                        else round(run.difference_points, 2)),
            })
        frame = pd.DataFrame(rows)
        if "Redis hit ratio" in frame:
            frame["Redis hit ratio"] = frame["Redis hit ratio"].map(
                lambda x: "needs a real server" if x is None else round(x, 4))
        return frame

    def explain(self) -> str:
        """How close each policy came to the simulator, then :meth:`explain_lru` (Markdown).

        Every sentence is built from this comparison's own figures.
        """
        fast = [r for r in self.runs if not r.pace_s]
        if not self.measured:
            lines = [f"- `{r.redis_policy}`: needs a real server; the simulator's "
                     f"`{r.simulator_policy}` gives **{r.simulated_hit_ratio:.3f}**."
                     for r in fast]
            lines.append("- On a real server, `allkeys-lfu` and `allkeys-random` usually land "
                         "within a few points of the simulator; `allkeys-lru` is the one to "
                         "watch, for the reason below.")
            return "\n".join(lines) + "\n\n" + self.explain_lru()
        lines = []
        for r in fast:
            diff = r.difference_points or 0.0
            verdict = ("within 3 points of the simulator" if abs(diff) < 3 else
                       f"{'above' if diff > 0 else 'below'} the simulator by "
                       f"{abs(diff):.1f} points")
            lines.append(f"- `{r.redis_policy}`: Redis **{r.redis_hit_ratio:.3f}**, simulator "
                         f"`{r.simulator_policy}` **{r.simulated_hit_ratio:.3f}**: {verdict}.")
        return "\n".join(lines) + "\n\n" + self.explain_lru()

    def explain_lru(self) -> str:
        """Measured reasons for the gap between real allkeys-lru and the simulator (Markdown)."""
        runs = [r for r in self.runs if r.redis_policy == "allkeys-lru"
                and r.redis_hit_ratio is not None and not r.pace_s]
        if not runs:
            return ("The simulator's `redis-lru` samples 5 keys and evicts the one idle the "
                    "longest, as Redis does; on a real server its hit ratio is close when the "
                    "server's 1-second LRU clock can tell the keys' idle times apart.")
        run = runs[0]
        diff = run.difference_points or 0.0
        lines = [f"- Real `allkeys-lru`: **{run.redis_hit_ratio:.3f}**; simulator `redis-lru` "
                 f"with the same {run.keys_held} keys: **{run.simulated_hit_ratio:.3f}** "
                 f"({diff:+.1f} points)" + (": they agree within 3 points." if abs(diff) < 3
                                            else ".")]
        idle = ", ".join(str(i) for i in run.idle_seconds) or "n/a"
        ties = bool(run.idle_seconds) and max(run.idle_seconds) <= 1
        lines.append(f"- The whole replay took {run.load_s:.2f} s. Redis stamps each key with "
                     f"a clock that ticks once per second, and `OBJECT IDLETIME` of the keys "
                     f"left in the cache read: {idle} s. " +
                     ("They tie, so Redis had almost nothing to rank the sampled keys by."
                      if ties else "They are spread out, so Redis could rank them."))
        if run.turnover_s is not None:
            pace = ("many times within one tick of that clock" if run.turnover_s < 1 else
                    "slower than one tick of that clock")
            lines.append(f"- Evictions replaced the whole cache every {run.turnover_s:.3f} s "
                         f"({run.evicted_keys:,} evictions for {run.keys_held} keys): {pace}.")
        if run.random_hit_ratio is not None:
            lines.append(f"- Where stamps tie, sampled LRU is a random choice: the simulator's "
                         f"`random` on the same sequence and capacity gives "
                         f"**{run.random_hit_ratio:.3f}**, "
                         f"{round(100 * (run.redis_hit_ratio - run.random_hit_ratio), 1) + 0:+.1f}"
                         " points "
                         "from the real server.")
        return "\n".join(lines)

    def explain_pacing(self) -> str:
        """What pacing the ``allkeys-lru`` replay changed, from the measured runs (Markdown)."""
        lru = [r for r in self.runs if r.redis_policy == "allkeys-lru"
               and r.redis_hit_ratio is not None]
        fast = next((r for r in lru if not r.pace_s), None)
        paced = [r for r in lru if r.pace_s]
        if fast is None or not paced:
            return ("On a real server, spreading the replay over several seconds lets the keys' "
                    "idle times differ, and real `allkeys-lru` moves towards the simulator's "
                    "`redis-lru`.")

        def idle(run: EvictionRun) -> str:
            return ", ".join(str(i) for i in run.idle_seconds) or "n/a"

        fast_gap = fast.difference_points or 0.0
        lines = [f"- As fast as possible ({fast.load_s:.2f} s): idle times {idle(fast)} s, "
                 f"cache turned over every {fast.turnover_s or 0:.3f} s, "
                 f"gap to the simulator {fast_gap:+.1f} points."]
        for p in paced:
            gap = p.difference_points or 0.0
            lines.append(f"- Paced over {p.pace_s:g} s: idle times {idle(p)} s, cache turned "
                         f"over every {p.turnover_s or 0:.2f} s, gap {gap:+.1f} points.")
            if abs(gap) < abs(fast_gap):
                change = (f"The gap shrank from {abs(fast_gap):.1f} to {abs(gap):.1f} points: "
                          "the difference was the clock, not the policy.")
            else:
                change = (f"The gap did not shrink here ({abs(fast_gap):.1f} → {abs(gap):.1f} "
                          "points): on a busy machine the timing varies; run the cell again.")
            if p.turnover_s is not None and p.turnover_s < 1:
                change += (" Even paced, the cache turned over faster than once per second, so "
                           "many idle times still tie; a longer pace spreads them further.")
            lines.append(f"- {change}")
        return "\n".join(lines)

    def best_policy(self) -> str:
        """The maxmemory-policy with the highest hit ratio (measured if possible)."""
        fast = [r for r in self.runs if not r.pace_s]

        def score(run: EvictionRun) -> float:
            return run.redis_hit_ratio if run.redis_hit_ratio is not None \
                else run.simulated_hit_ratio

        return max(fast, key=score).redis_policy


def eviction_vs_simulator(lab: Lab, *, keys: int = 2000, requests: int = 6000,
                          capacity: int = 200, zipf_alpha: float = 1.0, value_bytes: int = 1000,
                          seed: int = 7, policies: Sequence[str] = tuple(SIMULATOR_POLICY),
                          pace_lru_s: float = 0.0) -> EvictionComparison:
    """Replay one Zipf sequence into a Redis with ``maxmemory`` and into the simulator.

    The server is a separate private redis-server (never the learner's own: with an
    ``allkeys-*`` policy a small maxmemory would evict their keys too). ``maxmemory`` is
    sized from the measured ``used_memory`` per key so that about ``capacity`` keys fit;
    the simulator then replays the same sequence with the number of keys the server
    actually held (DBSIZE). ``pace_lru_s`` > 0 adds an ``allkeys-lru`` run spread over
    that many seconds: Redis's LRU clock ticks once per second, so a replay that takes
    less than a second leaves every key with the same idle time.
    """
    for policy in policies:
        if policy not in SIMULATOR_POLICY:
            raise ValueError(f"policies: {policy!r} is not one of "
                             f"{', '.join(SIMULATOR_POLICY)}")
    sequence = zipf_keys(keys, requests, zipf_alpha, seed)
    reference = {p: replay(sequence, policy=p, capacity=capacity, seed=seed).hit_ratio
                 for p in ("lru", "redis-lru", "lfu", "random")}
    reason = _why_no_eviction_server(lab)
    if reason:
        runs = tuple(EvictionRun(p, SIMULATOR_POLICY[p], 0.0, None, None, capacity, None, None,
                                 replay(sequence, policy=SIMULATOR_POLICY[p],
                                        capacity=capacity, seed=seed).hit_ratio)
                     for p in policies)
        return EvictionComparison(runs, keys, len(sequence), capacity, value_bytes, None,
                                  False, "none", reason, reference)
    plan = [(p, 0.0) for p in policies]
    if pace_lru_s > 0 and "allkeys-lru" in policies:
        plan.append(("allkeys-lru", float(pace_lru_s)))
    with private_lab() as server:
        saved = server.client.config_get("maxmemory*")
        runs = []
        try:
            _quiet_latency_tracking(server)
            bytes_per_key = _bytes_per_key(server, capacity, value_bytes)
            for policy, pace in plan:
                runs.append(_evict_once(server, sequence, policy, pace, capacity,
                                        bytes_per_key, value_bytes, seed))
        finally:
            for name in ("maxmemory", "maxmemory-policy"):  # put back what we changed
                _config_set(server, name, saved[name])
        where = f"a separate private redis-server {server.version} on {server.server.address}"
    return EvictionComparison(tuple(runs), keys, len(sequence), capacity, value_bytes,
                              bytes_per_key, True, where, "", reference)


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


def _evict_once(lab: Lab, sequence: Sequence[int], policy: str, pace_s: float,
                capacity: int, bytes_per_key: float, value_bytes: int,
                seed: int) -> EvictionRun:
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
    start = time.perf_counter()
    cache_aside_load(lab, sequence, value_bytes=value_bytes, name="zipf", pace_s=pace_s)
    load_s = time.perf_counter() - start
    after = _stats(lab) or {}
    stats = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    held = int(r.dbsize())
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
    hits, misses = stats.get("keyspace_hits", 0), stats.get("keyspace_misses", 0)
    simulated = replay(sequence, policy=SIMULATOR_POLICY[policy], capacity=held,
                       seed=seed).hit_ratio
    tie_model = (replay(sequence, policy="random", capacity=held, seed=seed).hit_ratio
                 if policy == "allkeys-lru" else None)
    return EvictionRun(policy, SIMULATOR_POLICY[policy], pace_s, load_s, maxmemory, held,
                       stats.get("evicted_keys"), hits / (hits + misses) if hits + misses else
                       None, simulated, idle, tie_model)
