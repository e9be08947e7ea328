"""A private ``redis-server`` of the course's own on a free loopback port.

No persistence, its own process group and temporary directory; stopped by ``stop()``, at
interpreter exit, or (on Linux) when the process that started it dies. It answers only
clients that know its password: a random one the lab holds, written to a configuration
file only its owner can read (never on the command line, where ``ps`` would show it), so
other users of a shared machine can neither read nor change a learner's data.
"""

from __future__ import annotations

import os
import secrets
import socket

from ..private import START_TIMEOUT_S, PrivateProcess
from .errors import RedisUnavailable, _import_redis

__all__ = ["START_TIMEOUT_S", "PrivateServer"]


class PrivateServer(PrivateProcess):
    """A ``redis-server`` of our own on a loopback port: no persistence, stopped at exit,
    answering only clients that know its random password (:mod:`simcache.private` says
    how it runs)."""

    binary_name = "redis-server"
    label = "redis-server"
    error = RedisUnavailable
    missing_hint = ": install Redis or set SIMCACHE_REDIS_URL"

    def __init__(self, binary: str | None = None, port: int | None = None):
        super().__init__(binary, port)
        self.password = secrets.token_urlsafe(32)  # the lab holds it; nobody else can

    @property
    def url(self) -> str:
        """Where to connect, password included: for the lab's clients, not for printing."""
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def log_path(self) -> str:
        return os.path.join(self.dir or "", "redis.log")

    def command(self, port: int) -> list[str]:
        assert self.dir is not None
        config = os.path.join(self.dir, "redis.conf")
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"requirepass {self.password}\n")
        return [self.binary, config, "--port", str(port), "--bind", "127.0.0.1",
                "--protected-mode", "yes", "--save", "", "--appendonly", "no",
                "--dir", self.dir, "--logfile", self.log_path(), "--daemonize", "no"]

    def answering(self, port: int) -> bool:
        """Whether the server on ``port`` is our process, not one that had the port first."""
        if not _answers_ping("127.0.0.1", port):
            return False
        redis = _import_redis()
        client = redis.Redis(host="127.0.0.1", port=port, password=self.password,
                             socket_timeout=1, socket_connect_timeout=1)
        try:
            return int(client.info("server")["process_id"]) == self.process.pid
        except (redis.exceptions.RedisError, KeyError, ValueError):
            return False
        finally:
            client.close()


def _answers_ping(host: str, port: int, timeout_s: float = 0.2) -> bool:
    """Speak just enough RESP to see whether a Redis answers PING (or refuses it for want
    of a password: a server is there either way)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as s:
            s.sendall(b"PING\r\n")
            reply = s.recv(64)
            return reply.startswith(b"+PONG") or reply.startswith(b"-NOAUTH")
    except OSError:
        return False
