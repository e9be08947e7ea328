"""The real-Redis lab: which Redis the course uses, a safe connection to it, and the
demonstrations of notebook 07, one module per topic.

The choice (:mod:`.choice`), in order: ``SIMCACHE_REDIS_URL`` or ``REDIS_URL`` if set; else
a private ``redis-server`` on a free loopback port (:mod:`.server`) if the binary is on PATH;
else fakeredis, an in-process fake. ``plan()`` only decides; ``connect()``
(:mod:`.connection`) acts on the plan and returns a :class:`Lab` whose keys all carry a
per-session prefix and a safety expiry, whose ``cleanup()`` removes only those keys, and
which changes server settings only on a private server the course started itself.

Each demonstration takes a :class:`Lab`, writes only keys under its prefix, and returns plain
data (dataclasses with a ``table()`` for display) rather than printing. Where fakeredis lacks
a command (INFO, MEMORY USAGE, OBJECT ENCODING, maxmemory eviction), the result says so and
carries typical figures from a real Redis instead. Every key a demonstration writes carries
the lab's safety expiry (``lab.safety_ttl_s``) or a shorter one; the one demonstration that
needs a key without expiry deletes it right after reading its TTL. The topics:
:mod:`.structures` (strings with expiry, hashes against JSON, sets, sorted sets, encodings),
:mod:`.round_trips` (pipelining), :mod:`.locking` (the stampede and its lock),
:mod:`.pubsub` (invalidation), :mod:`.cache_aside` (Zipf key sequences replayed on the
server), :mod:`.monitoring` (the INFO hit ratio), :mod:`.eviction` (maxmemory against the
simulator) and :mod:`.failure` (a server that goes away). Notebook 07 shows all of them;
later notebooks reuse the pub/sub invalidation, the lock stampede and the INFO hit ratio.

redis and fakeredis are imported inside functions only, so importing this package is cheap.
"""

from __future__ import annotations

from .cache_aside import (
    CACHE_ASIDE_LUA,
    TimedReplay,
    cache_aside_load,
    cache_aside_replay,
    zipf_keys,
)
from .choice import ENV_VARS, FAKE_URLS, RedisPlan, plan
from .connection import (
    COMMAND_TIMEOUT_S,
    CONNECT_TIMEOUT_S,
    EVICTING_POLICIES,
    FAKE_GAPS,
    KINDS,
    PREFIX_ROOT,
    ROOM_FACTOR,
    SAFETY_TTL_S,
    SCAN_COUNT,
    Lab,
    MemoryLimit,
    can_start_private_server,
    connect,
    new_prefix,
    private_lab,
)
from .errors import RedisUnavailable
from .eviction import (
    MAXMEMORY_POLICIES,
    SIMULATOR_POLICY,
    EvictionComparison,
    EvictionRun,
    eviction_vs_simulator,
    policy_for,
    simulator_scenario,
)
from .failure import FailureDemo, server_failure_demo
from .locking import ALL_MISSED_WAIT_S, LOCK_POLL_S, StampedeResult, stampede
from .monitoring import InfoReport, info_hit_ratio, keyspace_hits_if_exists_first
from .pubsub import InvalidationDemo, InvalidationEvent, LocalCache, pubsub_invalidation
from .round_trips import (
    PIPELINE_KEYS_UNDER_MAXMEMORY,
    PipelineResult,
    pipelining,
    waiting_saved_ms,
)
from .server import START_TIMEOUT_S, PrivateServer
from .steps import Step
from .structures import (
    COMPACT_HASH_ENCODINGS,
    DEFAULT_HASH_LIMITS,
    HASH_MAX_COMPACT_VALUE_BYTES,
    SAMPLE_USER,
    TYPICAL_REAL_REDIS,
    ExpiryDemo,
    HashEncodingDemo,
    HashVsJson,
    StepsDemo,
    encoding_of,
    expiry_demo,
    hash_encoding_demo,
    hash_limits,
    hash_vs_json,
    leaderboard,
    online_users,
)

__all__ = [
    # which Redis, the private server, the lab
    "ENV_VARS", "FAKE_URLS", "KINDS", "PREFIX_ROOT", "CONNECT_TIMEOUT_S", "COMMAND_TIMEOUT_S",
    "START_TIMEOUT_S", "SCAN_COUNT", "SAFETY_TTL_S", "ROOM_FACTOR", "EVICTING_POLICIES",
    "FAKE_GAPS", "RedisPlan", "plan", "RedisUnavailable", "PrivateServer", "MemoryLimit",
    "Lab", "new_prefix", "connect", "private_lab", "can_start_private_server",
    # the demonstrations
    "Step", "StepsDemo", "ExpiryDemo", "expiry_demo", "SAMPLE_USER", "HashVsJson",
    "hash_vs_json", "COMPACT_HASH_ENCODINGS", "HASH_MAX_COMPACT_VALUE_BYTES",
    "TYPICAL_REAL_REDIS", "DEFAULT_HASH_LIMITS", "HashEncodingDemo", "hash_encoding_demo",
    "hash_limits",
    "online_users", "leaderboard", "encoding_of",
    "PIPELINE_KEYS_UNDER_MAXMEMORY", "PipelineResult", "pipelining",
    "waiting_saved_ms",
    "ALL_MISSED_WAIT_S", "LOCK_POLL_S", "StampedeResult", "stampede",
    "InvalidationEvent", "InvalidationDemo", "LocalCache", "pubsub_invalidation",
    "CACHE_ASIDE_LUA", "zipf_keys", "cache_aside_load", "cache_aside_replay", "TimedReplay",
    "InfoReport", "info_hit_ratio", "keyspace_hits_if_exists_first",
    "SIMULATOR_POLICY", "MAXMEMORY_POLICIES", "policy_for", "EvictionRun", "EvictionComparison",
    "eviction_vs_simulator",
    "simulator_scenario",
    "FailureDemo", "server_failure_demo",
]
