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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from .errors import RedisUnavailable, _import_redis

START_TIMEOUT_S = 10.0  # a private redis-server must answer PING within this


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux, a function for the child that stops it when its parent process dies.

    Resolved here, in the parent: between fork and exec the child must not import.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None

    def set_signal() -> None:  # pragma: no cover - runs in the child
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return set_signal


class PrivateServer:
    """A ``redis-server`` of our own on a loopback port: no persistence, stopped at exit.

    It runs in its own process group (interrupting the kernel does not stop it), writes
    only into a temporary directory, and is terminated by :meth:`stop`, at interpreter
    exit, or (on Linux) when the process that started it dies without running atexit.
    Linux ties that last signal to the starting *thread*: start servers from the main
    thread (as notebook cells run), not from a short-lived worker thread.
    """

    def __init__(self, binary: str | None = None, port: int | None = None):
        self.binary = binary or shutil.which("redis-server")
        if not self.binary:
            raise RedisUnavailable("redis-server is not on PATH: install Redis or set "
                                   "SIMCACHE_REDIS_URL")
        self.port = port
        self.process: subprocess.Popen | None = None
        self.dir: str | None = None
        self.password = secrets.token_urlsafe(32)  # the lab holds it; nobody else can

    @property
    def url(self) -> str:
        """Where to connect, password included: for the lab's clients, not for printing."""
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout_s: float = START_TIMEOUT_S) -> PrivateServer:
        """Start the server (on ``port`` if given, else a free one) and wait until it answers."""
        if self.alive():
            return self
        last = ""
        for _ in range(3):  # a free port can be taken between choosing and binding it
            port = self.port or _free_port()
            try:
                self._spawn(port, timeout_s)
                self.port = port
                _SERVERS.add(self)
                return self
            except RedisUnavailable as error:
                last = str(error)
                self._reap()
        raise RedisUnavailable(f"could not start a private redis-server: {last}")

    def _spawn(self, port: int, timeout_s: float) -> None:
        self.dir = tempfile.mkdtemp(prefix="simcache-redis-")  # mode 0700: ours alone
        log = os.path.join(self.dir, "redis.log")
        config = os.path.join(self.dir, "redis.conf")
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"requirepass {self.password}\n")
        args = [self.binary, config, "--port", str(port), "--bind", "127.0.0.1",
                "--protected-mode", "yes", "--save", "", "--appendonly", "no",
                "--dir", self.dir, "--logfile", log, "--daemonize", "no"]
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_parent_death_signal())
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RedisUnavailable(f"redis-server exited with code "
                                       f"{self.process.returncode}: {self._log_tail(log)}")
            if _answers_ping("127.0.0.1", port) and self._answering_is_ours(port):
                return
            time.sleep(0.02)
        raise RedisUnavailable(f"redis-server did not answer on 127.0.0.1:{port} "
                               f"within {timeout_s:g} s")

    def _answering_is_ours(self, port: int) -> bool:
        """Whether the server on ``port`` is our process, not one that had the port first."""
        redis = _import_redis()
        client = redis.Redis(host="127.0.0.1", port=port, password=self.password,
                             socket_timeout=1, socket_connect_timeout=1)
        try:
            return int(client.info("server")["process_id"]) == self.process.pid
        except (redis.exceptions.RedisError, KeyError, ValueError):
            return False
        finally:
            client.close()

    @staticmethod
    def _log_tail(path: str) -> str:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = [line.strip() for line in f if line.strip()]
        except OSError:
            return "no log"
        return lines[-1] if lines else "no log"

    def _reap(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(3)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(3)
            self.process = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def stop(self) -> None:
        """Terminate the server and remove its directory. Safe to call twice."""
        self._reap()
        _SERVERS.discard(self)

    def __repr__(self) -> str:
        state = "running" if self.alive() else "stopped"
        return f"PrivateServer({self.address}, {state})"


#: Every private server started and not yet stopped; stopped at interpreter exit.
_SERVERS: set[PrivateServer] = set()


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
