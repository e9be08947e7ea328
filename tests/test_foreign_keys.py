"""Every notebook, run against a real Redis that holds other people's data, leaves it alone.

Learners point the course at their own Redis. This test seeds keys the course did not write
(several types, some with a TTL, some that look like another course session's keys) under a
unique namespace, runs every notebook in ``notebooks/`` (not ``notebooks/solutions``) with
``SIMCACHE_REDIS_URL`` pointing at that server, then proves each key survived: same type,
same value (``DUMP``), and a TTL that only ran down by the time that passed. It also proves
the notebooks cleaned up after themselves (no ``simcache:*`` key that was not there before)
and changed no setting (``CONFIG GET maxmemory*`` and ``latency-tracking``). It then deletes
exactly the keys it seeded.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from redis_fixtures import (
    REAL_URL,
    foreign_namespace,
    raw_real_fixture,  # noqa: F401 (a fixture)
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 300

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def _seed(client, namespace: str) -> list[str]:
    """Foreign keys of every common type; returns their names."""
    other_session = f"simcache:{namespace.rstrip(':')}:"  # looks like a course prefix
    keys = {
        f"{namespace}string": lambda k: client.set(k, "a value"),
        f"{namespace}string-ttl": lambda k: client.set(k, "expires later", ex=3600),
        f"{namespace}counter": lambda k: client.set(k, 41),
        f"{namespace}hash-ttl": lambda k: (client.hset(k, mapping={"f": "v", "g": "w"}),
                                           client.pexpire(k, 7_200_000)),
        f"{namespace}set": lambda k: client.sadd(k, "a", "b", "c"),
        f"{namespace}zset": lambda k: client.zadd(k, {"a": 1.5, "b": 2}),
        f"{namespace}list-ttl": lambda k: (client.rpush(k, "x", "y"), client.expire(k, 900)),
        f"{namespace}stream": lambda k: client.xadd(k, {"event": "login"}),
        f"{other_session}user:1": lambda k: client.set(k, "another session's key", ex=1800),
        f"{other_session}leaderboard": lambda k: client.zadd(k, {"bob": 1200}),
        # Names the course's own demos use, outside any course prefix.
        f"user:1:{namespace}": lambda k: client.set(k, "unprefixed"),
    }
    for key, write in keys.items():
        write(key)
    return list(keys)


def _snapshot(client, keys: list[str]) -> dict[str, tuple[bytes, bytes, int]]:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.type(key)
        pipe.dump(key)
        pipe.pttl(key)
    replies = pipe.execute()
    return {key: tuple(replies[3 * i:3 * i + 3]) for i, key in enumerate(keys)}


def _course_keys(client) -> set[bytes]:
    """Every key that looks like a course key, by SCAN MATCH (never KEYS)."""
    return set(client.scan_iter(match="simcache:*", count=1000))


def _settings(client) -> dict:
    """The settings the course may change on a server of its own, and never on yours."""
    return {**client.config_get("maxmemory*"), **client.config_get("latency-tracking")}


def _run_notebook(path: Path) -> None:
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()  # raises CellExecutionError, naming the cell, if a cell fails


def test_the_course_finds_notebooks():
    assert NOTEBOOKS, "no notebooks under notebooks/"
    assert not any("solutions" in p.parts for p in NOTEBOOKS)


def test_foreign_keys_and_their_ttls_survive_every_notebook(raw_real, monkeypatch):
    namespace = foreign_namespace()
    keys = _seed(raw_real, namespace)
    try:
        before = _snapshot(raw_real, keys)
        course_keys_before = _course_keys(raw_real)
        settings_before = _settings(raw_real)
        started = time.monotonic()
        # The kernels inherit this environment: the course's "own Redis" is this server.
        monkeypatch.setenv("SIMCACHE_REDIS_URL", REAL_URL)
        monkeypatch.delenv("REDIS_URL", raising=False)
        # Two kernels at a time: the notebooks are independent, each with its own prefix.
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(_run_notebook, NOTEBOOKS))
        elapsed_ms = (time.monotonic() - started) * 1000
        after = _snapshot(raw_real, keys)
        left = sorted(k.decode() for k in _course_keys(raw_real) - course_keys_before)
        assert left == [], f"the notebooks left {len(left)} course keys behind: {left[:5]}"
        assert _settings(raw_real) == settings_before, "a notebook changed a server setting"
        for key in keys:
            kind, value, ttl = before[key]
            kind_after, value_after, ttl_after = after[key]
            assert kind_after == kind, f"{key}: type {kind!r} became {kind_after!r}"
            assert value_after == value, f"{key}: its value changed"
            if ttl < 0:
                assert ttl_after == ttl, f"{key}: had no expiry, now PTTL {ttl_after}"
            else:
                # Only the time that passed may have gone (plus a little clock slack).
                assert ttl - elapsed_ms - 1000 <= ttl_after <= ttl, \
                    f"{key}: PTTL {ttl} ms became {ttl_after} ms in {elapsed_ms:.0f} ms"
    finally:
        raw_real.delete(*keys)
    assert raw_real.exists(*keys) == 0
