"""Redis data structures on a live lab: a string with expiry, a hash against a JSON string
(memory, encoding, partial reads), a set of online users, a sorted-set leaderboard, and the
``OBJECT ENCODING`` check used by an exercise.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .connection import Lab
from .steps import Step, _steps_table

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


# -- strings with expiry ------------------------------------------------------------------
@dataclass(frozen=True)
class ExpiryDemo:
    """A string set with an expiry, read before and after it expires."""

    steps: tuple[Step, ...]
    ttl_s: int
    waited_s: float
    #: How much INFO stats' ``expired_keys`` grew across the demo (server-wide, so other
    #: clients' keys count too); None where INFO is missing (fakeredis).
    expired_keys: int | None = None

    def table(self) -> pd.DataFrame:
        if self.expired_keys is None:
            counter = Step("INFO stats: expired_keys", "n/a (no INFO)",
                           "fakeredis has no INFO; a real Redis counts the expired key here")
        else:
            counter = Step("INFO stats: expired_keys", self.expired_keys,
                           "growth while the demo ran: keys removed because their TTL ran "
                           "out (server-wide)")
        return _steps_table((*self.steps, counter))


def expiry_demo(lab: Lab, ttl_s: int = 1, name: str = "greeting") -> ExpiryDemo:
    """``SET … EX``, ``GET``, ``TTL``; wait until the key expires; read it again.

    The first three commands go in one ``MULTI``/``EXEC`` so that a slow moment on the
    client cannot pass between them; ``waited_s`` counts from before the ``SET``.
    """
    r, key = lab.client, lab.key(name)
    before = lab.info("stats")
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
    after = lab.info("stats")
    expired = (None if before is None or after is None else
               int(after.get("expired_keys", 0)) - int(before.get("expired_keys", 0)))
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
    return ExpiryDemo(tuple(steps), ttl_s, waited, expired)


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


def hash_vs_json(lab: Lab, user: dict[str, str] | None = None,
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


def online_users(lab: Lab, name: str = "online") -> StepsDemo:
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


def leaderboard(lab: Lab, name: str = "board") -> StepsDemo:
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


# -- exercise checks on live data -------------------------------------------------------------
def encoding_of(lab: Lab, name: str, typical: str) -> str:
    """``OBJECT ENCODING`` of a key under the prefix, or ``typical`` where it is missing."""
    if lab.supports("object encoding"):
        return lab.client.object("encoding", lab.key(name))
    return typical


# -- hash encodings: limits, field names, and no way back -----------------------------------
#: Redis 7's defaults for the two limits (``config.c`` and the sample ``redis.conf``),
#: shown where CONFIG GET is not available.
DEFAULT_HASH_LIMITS = {"hash-max-listpack-entries": 512, "hash-max-listpack-value": 64}


def hash_limits(lab: Lab) -> tuple[dict[str, int], bool]:
    """The server's ``hash-max-listpack-entries`` and ``-value`` (read-only CONFIG GET),
    and whether they were read; Redis 7's defaults where CONFIG is missing or forbidden."""
    config: dict[str, int] = {}
    if lab.supports("config"):
        try:
            for setting in DEFAULT_HASH_LIMITS:
                config.update({k: int(v) for k, v in lab.client.config_get(setting).items()
                               if k == setting})
        except Exception:  # managed services rename or forbid CONFIG
            config = {}
    if len(config) == len(DEFAULT_HASH_LIMITS):
        return config, True
    return dict(DEFAULT_HASH_LIMITS), False


@dataclass(frozen=True)
class HashEncodingDemo:
    """A hash's encoding as it grows past a limit and shrinks back below it."""

    limits: dict[str, int]
    limits_measured: bool       # False: CONFIG GET unavailable, ``limits`` are the defaults
    steps: tuple[Step, ...]
    measured: bool              # False: no OBJECT ENCODING, the encodings are typical values

    def table(self) -> pd.DataFrame:
        return _steps_table(self.steps)


def hash_encoding_demo(lab: Lab, name: str = "enc") -> HashEncodingDemo:
    """OBJECT ENCODING of a hash: small; with a long value; after HDEL of that value;
    and a hash whose only long string is a field *name*.

    Both the field name and the value must fit ``hash-max-listpack-value``; once a hash
    has become a ``hashtable`` it stays one when it shrinks (``t_hash.c`` converts only
    from listpack to hashtable).
    """
    r, key, other = lab.client, lab.key(name), lab.key(f"{name}:by-field-name")
    limits, limits_measured = hash_limits(lab)
    long = limits["hash-max-listpack-value"] + 1
    measured = lab.supports("object encoding")

    def encoding(k: str, typical: str) -> str:
        return r.object("encoding", k) if measured else f"{typical} (typical)"

    r.delete(key, other)
    steps = []
    r.hset(key, mapping={"name": "Grace", "city": "Arlington"})
    r.expire(key, lab.safety_ttl_s)
    steps.append(Step(f"HSET {name} name … city …", encoding(key, "listpack"),
                      "2 short fields"))
    r.hset(key, "bio", "b" * long)
    steps.append(Step(f"HSET {name} bio <{long} bytes>", encoding(key, "hashtable"),
                      f"a value over {long - 1} bytes"))
    r.hdel(key, "bio")
    steps.append(Step(f"HDEL {name} bio", encoding(key, "hashtable"),
                      f"small again ({r.hlen(key)} short fields), still a hash table "
                      "(until the key is rebuilt)"))
    r.hset(other, "f" * long, "1")
    r.expire(other, lab.safety_ttl_s)
    steps.append(Step(f"HSET {name}:by-field-name <{long}-byte field> 1",
                      encoding(other, "hashtable"), "the field name counts too"))
    r.delete(key, other)
    return HashEncodingDemo(limits, limits_measured, tuple(steps), measured)
