"""Fixtures shared by the real-Redis tests: a lab on fakeredis and one on a real server.

Import the fixtures a test module uses (``from redis_fixtures import lab_fixture``); the
fixture is then requested by its name without the suffix (``def test_x(lab): ...``).
The real server is ``SIMCACHE_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``, the
one ``.ci/run`` starts); tests that need it are skipped, with the reason, only when nothing
answers there. Tests never empty a database: they write under unique prefixes and delete
exactly what they wrote.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from functools import cache

import pytest

from simcache import redis_lab

REAL_URL = os.environ.get("SIMCACHE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FAKE_ENV = {"SIMCACHE_REDIS_URL": "fakeredis://"}
REAL_ENV = {"SIMCACHE_REDIS_URL": REAL_URL}


@cache
def real_server_problem() -> str | None:
    """Why the real server cannot be used (None when it answers PING)."""
    try:
        import redis
    except ImportError:
        return "redis-py is not installed"
    client = redis.Redis.from_url(REAL_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        return f"nothing answers PING at {REAL_URL} ({error})"
    finally:
        client.close()
    return None


def need_real_server() -> None:
    problem = real_server_problem()
    if problem:
        pytest.skip(f"needs a real Redis: {problem}; start one with "
                    "`redis-server --port 6379 --save '' --appendonly no`")


def need_redis_server_binary() -> None:
    if not redis_lab.can_start_private_server():
        pytest.skip("needs redis-server on PATH to start a private server")


def foreign_namespace() -> str:
    """A unique namespace for keys the course must never touch."""
    return f"foreign-{secrets.token_hex(6)}:"


@pytest.fixture(name="lab", params=["fakeredis", pytest.param("real", marks=pytest.mark.redis)])
def lab_fixture(request: pytest.FixtureRequest) -> Iterator[redis_lab.Lab]:
    """A fresh lab on fakeredis, then on the real server (cleaned up and closed after)."""
    if request.param == "real":
        need_real_server()
    env = FAKE_ENV if request.param == "fakeredis" else REAL_ENV
    opened = redis_lab.connect(env, new=True, quiet=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(name="private_lab")
def private_lab_fixture() -> Iterator[redis_lab.Lab]:
    """A lab on a private redis-server of its own, stopped after the test."""
    need_redis_server_binary()
    opened = redis_lab.private_lab()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(name="raw_real")
def raw_real_fixture() -> Iterator[object]:
    """A plain redis-py client on the real server (bytes, no prefix): for foreign keys."""
    need_real_server()
    import redis

    client = redis.Redis.from_url(REAL_URL, socket_connect_timeout=2, socket_timeout=10)
    try:
        yield client
    finally:
        client.close()
