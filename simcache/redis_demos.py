"""Small, tested demonstrations on a live Redis (or fakeredis) for the course notebooks.

Each function takes a :class:`~simcache.redis_lab.Lab`, writes only keys under its
prefix, and returns plain data (dataclasses with a ``table()`` for display) rather than
printing. Where fakeredis lacks a command (INFO, MEMORY USAGE, OBJECT ENCODING,
maxmemory eviction), the result says so and carries typical figures from a real Redis
instead. Notebook 07 shows all of them; later notebooks reuse the pub/sub invalidation,
the lock stampede and the INFO hit ratio.

Every key a demonstration writes carries the lab's safety expiry (``lab.safety_ttl_s``) or
a shorter one; the one demonstration that needs a key without expiry deletes it right after
reading its TTL. Server settings are changed only on a private server the course started
(:meth:`~simcache.redis_lab.Lab.require_own_server`).
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import redis_lab
from .analysis.replay import replay
from .model.workload import requests as request_stream
from .scenario import Workload

#: Redis ``maxmemory-policy`` → the simulator's policy that models it.
SIMULATOR_POLICY = {
    "allkeys-lru": "redis-lru",
    "allkeys-lfu": "lfu",
    "allkeys-random": "random",
}

#: A small hash's compact encoding: ``listpack`` since Redis 7, ``ziplist`` before.
COMPACT_HASH_ENCODINGS = ("listpack", "ziplist")
#: hash-max-listpack-value (hash-max-ziplist-value before Redis 7): longer values make a
#: hash a real hash table.
HASH_MAX_COMPACT_VALUE_BYTES = 64

#: What a real Redis 7 on 64-bit Linux typically reports for :func:`hash_vs_json`, shown
#: where fakeredis cannot measure. Typical values, not measurements: versions, allocators
#: and settings move them; the bio rows were measured with bios of 100 and of 40 characters.
TYPICAL_REAL_REDIS: dict[str, dict[str, Any]] = {
    "user as JSON string (6 short fields)": {"encoding": "raw", "memory_bytes": 232},
    "user as hash (6 short fields)": {"encoding": "listpack (ziplist before Redis 7)",
                                      "memory_bytes": 200},
    "user+bio as JSON string (bio over 64 chars)": {"encoding": "raw", "memory_bytes": 344},
    "user+bio as hash (bio over 64 chars)": {"encoding": "hashtable", "memory_bytes": 672},
    "user+bio as JSON string (bio of 64 chars or fewer)": {"encoding": "raw",
                                                           "memory_bytes": 312},
    "user+bio as hash (bio of 64 chars or fewer)": {
        "encoding": "listpack (ziplist before Redis 7)", "memory_bytes": 280},
}

# Cache-aside in one server-side step: read the key; on a miss, store a value of ARGV[1]
# bytes. Running it pipelined replays a long key sequence in few round trips, and the
# server counts the GET in INFO keyspace_hits / keyspace_misses as for a client GET.
# ARGV[2] is the key's expiry in seconds (the lab's safety TTL).
CACHE_ASIDE_LUA = """
if redis.call('GET', KEYS[1]) then return 1 end
redis.call('SET', KEYS[1], string.rep('v', tonumber(ARGV[1])), 'EX', tonumber(ARGV[2]))
return 0
"""


@dataclass(frozen=True)
class Step:
    """One command of a demonstration and what the server answered."""

    command: str
    result: Any
    note: str = ""


def _steps_table(steps: Sequence[Step]) -> pd.DataFrame:
    return pd.DataFrame([{"command": s.command, "result": _show(s.result), "note": s.note}
                         for s in steps])


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) or value is None else str(value)


# -- strings with expiry ------------------------------------------------------------------
@dataclass(frozen=True)
class ExpiryDemo:
    """A string set with an expiry, read before and after it expires."""

    steps: tuple[Step, ...]
    ttl_s: int
    waited_s: float

    def table(self) -> pd.DataFrame:
        return _steps_table(self.steps)


def expiry_demo(lab: redis_lab.Lab, ttl_s: int = 1, name: str = "greeting") -> ExpiryDemo:
    """``SET … EX``, ``GET``, ``TTL``; wait until the key expires; read it again.

    The first three commands go in one ``MULTI``/``EXEC`` so that a slow moment on the
    client cannot pass between them; ``waited_s`` counts from before the ``SET``.
    """
    r, key = lab.client, lab.key(name)
    start = time.perf_counter()
    pipe = r.pipeline(transaction=True)
    pipe.set(key, "hello", ex=ttl_s).get(key).ttl(key)
    stored, value, ttl = pipe.execute()
    steps = [
        Step(f"SET {name} 'hello' EX {ttl_s}", stored, "stored, with a time to live"),
        Step(f"GET {name}", value, "a hit while the key lives"),
        Step(f"TTL {name}", ttl, "seconds left, rounded to the nearest second"),
    ]
    deadline = start + ttl_s + 30.0  # the server expires it after ttl_s; this is a backstop
    while r.exists(key) and time.perf_counter() < deadline:
        time.sleep(0.05)
    waited = time.perf_counter() - start
    steps += [
        Step(f"(wait {waited:.2f} s)", None, "the expiry passes"),
        Step(f"GET {name}", r.get(key), "a miss: the key is gone"),
        Step(f"TTL {name}", r.ttl(key), "-2 means the key does not exist"),
    ]
    # A key without expiry lives only for the next command: deleted right after its TTL.
    pipe = r.pipeline(transaction=True)
    pipe.set(key, "hello").ttl(key).delete(key)
    stored, ttl, _ = pipe.execute()
    steps += [
        Step(f"SET {name} 'hello'", stored, "no EX this time"),
        Step(f"TTL {name}", ttl, "-1 means it never expires (the demo deletes it now)"),
    ]
    return ExpiryDemo(tuple(steps), ttl_s, waited)


# -- hashes against JSON strings ----------------------------------------------------------
SAMPLE_USER = {
    "name": "Ada Lovelace", "email": "ada@example.com", "language": "en",
    "plan": "pro", "country": "UK", "last_login": "2024-05-01T10:00:00Z",
}


@dataclass(frozen=True)
class HashVsJson:
    """The same objects stored as a JSON string and as a hash: memory and partial reads."""

    rows: tuple[dict[str, Any], ...]
    measured: bool
    note: str

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows))


def hash_vs_json(lab: redis_lab.Lab, user: dict[str, str] | None = None,
                 bio_chars: int = 100) -> HashVsJson:
    """Store ``user`` (and the same user with a long bio) both ways and compare.

    Reports, per representation: the bytes a partial read of ``email`` transfers (the
    whole JSON document with ``GET``, one field with ``HGET``), and where the server has
    them, ``MEMORY USAGE`` and ``OBJECT ENCODING``. A small hash is stored compactly
    (listpack; ziplist before Redis 7); one value longer than ``hash-max-listpack-value``
    (64 bytes by default) turns it into a real hash table, which costs more memory than
    the JSON string.
    """
    r = lab.client
    user = dict(user or SAMPLE_USER)
    objects = {
        "user": user,
        "user+bio": {**user, "bio": "x" * bio_chars},
    }
    measured = lab.supports("memory usage") and lab.supports("object encoding")
    rows = []
    for label, obj in objects.items():
        jkey, hkey = lab.key(f"json:{label}"), lab.key(f"hash:{label}")
        r.set(jkey, json.dumps(obj), ex=lab.safety_ttl_s)
        r.hset(hkey, mapping=obj)
        r.expire(hkey, lab.safety_ttl_s)
        email_hash = r.hget(hkey, "email")
        for kind, key, read, read_bytes in (
                ("JSON string", jkey, "GET + json.loads", len(r.get(jkey).encode())),
                ("hash", hkey, "HGET email", len(email_hash.encode()))):
            row: dict[str, Any] = {"object": label, "stored as": kind,
                                   "fields": len(obj), "partial read": read,
                                   "bytes read for email": read_bytes}
            if measured:
                row["encoding"] = r.object("encoding", key)
                row["memory bytes"] = r.memory_usage(key, samples=0)
            else:
                typical = TYPICAL_REAL_REDIS[_typical_label(label, kind, bio_chars)]
                row["encoding"] = f"{typical['encoding']} (typical)"
                row["memory bytes"] = f"~{typical['memory_bytes']} (typical)"
            rows.append(row)
        r.delete(jkey, hkey)
    note = "" if measured else (lab.gap("memory usage") or "")
    return HashVsJson(tuple(rows), measured, note)


def _typical_label(label: str, kind: str, bio_chars: int) -> str:
    """The TYPICAL_REAL_REDIS row for an object: a bio over 64 bytes makes a hash table."""
    stored = "hash" if kind == "hash" else "JSON string"
    if label != "user+bio":
        return f"user as {stored} (6 short fields)"
    shape = ("bio over 64 chars" if bio_chars > HASH_MAX_COMPACT_VALUE_BYTES
             else "bio of 64 chars or fewer")
    return f"user+bio as {stored} ({shape})"


# -- sets and sorted sets -------------------------------------------------------------------
@dataclass(frozen=True)
class StepsDemo:
    """A short sequence of commands on one data structure."""

    steps: tuple[Step, ...]
    key: str

    def table(self) -> pd.DataFrame:
        return _steps_table(self.steps)


def online_users(lab: redis_lab.Lab, name: str = "online") -> StepsDemo:
    """A set of online users: add, add again (no duplicate), remove, count, members."""
    r, key = lab.client, lab.key(name)
    r.delete(key)
    added = r.sadd(key, "alice", "bob", "carol")
    r.expire(key, lab.safety_ttl_s)
    steps = (
        Step(f"SADD {name} alice bob carol", added, "members added"),
        Step(f"SADD {name} alice", r.sadd(key, "alice"), "0: alice was already in"),
        Step(f"SREM {name} carol", r.srem(key, "carol"), "carol logged out"),
        Step(f"SCARD {name}", r.scard(key), "how many are online, in O(1)"),
        Step(f"SISMEMBER {name} bob", bool(r.sismember(key, "bob")), "is bob online?"),
        Step(f"SMEMBERS {name}", sorted(r.smembers(key)), "no order: sorted here for display"),
    )
    return StepsDemo(steps, key)


def leaderboard(lab: redis_lab.Lab, name: str = "board") -> StepsDemo:
    """A sorted-set leaderboard: add scores, increment one, top N, rank and score."""
    r, key = lab.client, lab.key(name)
    r.delete(key)
    scores = {"mira": 2300, "tom": 1850, "ines": 2050, "raj": 1400}
    added = r.zadd(key, scores)
    r.expire(key, lab.safety_ttl_s)
    steps = (
        Step(f"ZADD {name} " + " ".join(f"{v} {k}" for k, v in scores.items()),
             added, "members added with their scores"),
        Step(f"ZINCRBY {name} 600 tom", r.zincrby(key, 600, "tom"), "tom won a tournament"),
        Step(f"ZREVRANGE {name} 0 2 WITHSCORES",
             [(m, int(s)) for m, s in r.zrevrange(key, 0, 2, withscores=True)],
             "top 3, highest first"),
        Step(f"ZREVRANK {name} ines", r.zrevrank(key, "ines"), "0-based rank from the top"),
        Step(f"ZSCORE {name} raj", r.zscore(key, "raj"), "one member's score"),
        Step(f"ZCARD {name}", r.zcard(key), "players on the board"),
    )
    return StepsDemo(steps, key)


# -- pipelining -----------------------------------------------------------------------------
#: On a server with maxmemory, :func:`pipelining` spreads its SETs over this many keys.
PIPELINE_KEYS_UNDER_MAXMEMORY = 100


@dataclass(frozen=True)
class PipelineResult:
    """The same commands sent one per round trip and pipelined, timed on the connection."""

    commands: int
    batch: int
    plain_round_trips: int
    pipelined_round_trips: int
    plain_s: float
    pipelined_s: float
    fake: bool
    distinct_keys: int = 0  # keys written (fewer than commands on a server with maxmemory)
    note: str = ""

    @property
    def speedup(self) -> float:
        return self.plain_s / self.pipelined_s if self.pipelined_s > 0 else math.inf

    @property
    def round_trip_us(self) -> float:
        """Mean time of one command sent on its own, in microseconds."""
        return self.plain_s / self.commands * 1e6

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"how": "one command per round trip", "commands": self.commands,
             "round trips": self.plain_round_trips, "wall clock ms": self.plain_s * 1e3},
            {"how": f"pipelined, {self.batch} per batch", "commands": self.commands,
             "round trips": self.pipelined_round_trips, "wall clock ms": self.pipelined_s * 1e3},
        ]).round({"wall clock ms": 1})


def pipelining(lab: redis_lab.Lab, commands: int = 2000, batch: int = 500,
               name: str = "pipe") -> PipelineResult:
    """Time ``commands`` SETs (with EX) sent one by one, then pipelined in batches.

    Each plain command waits for its reply before the next is sent: one network round
    trip each. A pipeline sends a whole batch and reads all the replies at once. The round
    trips are counted as they are made. On a server with maxmemory (see
    :attr:`~simcache.redis_lab.Lab.memory_limit`) the SETs reuse at most
    ``PIPELINE_KEYS_UNDER_MAXMEMORY`` keys: the same commands and round trips, a fraction
    of the memory.
    """
    if commands < 1 or batch < 1:
        raise ValueError(f"commands = {commands!r}, batch = {batch!r}: both must be >= 1")
    r = lab.client
    note = ""
    distinct = commands
    if lab.memory_limit is not None and commands > PIPELINE_KEYS_UNDER_MAXMEMORY:
        distinct = PIPELINE_KEYS_UNDER_MAXMEMORY
        note = (f"ℹ️ Your server has {lab.memory_limit.short}: the {commands:,} SETs reuse "
                f"{distinct} keys, so the demo adds only a few kB.")
    keys = [lab.key(f"{name}:{i % distinct}") for i in range(commands)]
    r.ping()  # open the connection before timing
    plain_trips = pipelined_trips = 0
    start = time.perf_counter()
    for key in keys:
        r.set(key, "x", ex=60)
        plain_trips += 1
    plain_s = time.perf_counter() - start
    unique = keys[:distinct]
    _delete(r, unique)
    start = time.perf_counter()
    for i in range(0, commands, batch):
        pipe = r.pipeline(transaction=False)
        for key in keys[i:i + batch]:
            pipe.set(key, "x", ex=60)
        pipe.execute()
        pipelined_trips += 1
    pipelined_s = time.perf_counter() - start
    stored = _delete(r, unique)
    if stored != distinct:  # both ways must have done the same work
        raise RuntimeError(f"pipelining: {stored} of {distinct} keys were stored")
    return PipelineResult(commands, batch, plain_trips, pipelined_trips, plain_s,
                          pipelined_s, lab.is_fake, distinct, note)


def _delete(r: Any, keys: Sequence[str], chunk: int = 1000) -> int:
    """DEL the named keys, ``chunk`` per command; return how many existed."""
    return sum(int(r.delete(*keys[i:i + chunk])) for i in range(0, len(keys), chunk))


# -- the lock stampede ------------------------------------------------------------------------
#: The loader waits at most this long for every thread's first read (see :func:`stampede`).
ALL_MISSED_WAIT_S = 5.0


@dataclass(frozen=True)
class StampedeResult:
    """N threads miss the same key at once; how many ran the slow loader."""

    threads: int
    use_lock: bool
    loads: int
    outcomes: tuple[str, ...]   # per thread: "loaded", "waited" (then read the cache), "hit"
    waits_s: tuple[float, ...]  # per thread: seconds until it had the value
    wall_s: float
    load_s: float
    same_value: bool

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"thread": range(self.threads), "outcome": self.outcomes,
                             "seconds to value": [round(w, 3) for w in self.waits_s]})

    def summary(self) -> dict[str, Any]:
        return {"threads": self.threads, "lock": self.use_lock, "loads": self.loads,
                "slowest thread s": round(max(self.waits_s), 3),
                "wall clock s": round(self.wall_s, 3), "all got the same value": self.same_value}


def stampede(lab: redis_lab.Lab, threads: int = 8, *, use_lock: bool = True,
             load_s: float = 0.2, name: str = "report:daily") -> StampedeResult:
    """Cache-aside with ``threads`` concurrent misses on one key, with or without a lock.

    Without the lock every thread that missed loads. With redis-py's ``Lock`` (``SET NX``
    with an expiry, released by a Lua script that checks the owner's token), the first
    thread loads and stores; the others wait for the lock, read the key again, and find it.
    A stampede is many readers missing at the same moment, so the loader also waits (up to
    ``ALL_MISSED_WAIT_S``) until every thread has made its first read: a thread the
    machine started late still misses instead of finding the value already stored.
    """
    if threads < 1:
        raise ValueError(f"threads = {threads!r}: must be >= 1")
    r, key, lock_name = lab.client, lab.key(name), lab.key(f"{name}:loading")
    r.delete(key, lock_name)
    counter = threading.Lock()
    loads = first_reads = 0
    everyone_read = threading.Event()
    # timeout: the lock's own expiry, so a crashed holder cannot block forever;
    # blocking_timeout: how long a waiter waits before giving up.
    patience = 10 * load_s + ALL_MISSED_WAIT_S + 5

    def slow_load() -> str:
        nonlocal loads
        with counter:
            loads += 1
            n = loads
        everyone_read.wait(ALL_MISSED_WAIT_S)
        time.sleep(load_s)  # the expensive database query
        return json.dumps({"report": "daily", "rows": 1250, "load": n})

    def first_read() -> str | None:
        nonlocal first_reads
        value = r.get(key)
        with counter:
            first_reads += 1
            if first_reads == threads:
                everyone_read.set()
        return value

    def read() -> tuple[str, str]:
        value = first_read()
        if value is not None:
            return value, "hit"
        if not use_lock:
            value = slow_load()
            r.set(key, value, ex=60)
            return value, "loaded"
        with r.lock(lock_name, timeout=patience, blocking_timeout=patience, sleep=0.01):
            value = r.get(key)  # someone may have loaded it while we waited
            if value is not None:
                return value, "waited"
            value = slow_load()
            r.set(key, value, ex=60)
            return value, "loaded"

    barrier = threading.Barrier(threads)
    results: list[tuple[str, str, float] | BaseException | None] = [None] * threads

    def worker(i: int) -> None:
        try:
            barrier.wait()
            t0 = time.perf_counter()
            value, outcome = read()
            results[i] = (value, outcome, time.perf_counter() - t0)
        except BaseException as error:  # reported in the caller's thread
            results[i] = error

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    for item in results:
        if isinstance(item, BaseException):
            raise item
    done = [item for item in results if isinstance(item, tuple)]
    r.delete(key, lock_name)
    return StampedeResult(threads, use_lock, loads, tuple(o for _, o, _ in done),
                          tuple(w for _, _, w in done), wall, load_s,
                          len({v for v, _, _ in done}) == 1)


# -- pub/sub invalidation -------------------------------------------------------------------
@dataclass(frozen=True)
class InvalidationEvent:
    """One step of the pub/sub invalidation story."""

    step: int
    app: str
    action: str
    value: str | None
    note: str


@dataclass(frozen=True)
class InvalidationDemo:
    """A writer publishes each change; subscribed readers drop their local copies."""

    events: tuple[InvalidationEvent, ...]
    receivers: int          # what PUBLISH returned: subscribers that got the message
    dropped: int            # local copies the readers dropped
    delivery_ms: float      # publish → the last reader has dropped its copy
    stale_before: bool      # a reader served the old value before the message arrived
    fresh_after: bool       # every reader served the new value after it

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{**e.__dict__, "value": "" if e.value is None else e.value}
                             for e in self.events])


_ABSENT = object()


class LocalCache:
    """An app's in-process copy of Redis values, invalidated by a pub/sub channel."""

    def __init__(self, client: Any, channel: str, name: str):
        self.client, self.channel, self.name = client, channel, name
        self.copy: dict[str, str | None] = {}
        self.pubsub = client.pubsub(ignore_subscribe_messages=False)
        self.pubsub.subscribe(channel)
        self._confirm()

    def _confirm(self, timeout_s: float = 5.0) -> None:
        # SUBSCRIBE is only active once the server has confirmed it; a PUBLISH sent
        # before that would not reach this app.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.1)
            if message and message["type"] == "subscribe":
                return
        raise TimeoutError(f"{self.name}: no subscribe confirmation on {self.channel}")

    def get(self, key: str) -> tuple[str | None, str]:
        if key in self.copy:
            return self.copy[key], "local copy"
        value = self.client.get(key)
        self.copy[key] = value
        return value, "read from Redis"

    def drain(self, timeout_s: float = 2.0, expect: int = 1) -> int:
        """Process invalidation messages; return how many keys were dropped."""
        dropped = 0
        deadline = time.monotonic() + timeout_s
        while dropped < expect and time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.05)
            if (message and message["type"] == "message"
                    and self.copy.pop(message["data"], _ABSENT) is not _ABSENT):
                dropped += 1
        return dropped

    def close(self) -> None:
        self.pubsub.close()


def pubsub_invalidation(lab: redis_lab.Lab, readers: int = 1,
                        name: str = "price:42") -> InvalidationDemo:
    """App A writes and publishes the key; ``readers`` other apps drop their local copy.

    Each reader is a separate client with its own local dict and its own subscription,
    as separate processes would be. Without the message a reader keeps serving its old
    copy; pub/sub is fire-and-forget, so a reader that is disconnected at that moment
    misses the message (a TTL on local copies bounds the damage).
    """
    if readers < 1:
        raise ValueError(f"readers = {readers!r}: must be >= 1")
    writer, key, channel = lab.client, lab.key(name), lab.channel("invalidate")
    writer.set(key, "10.00", ex=300)
    clients = [lab.new_client() for _ in range(readers)]
    apps = [LocalCache(c, channel, f"B{i + 1}") for i, c in enumerate(clients)]
    events: list[InvalidationEvent] = []

    def log(app: str, action: str, value: str | None, note: str) -> None:
        events.append(InvalidationEvent(len(events) + 1, app, action, value, note))

    try:
        with lab.guard():
            for app in apps:
                value, how = app.get(key)
                log(app.name, f"GET {name}", value, how)
            writer.set(key, "12.50", ex=300)
            log("A", f"SET {name} '12.50'", "12.50", "the price changes in Redis")
            stale = [app.get(key) for app in apps]
            for app, (value, how) in zip(apps, stale, strict=True):
                log(app.name, f"GET {name}", value, f"{how}: stale until told")
            t0 = time.perf_counter()
            receivers = writer.publish(channel, key)
            log("A", f"PUBLISH invalidate {name}", None, f"{receivers} subscriber(s) told")
            dropped = sum(app.drain() for app in apps)
            delivery_ms = (time.perf_counter() - t0) * 1e3
            for app in apps:
                log(app.name, "message received", None, f"drops its copy of {name}")
            fresh = [app.get(key) for app in apps]
            for app, (value, how) in zip(apps, fresh, strict=True):
                log(app.name, f"GET {name}", value, how)
    finally:
        for app in apps:
            app.close()
        for c in clients:
            c.close()
        writer.delete(key)
    return InvalidationDemo(
        tuple(events), int(receivers), dropped, delivery_ms,
        stale_before=all(v == "10.00" for v, _ in stale),
        fresh_after=all(v == "12.50" for v, _ in fresh))


# -- key sequences and cache-aside replay -----------------------------------------------------
def zipf_keys(keys: int, requests: int, zipf_alpha: float = 1.0, seed: int = 7) -> list[int]:
    """The simulator's own request sequence: key ids drawn by Zipf popularity."""
    workload = Workload(keys=keys, requests=requests, warmup_requests=0,
                        zipf_alpha=zipf_alpha)
    return [k for chunk in request_stream(workload, seed) for k in chunk.keys]


def cache_aside_load(lab: redis_lab.Lab, sequence: Iterable[int], *, value_bytes: int = 100,
                     name: str = "item", batch: int = 200, pace_s: float = 0.0) -> int:
    """Replay ``sequence`` as GET-then-SET-on-miss on the server; return the hits.

    Runs :data:`CACHE_ASIDE_LUA` pipelined ``batch`` at a time; every key it stores
    expires after ``lab.safety_ttl_s``. ``pace_s`` > 0 spreads the replay evenly over that
    many seconds of wall-clock time.
    """
    r = lab.client
    script = r.register_script(CACHE_ASIDE_LUA)
    keys = [lab.key(f"{name}:{k}") for k in sequence]
    hits = 0
    start = time.perf_counter()
    with lab.guard():
        for i in range(0, len(keys), batch):
            pipe = r.pipeline(transaction=False)
            for key in keys[i:i + batch]:
                script(keys=[key], args=[value_bytes, lab.safety_ttl_s], client=pipe)
            hits += sum(int(x) for x in pipe.execute())
            if pace_s > 0:
                ahead = start + pace_s * min(len(keys), i + batch) / len(keys) - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)
    return hits


# -- INFO hit ratio -----------------------------------------------------------------------
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


def _stats(lab: redis_lab.Lab) -> dict[str, Any] | None:
    info = lab.info("stats")
    return None if info is None else {k: int(info.get(k, 0)) for k in
                                      ("keyspace_hits", "keyspace_misses", "evicted_keys")}


def info_hit_ratio(lab: redis_lab.Lab, requests: int = 3000, keys: int = 1000,
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


def _config_get(lab: redis_lab.Lab, *names: str) -> dict[str, str]:
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


# -- maxmemory eviction against the simulator ------------------------------------------------
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


def eviction_vs_simulator(lab: redis_lab.Lab, *, keys: int = 2000, requests: int = 6000,
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
    with redis_lab.private_lab() as server:
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


def _why_no_eviction_server(lab: redis_lab.Lab) -> str:
    if lab.is_fake:
        return ("ℹ️ fakeredis never evicts (it has no maxmemory): these are the simulator's "
                "figures only; this cell needs a real server (install redis-server or set "
                "SIMCACHE_REDIS_URL) to measure Redis itself.")
    if not redis_lab.can_start_private_server():
        return ("ℹ️ The course never sets maxmemory on your server (an allkeys policy "
                "would evict your own keys too) and found no redis-server on PATH to start "
                "a separate one: these are the simulator's figures only.")
    return ""


def _config_set(lab: redis_lab.Lab, name: str, value: Any) -> None:
    """CONFIG SET, only on a private server the course started (ValueError otherwise)."""
    lab.require_own_server(f"CONFIG SET {name}")
    lab.client.config_set(name, value)


def _quiet_latency_tracking(lab: redis_lab.Lab) -> None:
    """Stop Redis 7 allocating a latency histogram per command while we size maxmemory.

    Each histogram takes about 20 kB the first time its command runs (and again after
    CONFIG RESETSTAT): memory that would otherwise appear in the middle of a run and
    evict keys the sizing counted on. Older servers have no such setting.
    """
    lab.require_own_server("CONFIG SET latency-tracking")
    with contextlib.suppress(Exception):
        lab.client.config_set("latency-tracking", "no")


def _bytes_per_key(lab: redis_lab.Lab, count: int, value_bytes: int) -> float:
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


def _evict_once(lab: redis_lab.Lab, sequence: Sequence[int], policy: str, pace_s: float,
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


# -- a server that goes away ------------------------------------------------------------------
@dataclass(frozen=True)
class FailureDemo:
    """What a lab says when its server dies mid-session, and how it recovers."""

    steps: tuple[Step, ...]
    message: str
    note: str = ""

    def table(self) -> pd.DataFrame:
        return _steps_table(self.steps)


def server_failure_demo(lab: redis_lab.Lab) -> FailureDemo:
    """Kill a throwaway private redis-server under a lab, read the error, reconnect.

    Never touches ``lab``'s own server: a learner's Redis is not ours to stop, and
    fakeredis (in-process) cannot go away.
    """
    if lab.is_fake or not redis_lab.can_start_private_server():
        why = ("fakeredis runs inside Python and cannot go away" if lab.is_fake
               else "no redis-server on PATH to start a throwaway one")
        return FailureDemo((), "", f"ℹ️ Skipped: {why}. On a real server that stops, the next "
                                   "command raises RedisUnavailable with one line naming the "
                                   "server, and `lab.reconnect()` connects again.")
    with redis_lab.private_lab() as spare:
        r, key = spare.client, spare.key("greeting")
        steps = [Step("SET greeting 'hello'", r.set(key, "hello", ex=spare.safety_ttl_s),
                      "the server is up")]
        spare.server.process.kill()  # what a crash, an OOM kill or a closed laptop does
        spare.server.process.wait()
        steps.append(Step("(the redis-server process is killed)", None, ""))
        try:
            r.get(key)
            message = ""
        except redis_lab.RedisUnavailable as error:
            message = str(error)
        steps.append(Step("GET greeting", "RedisUnavailable", "one line, shown above"))
        spare.reconnect(quiet=True)
        steps.append(Step("lab.reconnect()", "PONG" if spare.ping() else "no answer",
                          "a fresh private server"))
        steps.append(Step("GET greeting", r.get(key), "no persistence: the key is gone"))
    return FailureDemo(tuple(steps), message)


# -- exercise checks on live data -------------------------------------------------------------
def encoding_of(lab: redis_lab.Lab, name: str, typical: str) -> str:
    """``OBJECT ENCODING`` of a key under the prefix, or ``typical`` where it is missing."""
    if lab.supports("object encoding"):
        return lab.client.object("encoding", lab.key(name))
    return typical
