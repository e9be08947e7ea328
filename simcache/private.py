"""Private servers the course starts for one learner: redis-server, nginx.

Each runs from a temporary directory only its owner can open (mode 0700), listens on a
free loopback port, writes nothing outside that directory, runs in its own process group
(interrupting the notebook's kernel does not stop it), and is stopped by ``stop()``, at
interpreter exit, or (on Linux) when the process that started it dies. A subclass says
how to start its binary (``command``) and how to tell that it answers (``answering``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any, ClassVar

START_TIMEOUT_S = 10.0  # a private server must answer within this


class PrivateServerError(RuntimeError):
    """A private server could not be started (its binary is missing, or it did not answer)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
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


class PrivateProcess:
    """One private server process on ``127.0.0.1:port``; see the module's docstring.

    Linux ties the parent-death signal to the starting *thread*: start servers from the
    main thread (as notebook cells run), not from a short-lived worker thread.
    """

    #: The binary's name on PATH, and what to call the server in messages.
    binary_name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    #: Raised when it cannot start (the Redis lab raises its own RedisUnavailable).
    error: ClassVar[type[Exception]] = PrivateServerError
    #: Said after "<binary> is not on PATH" (what to do instead).
    missing_hint: ClassVar[str] = ""
    #: An environment variable that names the binary to run instead of the one on PATH,
    #: or says ``none`` to run as if it were not installed ("": no such variable).
    binary_env: ClassVar[str] = ""

    @classmethod
    def find(cls) -> str | None:
        """The binary to run: the one ``binary_env`` names, else the one on PATH; None
        when there is none (or ``binary_env`` says ``none``)."""
        chosen = os.environ.get(cls.binary_env, "") if cls.binary_env else ""
        if chosen.lower() == "none":
            return None
        return chosen or shutil.which(cls.binary_name)

    def __init__(self, binary: str | None = None, port: int | None = None):
        self.binary = binary or self.find()
        if not self.binary:
            off = self.binary_env and os.environ.get(self.binary_env, "").lower() == "none"
            raise self.error(f"{self.binary_name} is switched off ({self.binary_env}=none)"
                             if off else f"{self.binary_name} is not on PATH{self.missing_hint}")
        self.port = port
        self.process: subprocess.Popen | None = None
        self.dir: str | None = None

    # -- what a subclass says -------------------------------------------------------------
    def command(self, port: int) -> list[str]:
        """The command line that starts the server on ``port`` from ``self.dir``."""
        raise NotImplementedError

    def answering(self, port: int) -> bool:
        """Whether our server (not some other process) answers on ``port``."""
        raise NotImplementedError

    def log_path(self) -> str:
        return os.path.join(self.dir or "", "server.log")

    # -- the process ----------------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout_s: float = START_TIMEOUT_S) -> PrivateProcess:
        """Start the server (on ``port`` if given, else a free one) and wait until it answers."""
        if self.alive():
            return self
        last = ""
        for _ in range(3):  # a free port can be taken between choosing and binding it
            port = self.port or free_port()
            try:
                self._spawn(port, timeout_s)
                self.port = port
                _RUNNING.add(self)
                return self
            except self.error as error:
                last = str(error)
                self._reap()
        raise self.error(f"could not start a private {self.label}: {last}")

    def _spawn(self, port: int, timeout_s: float) -> None:
        self.dir = tempfile.mkdtemp(prefix=f"simcache-{self.binary_name}-")  # mode 0700
        self.process = subprocess.Popen(
            self.command(port), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, cwd=self.dir,
            preexec_fn=_parent_death_signal())
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self.error(f"{self.binary_name} exited with code "
                                 f"{self.process.returncode}: {self._log_tail()}")
            if self.answering(port):
                return
            time.sleep(0.02)
        raise self.error(f"{self.binary_name} did not answer on 127.0.0.1:{port} "
                         f"within {timeout_s:g} s")

    def _log_tail(self) -> str:
        try:
            with open(self.log_path(), encoding="utf-8", errors="replace") as f:
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
        _RUNNING.discard(self)

    def __repr__(self) -> str:
        state = "running" if self.alive() else "stopped"
        return f"{type(self).__name__}({self.address}, {state})"


#: Every private server started and not yet stopped (anything with ``stop()``: the web
#: app's server thread too); stopped at interpreter exit.
_RUNNING: set[Any] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()
