"""A safe connection to the Redis that :func:`~simcache.redis_lab.choice.plan` chooses.

``connect()`` acts on the plan and returns a :class:`Lab`: a client whose keys all carry a
per-session prefix, a ``cleanup()`` that removes only those keys, and a one-line
description of what it connected to and why. redis and fakeredis are imported inside
functions only, so importing this module is cheap.

Learners point the course at their own Redis, so a Lab never empties a database, never
deletes a key outside its prefix, gives every key it writes a safety expiry
(:data:`SAFETY_TTL_S`, so a kernel that is killed hard leaves nothing behind for good), and
changes server settings (``CONFIG SET``) only on a private server it started itself.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .choice import RedisPlan, _env_url, _redact, plan
from .errors import RedisUnavailable, _first_line, _import_redis
from .server import PrivateServer

KINDS = ("url", "private-server", "fakeredis")

PREFIX_ROOT = "simcache"
CONNECT_TIMEOUT_S = 2.0   # an unreachable URL fails after this long, not after a minute
COMMAND_TIMEOUT_S = 10.0  # a server that stops answering mid-command
SCAN_COUNT = 500          # keys per SCAN step and per UNLINK call in cleanup()
SAFETY_TTL_S = 3600       # every key the course writes expires after at most this long
ROOM_FACTOR = 10          # a bulk demo runs under maxmemory only with 10x its size free
#: maxmemory-policy prefixes that evict keys when the server is full. ``volatile-*`` only
#: evicts keys that have an expiry, and every key the course writes has one.
EVICTING_POLICIES = ("allkeys-", "volatile-")

#: What fakeredis does not implement, and what to say instead of failing.
FAKE_GAPS = {
    "info": "INFO",
    "memory usage": "MEMORY USAGE",
    "object encoding": "OBJECT ENCODING",
    "eviction": "maxmemory eviction",
    "config": "CONFIG GET/SET",
}


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.1f} MB"


@dataclass(frozen=True)
class MemoryLimit:
    """A server's ``maxmemory`` and ``maxmemory-policy`` as INFO memory reported them."""

    maxmemory_bytes: int
    policy: str
    used_memory_bytes: int

    @property
    def evicts(self) -> bool:
        """Whether a full server evicts keys (the learner's too) rather than refusing writes."""
        return self.policy.startswith(EVICTING_POLICIES)

    @property
    def free_bytes(self) -> int:
        return max(0, self.maxmemory_bytes - self.used_memory_bytes)

    @property
    def short(self) -> str:
        return f"maxmemory {_mb(self.maxmemory_bytes)} ({self.policy})"

    def describe(self) -> str:
        when_full = "evicts keys" if self.evicts else "refuses writes"
        return (f"maxmemory {_mb(self.maxmemory_bytes)}, {_mb(self.used_memory_bytes)} used, "
                f"{self.policy}: when full it {when_full}, so the bulk demos write less")


# -- the lab --------------------------------------------------------------------------------
def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def new_prefix() -> str:
    """A fresh per-session key prefix such as ``simcache:1a2b3c4d:``."""
    return f"{PREFIX_ROOT}:{secrets.token_hex(4)}:"


class Lab:
    """A connection to the Redis the course uses, with a per-session key prefix.

    ``client`` is a redis-py client (``decode_responses=True``: values come back as str).
    Write every key through :meth:`key`; :meth:`cleanup` deletes exactly the keys under
    this lab's prefix. ``line`` says in one line what the lab connected to and why.
    """

    def __init__(self, plan_: RedisPlan, *, url: str | None = None,
                 server: PrivateServer | None = None, prefix: str | None = None):
        if plan_.kind not in KINDS:
            raise ValueError(f"plan.kind = {plan_.kind!r}: must be one of {', '.join(KINDS)}")
        self.plan = plan_
        self.kind = plan_.kind
        self.prefix = prefix or new_prefix()
        self.server = server
        self._url = url
        self._fake_server: Any = None
        self._clients: list[Any] = []
        self._features: dict[str, bool] = {}
        self.closed = False
        #: Seconds after which every key the course writes expires, whatever happens.
        self.safety_ttl_s = SAFETY_TTL_S
        self.client = self._new_client()
        self._clients.append(self.client)
        self.version = self._server_version()
        self.memory_limit = self._memory_limit()
        _LABS.add(self)

    # -- naming -----------------------------------------------------------------------
    def key(self, name: str) -> str:
        """``name`` under this lab's prefix: the only kind of key the course writes."""
        return f"{self.prefix}{name}"

    def channel(self, name: str) -> str:
        """A pub/sub channel name under this lab's prefix."""
        return f"{self.prefix}{name}"

    @property
    def is_fake(self) -> bool:
        return self.kind == "fakeredis"

    @property
    def owns_server(self) -> bool:
        """True when the course started the server itself (so CONFIG SET is allowed)."""
        return self.server is not None

    def require_own_server(self, what: str) -> None:
        """Raise ValueError unless the course started this server (so it may reconfigure it)."""
        if not self.owns_server:
            raise ValueError(f"{what}: allowed only on a private redis-server the course "
                             f"started (lab.owns_server is False for {self.where}); the "
                             "course never changes the settings of your server")

    @property
    def where(self) -> str:
        if self.is_fake:
            return "in-process fakeredis"
        if self.server is not None:
            return f"the private redis-server on {self.server.address}"
        return f"Redis at {_redact(self._url or '')}"

    @property
    def line(self) -> str:
        """One line: which Redis, why, and the key prefix."""
        if self.is_fake:
            what = f"fakeredis {self.version} (in-process; no INFO, MEMORY USAGE or eviction)"
        elif self.server is not None:
            what = f"private redis-server {self.version} on {self.server.address} (no persistence)"
        else:
            what = f"Redis {self.version} at {_redact(self._url or '')}"
            if self.memory_limit is not None:
                what += f" ({self.memory_limit.describe()})"
        return f"Redis: {what}, because {self.plan.reason}; keys prefixed {self.prefix!r}"

    def __repr__(self) -> str:
        return self.line

    def _repr_markdown_(self) -> str:
        return self.line

    # -- clients ----------------------------------------------------------------------
    def _new_client(self) -> Any:
        if self.is_fake:
            try:
                import fakeredis
            except ImportError:
                raise RedisUnavailable("fakeredis is not installed: "
                                       "pip install 'simcache[redis]'") from None
            if self._fake_server is None:
                self._fake_server = fakeredis.FakeServer()
            return fakeredis.FakeRedis(server=self._fake_server, decode_responses=True)
        client = _guarded_client_class()(connection_pool=self._new_pool())
        client.auto_close_connection_pool = True
        client._simcache_failure = self._failure_message
        return client

    def _new_pool(self) -> Any:
        url = self.server.url if self.server is not None else self._url
        return _import_redis().ConnectionPool.from_url(
            url, decode_responses=True, socket_connect_timeout=CONNECT_TIMEOUT_S,
            socket_timeout=COMMAND_TIMEOUT_S, retry=_one_retry(), health_check_interval=0)

    def new_client(self) -> Any:
        """Another client with its own connections to the same server (a second app)."""
        client = self._new_client()
        self._clients.append(client)
        return client

    def _failure_message(self, error: BaseException) -> str:
        redis = _import_redis()
        if isinstance(error, redis.exceptions.AuthenticationError):
            return (f"{self.where} refused the password ({_first_line(error)}): "
                    "fix the URL in SIMCACHE_REDIS_URL or REDIS_URL")
        if self.server is not None and not self.server.alive():
            code = self.server.process.returncode if self.server.process else None
            return (f"{self.where} has stopped (exit code {code}): run `lab.reconnect()` "
                    "in a new cell to start a fresh one (its keys are gone)")
        return (f"{self.where} stopped answering ({_first_line(error)}): start it again, "
                "then run `lab.reconnect()` in a new cell")

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Turn a lost connection inside the block into one readable RedisUnavailable."""
        if self.is_fake:
            yield
            return
        redis = _import_redis()
        try:
            yield
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
            raise RedisUnavailable(self._failure_message(error)) from error

    def ping(self) -> bool:
        """True if the server answers now."""
        try:
            return bool(self.client.ping())
        except Exception:
            return False

    def reconnect(self, *, quiet: bool = False) -> Lab:
        """Connect again after the server went away; keeps the prefix.

        A private server that died is started again (on the same port if it is free).
        For a URL, this raises :class:`RedisUnavailable` until the server answers.
        """
        if self.closed:
            raise RedisUnavailable("this lab was closed: call redis_lab.connect() again")
        if self.server is not None and not self.server.alive():
            try:
                self.server.start()
            except RedisUnavailable:
                self.server.port = None  # the old port is taken: any free one will do
                self.server.start()
        if not self.is_fake:
            redis = _import_redis()
            old = self.client.connection_pool
            # Swap the pool inside the existing client, so a variable that still holds
            # ``lab.client`` (``r = lab.client``) works again too.
            self.client.connection_pool = self._new_pool()
            with contextlib.suppress(Exception):
                old.disconnect()
            try:
                self.client.ping()
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                    RedisUnavailable) as error:
                raise RedisUnavailable(_message_for(error, self)) from None
            self.version = self._server_version()
            self.memory_limit = self._memory_limit()
        if not quiet:
            print(self.line)
        return self

    # -- what the server can do ---------------------------------------------------------
    def _server_version(self) -> str:
        if self.is_fake:
            try:
                from importlib.metadata import version
                return version("fakeredis")
            except Exception:
                return "?"
        info = self.info("server") or {}
        return str(info.get("redis_version", "?"))

    def _memory_limit(self) -> MemoryLimit | None:
        """A URL server's maxmemory, read from INFO memory (read-only); None if unlimited.

        Only a learner's server (a URL) can have one: a private server and fakeredis never do.
        """
        if self.kind != "url":
            return None
        memory = self.info("memory") or {}
        try:
            maxmemory = int(memory.get("maxmemory", 0))
            used = int(memory.get("used_memory", 0))
        except (TypeError, ValueError):
            return None
        if maxmemory <= 0:
            return None
        return MemoryLimit(maxmemory, str(memory.get("maxmemory_policy", "?")), used)

    def room_for(self, n_bytes: int, what: str) -> str | None:
        """None when writing about ``n_bytes`` cannot fill the server; else one line why not.

        A server without maxmemory always has room. With maxmemory, the demo ``what`` runs
        only when ``ROOM_FACTOR`` times its size is free now (INFO memory, read-only), so it
        cannot push out the learner's keys or make their writes fail.
        """
        if self.memory_limit is None:
            return None
        limit = self._memory_limit() or self.memory_limit  # now, not as at connect
        if limit.free_bytes >= ROOM_FACTOR * n_bytes:
            return None
        when_full = "could evict your keys" if limit.evicts else "could make writes fail"
        return (f"ℹ️ Skipped {what} on your server: it has {_mb(limit.free_bytes)} free under "
                f"maxmemory ({limit.policy}), and ~{_mb(n_bytes)} more {when_full}.")

    def supports(self, feature: str) -> bool:
        """Whether the server answers ``feature``: one of the keys of ``FAKE_GAPS``.

        fakeredis lacks all of them; a real Redis has them, except that ``config`` can be
        disabled on managed services. ``eviction`` means maxmemory eviction exists, not
        that the course may configure it (see :attr:`owns_server`).
        """
        if feature not in FAKE_GAPS:
            raise ValueError(f"feature = {feature!r}: must be one of {', '.join(FAKE_GAPS)}")
        if feature not in self._features:
            self._features[feature] = self._probe(feature)
        return self._features[feature]

    def _probe(self, feature: str) -> bool:
        redis = _import_redis()
        probes: dict[str, Callable[[], Any]] = {
            "info": lambda: self.client.execute_command("INFO", "server"),
            "memory usage": lambda: self.client.execute_command(
                "MEMORY", "USAGE", self.key("probe")),
            "object encoding": lambda: self.client.execute_command(
                "OBJECT", "ENCODING", self.key("probe")),
            "config": lambda: self.client.execute_command("CONFIG", "GET", "maxmemory"),
        }
        if feature == "eviction":
            return not self.is_fake
        try:
            probes[feature]()
        except redis.exceptions.ResponseError:
            return False
        return True

    def gap(self, feature: str) -> str | None:
        """One line saying that ``feature`` is missing here, or None when it is available."""
        if self.supports(feature):
            return None
        name = FAKE_GAPS[feature]
        if self.is_fake:
            return (f"ℹ️ fakeredis has no {name}; below is what a real Redis typically "
                    "reports (set SIMCACHE_REDIS_URL or install redis-server to measure it).")
        return f"ℹ️ {self.where} does not allow {name}; showing typical values instead."

    def info(self, section: str | None = None) -> dict[str, Any] | None:
        """``INFO [section]`` as a dict, or None where INFO is not available (fakeredis)."""
        if self.is_fake and not self.supports("info"):
            return None
        redis = _import_redis()
        try:
            return self.client.info(section) if section else self.client.info()
        except redis.exceptions.ResponseError:
            return None

    # -- cleaning up --------------------------------------------------------------------
    def scan(self, pattern: str = "*", count: int = SCAN_COUNT) -> Iterator[str]:
        """This lab's keys matching ``pattern`` (after the prefix), by SCAN MATCH."""
        match = _glob_escape(self.prefix) + pattern
        yield from self.client.scan_iter(match=match, count=count)

    def cleanup(self, pattern: str = "*") -> int:
        """Delete this lab's keys matching ``pattern`` (after the prefix; default: all of them)
        by SCAN + UNLINK in batches; return how many.

        Keys outside the prefix are never touched, whoever wrote them.
        """
        if self.closed:
            return 0
        redis = _import_redis()
        deleted = 0
        batch: list[str] = []
        use_unlink = True

        def delete_batch() -> int:
            nonlocal use_unlink
            if not batch:
                return 0
            if use_unlink:
                try:
                    n = self.client.unlink(*batch)
                except redis.exceptions.ResponseError:  # a server without UNLINK (< 4.0)
                    use_unlink = False
                    n = self.client.delete(*batch)
            else:
                n = self.client.delete(*batch)
            batch.clear()
            return int(n)

        # Collect first, then delete: deleting while a SCAN is running is allowed, but
        # collecting keeps the cursor walk simple to reason about.
        for key in list(self.scan(pattern)):
            if not key.startswith(self.prefix):  # belt and braces on top of MATCH
                continue
            batch.append(key)
            if len(batch) >= SCAN_COUNT:
                deleted += delete_batch()
        deleted += delete_batch()
        return deleted

    def close(self, *, cleanup: bool = True) -> None:
        """Clean up (unless told not to), close the clients and stop a private server."""
        if self.closed:
            return
        if cleanup:
            with contextlib.suppress(Exception):
                self.cleanup()
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.close()
        self._clients.clear()
        if self.server is not None:
            self.server.stop()
        self.closed = True
        _LABS.discard(self)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _message_for(error: BaseException, lab: Lab) -> str:
    if isinstance(error, RedisUnavailable):
        return str(error)
    return lab._failure_message(error)


def _one_retry() -> Any:
    """Retry a command once, at once: enough to replace a connection a restart broke."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Retry(NoBackoff(), 1)


@functools.cache
def _guarded_client_class() -> type:
    """redis.Redis whose lost connections raise one readable :class:`RedisUnavailable`."""
    redis = _import_redis()
    lost = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    class GuardedRedis(redis.Redis):
        _simcache_failure: Callable[[BaseException], str] | None = None

        def _translate(self, error: BaseException) -> RedisUnavailable:
            describe = self._simcache_failure
            text = describe(error) if describe else _first_line(error)
            return RedisUnavailable(text)

        def execute_command(self, *args: Any, **options: Any) -> Any:
            try:
                return super().execute_command(*args, **options)
            except lost as error:
                raise self._translate(error) from error

        def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
            pipe = super().pipeline(transaction, shard_hint)
            execute = pipe.execute

            def guarded_execute(*args: Any, **kwargs: Any) -> Any:
                try:
                    return execute(*args, **kwargs)
                except lost as error:
                    raise self._translate(error) from error

            pipe.execute = guarded_execute
            return pipe

    return GuardedRedis


# -- connect --------------------------------------------------------------------------------
_LABS: set[Lab] = set()
_CURRENT: dict[str, Lab] = {}
_LOCK = threading.Lock()


def connect(environ: Mapping[str, str] | None = None, *, new: bool = False,
            quiet: bool = False, prefix: str | None = None) -> Lab:
    """Connect to the Redis that :func:`plan` chooses and print one line saying which.

    Calling it again returns the same lab (reconnected if its server went away) unless
    ``new=True`` or the environment now points elsewhere. A URL that was set explicitly
    but does not answer raises :class:`RedisUnavailable` (one line); there is no silent
    fallback to another Redis.
    """
    env = os.environ if environ is None else environ
    chosen = plan(env)
    with _LOCK:
        current = _CURRENT.get("lab")
        if (not new and current is not None and not current.closed
                and current.plan == chosen and prefix in (None, current.prefix)):
            if current.ping():
                if not quiet:
                    print(current.line)
                return current
            return current.reconnect(quiet=quiet)
        lab = _open(chosen, env, prefix)
        if not new:
            _CURRENT["lab"] = lab
    if not quiet:
        print(lab.line)
    return lab


def _open(chosen: RedisPlan, env: Mapping[str, str], prefix: str | None) -> Lab:
    if chosen.kind == "fakeredis":
        return Lab(chosen, prefix=prefix)
    if chosen.kind == "private-server":
        server = PrivateServer().start()
        try:
            return Lab(chosen, server=server, prefix=prefix)
        except BaseException:
            server.stop()
            raise
    var, url = _env_url(env) or ("", "")
    redis = _import_redis()
    shown = _redact(url)
    try:
        probe = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S,
                                     socket_timeout=CONNECT_TIMEOUT_S, retry=_one_retry())
    except ValueError as error:
        raise RedisUnavailable(f"{var} = {shown} is not a Redis URL ({_first_line(error)}); "
                               "use redis://host:port/db or fakeredis://") from None
    try:
        probe.ping()
    except redis.exceptions.AuthenticationError as error:
        raise RedisUnavailable(f"{var} = {shown}: the server refused the credentials "
                               f"({_first_line(error)})") from None
    except redis.exceptions.RedisError as error:
        raise RedisUnavailable(
            f"{var} = {shown}: nothing answers there ({_first_line(error)}); start that "
            f"Redis, correct {var}, or unset it to use a private server or fakeredis"
        ) from None
    finally:
        with contextlib.suppress(Exception):
            probe.close()
    return Lab(chosen, url=url, prefix=prefix)


def private_lab(*, quiet: bool = True, prefix: str | None = None) -> Lab:
    """A lab on a new private redis-server of its own, e.g. to try ``maxmemory`` settings.

    Close it (or use ``with``) to stop the server. Raises :class:`RedisUnavailable`
    when redis-server is not on PATH.
    """
    server = PrivateServer().start()
    chosen = RedisPlan("private-server", f"a private redis-server on {server.address}",
                       "a separate server the course may reconfigure")
    try:
        lab = Lab(chosen, server=server, prefix=prefix)
    except BaseException:
        server.stop()
        raise
    if not quiet:
        print(lab.line)
    return lab


def can_start_private_server() -> bool:
    """Whether redis-server is on PATH, so :func:`private_lab` can work."""
    return shutil.which("redis-server") is not None


@atexit.register
def _shutdown() -> None:
    """At interpreter exit: remove this session's keys and stop the labs' private servers
    (any other private server is stopped by :mod:`simcache.private`, after this)."""
    for lab in list(_LABS):
        with contextlib.suppress(Exception):
            lab.close()
