"""Which Redis the course uses: ``plan()`` decides, without side effects.

The choice, in order: ``SIMCACHE_REDIS_URL`` or ``REDIS_URL`` if set; else a private
``redis-server`` on a free loopback port if the binary is on PATH; else fakeredis, an
in-process fake. ``plan()`` only decides; it starts nothing and connects to nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass

ENV_VARS = ("SIMCACHE_REDIS_URL", "REDIS_URL")
FAKE_URLS = ("fakeredis://", "fake://")


@dataclass(frozen=True)
class RedisPlan:
    """Where the course would connect: ``kind`` (url, private-server, fakeredis), ``target``."""

    kind: str
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.target} ({self.reason})"


def _redact(url: str) -> str:
    """The URL without a password, so it can be printed."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    auth, _, host = rest.rpartition("@")
    user = auth.split(":", 1)[0]
    return f"{scheme}://{user + ':' if user else ':'}***@{host}"


def _env_url(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The first of ``ENV_VARS`` that is set, as ``(name, url)``."""
    for var in ENV_VARS:
        url = env.get(var, "").strip()
        if url:
            return var, url
    return None


def plan(environ: Mapping[str, str] | None = None) -> RedisPlan:
    """Decide which Redis to use, without side effects (see the module docstring)."""
    env = os.environ if environ is None else environ
    found = _env_url(env)
    if found:
        var, url = found
        if url.lower() in FAKE_URLS:
            return RedisPlan("fakeredis", "in-process fakeredis", f"{var}={url}")
        return RedisPlan("url", _redact(url), f"{var} is set")
    server = shutil.which("redis-server")
    if server:
        return RedisPlan("private-server", "a private redis-server on a free loopback port",
                         f"found {server}; set SIMCACHE_REDIS_URL to use your own Redis")
    return RedisPlan("fakeredis", "in-process fakeredis",
                     "no SIMCACHE_REDIS_URL or REDIS_URL and no redis-server on PATH")
