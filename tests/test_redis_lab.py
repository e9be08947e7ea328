"""The real-Redis lab: which server it picks, its one-line errors, its prefix and clean-up,
its private server, and what happens when the server dies mid-session.

Runs against fakeredis and against the real server on 127.0.0.1:6379 (see
``redis_fixtures``); a private ``redis-server`` is started where a test must kill one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from urllib.parse import urlparse

import pytest
from redis_fixtures import (
    FAKE_ENV,
    REAL_ENV,
    REAL_URL,
    foreign_namespace,
    lab_fixture,  # noqa: F401 (a fixture)
    need_real_server,
    need_redis_server_binary,
    private_lab_fixture,  # noqa: F401 (a fixture)
    raw_real_fixture,  # noqa: F401 (a fixture)
)

from simcache import redis_lab
from simcache.redis_lab import RedisUnavailable

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_line(error: BaseException) -> str:
    text = str(error)
    assert text and "\n" not in text, repr(text)
    return text


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still has a pid: look at its state where /proc exists.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


# -- choosing a Redis ---------------------------------------------------------------------
def test_fakeredis_url_forces_fakeredis_even_with_redis_url_set():
    env = {**FAKE_ENV, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    with redis_lab.connect(env, new=True, quiet=True) as fake:
        assert fake.kind == "fakeredis" and fake.is_fake
        assert "SIMCACHE_REDIS_URL=fakeredis://" in fake.line
        assert fake.client.ping()


def test_simcache_redis_url_wins_over_redis_url():
    need_real_server()
    env = {**REAL_ENV, "REDIS_URL": "fakeredis://"}
    with redis_lab.connect(env, new=True, quiet=True) as real:
        assert real.kind == "url" and not real.is_fake
        assert "SIMCACHE_REDIS_URL is set" in real.line


def test_redis_url_is_used_when_simcache_redis_url_is_not_set():
    need_real_server()
    with redis_lab.connect({"REDIS_URL": REAL_URL}, new=True, quiet=True) as real:
        assert real.kind == "url" and "REDIS_URL is set" in real.line


def test_no_url_starts_a_private_server_when_redis_server_is_on_path():
    need_redis_server_binary()
    with redis_lab.connect({"PATH": os.environ.get("PATH", "")}, new=True, quiet=True) as own:
        assert own.kind == "private-server" and own.owns_server
        assert own.server.alive()
        assert "private redis-server" in own.line and "no persistence" in own.line


def test_no_url_and_no_redis_server_falls_back_to_fakeredis(monkeypatch):
    monkeypatch.setattr(redis_lab.choice.shutil, "which", lambda name: None)
    with redis_lab.connect({}, new=True, quiet=True) as fake:
        assert fake.is_fake
        assert "no redis-server on PATH" in fake.line


def test_connect_prints_one_line_saying_which_and_why(capsys):
    with redis_lab.connect(FAKE_ENV, new=True) as fake:
        out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.strip() == fake.line
    assert fake.prefix in out and "because" in out


@pytest.mark.parametrize("var", ["SIMCACHE_REDIS_URL", "REDIS_URL"])
def test_an_unreachable_url_is_one_clear_error_not_a_fallback(var):
    port = closed_port()
    with pytest.raises(RedisUnavailable) as caught:  # after CONNECT_TIMEOUT_S at most
        redis_lab.connect({var: f"redis://127.0.0.1:{port}/0"}, new=True, quiet=True)
    line = one_line(caught.value)
    assert f"{var} = redis://127.0.0.1:{port}/0" in line
    assert "nothing answers" in line and "unset it" in line


def test_the_error_does_not_print_the_password():
    url = f"redis://user:s3cret@127.0.0.1:{closed_port()}/0"
    with pytest.raises(RedisUnavailable) as caught:
        redis_lab.connect({"REDIS_URL": url}, new=True, quiet=True)
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)


def test_a_url_that_is_not_a_redis_url_is_one_clear_error():
    with pytest.raises(RedisUnavailable) as caught:
        redis_lab.connect({"SIMCACHE_REDIS_URL": "http://example.com"}, new=True, quiet=True)
    assert "not a Redis URL" in one_line(caught.value)


def test_the_error_renders_as_one_line_in_ipython():
    error = RedisUnavailable("the server went away")
    rendered = error._render_traceback_()
    assert len(rendered) == 1 and "RedisUnavailable: the server went away" in rendered[0]


def test_connect_again_returns_the_same_lab_unless_asked_for_a_new_one():
    first = redis_lab.connect(FAKE_ENV, quiet=True)
    try:
        assert redis_lab.connect(FAKE_ENV, quiet=True) is first
        other = redis_lab.connect(FAKE_ENV, new=True, quiet=True)
        assert other is not first and other.prefix != first.prefix
        other.close()
    finally:
        first.close()
    assert redis_lab.connect(FAKE_ENV, quiet=True) is not first  # a closed lab is replaced
    redis_lab.connect(FAKE_ENV, quiet=True).close()


# -- prefix and clean-up ----------------------------------------------------------------------
def test_every_key_name_goes_through_the_prefix(lab):
    assert lab.prefix.startswith("simcache:") and lab.prefix.endswith(":")
    assert lab.key("user:1") == lab.prefix + "user:1"
    assert lab.channel("invalidate").startswith(lab.prefix)


def _seed_foreign(client, namespace: str) -> dict[str, tuple[str, object]]:
    """Keys the lab must not touch, including ones that look like the course's own."""
    keys = {
        f"{namespace}plain": ("string", "v"),
        f"{namespace}ttl": ("string", "w"),
        f"{namespace}hash": ("hash", {"a": "1"}),
        f"simcache:{namespace}other-session": ("string", "x"),  # another session's prefix
    }
    client.set(f"{namespace}plain", "v")
    client.set(f"{namespace}ttl", "w", ex=600)
    client.hset(f"{namespace}hash", mapping={"a": "1"})
    client.set(f"simcache:{namespace}other-session", "x")
    return keys


def test_cleanup_deletes_only_this_labs_keys(lab):
    namespace = foreign_namespace()
    r = lab.client
    foreign = _seed_foreign(r, namespace)
    neighbour = lab.prefix[:-1] + "x:n"  # shares the prefix's characters, not the prefix
    r.set(neighbour, "keep")
    try:
        r.set(lab.key("s"), "1", ex=60)
        r.hset(lab.key("h"), mapping={"f": "v"})
        r.sadd(lab.key("set"), "a", "b")
        r.zadd(lab.key("z"), {"a": 1})
        r.rpush(lab.key("l"), "a")
        for i in range(1200):  # more than one SCAN step and one UNLINK batch
            r.set(lab.key(f"bulk:{i}"), "x")
        assert lab.cleanup() == 1205
        assert list(lab.scan()) == []
        assert r.get(f"{namespace}plain") == "v"
        assert r.get(f"{namespace}ttl") == "w" and 0 < r.ttl(f"{namespace}ttl") <= 600
        assert r.hgetall(f"{namespace}hash") == {"a": "1"}
        assert r.get(f"simcache:{namespace}other-session") == "x"
        assert r.get(neighbour) == "keep"
        assert lab.cleanup() == 0
    finally:
        r.delete(*foreign, neighbour)


@pytest.mark.parametrize("backend", ["fakeredis", "real"])
def test_glob_characters_in_a_prefix_match_only_themselves(backend):
    if backend == "real":
        need_real_server()
    namespace = foreign_namespace()
    env = FAKE_ENV if backend == "fakeredis" else REAL_ENV
    odd = redis_lab.connect(env, new=True, quiet=True, prefix=f"{namespace}t[1]*?:")
    r = odd.client
    # Each would match the prefix read as a glob pattern (``[1]``, ``*`` and ``?``).
    lookalikes = [f"{namespace}t1ab:x", f"{namespace}t1-z:", f"{namespace}t1:x:y"]
    try:
        for key in lookalikes:
            r.set(key, "keep")
        r.set(odd.key("mine"), "go")
        assert list(odd.scan()) == [odd.key("mine")]
        assert odd.cleanup() == 1
        assert all(r.get(key) == "keep" for key in lookalikes)
    finally:
        r.delete(*lookalikes)
        odd.close()


def test_cleanup_with_a_pattern_deletes_only_those_keys(lab):
    r = lab.client
    for i in range(700):  # more than one UNLINK batch
        r.set(lab.key(f"bulk:{i}"), "x", ex=60)
    r.set(lab.key("keep"), "y", ex=60)
    r.set(lab.key("bulkier"), "z", ex=60)
    assert lab.cleanup("bulk:*") == 700
    assert sorted(lab.scan()) == sorted([lab.key("keep"), lab.key("bulkier")])


def test_close_cleans_up_and_a_closed_lab_cleans_nothing(lab):
    lab.client.set(lab.key("a"), "1")
    other = redis_lab.connect(FAKE_ENV if lab.is_fake else REAL_ENV, new=True, quiet=True)
    other.client.set(other.key("b"), "2")
    other.close()
    assert other.closed and other.cleanup() == 0
    assert lab.client.get(lab.key("a")) == "1"


def test_the_cleanup_at_exit_removes_the_sessions_keys_and_stops_the_server(raw_real):
    need_redis_server_binary()
    script = textwrap.dedent(f"""
        from simcache import redis_lab
        lab = redis_lab.connect({{"SIMCACHE_REDIS_URL": {REAL_URL!r}}}, new=True, quiet=True)
        lab.client.set(lab.key("left-behind"), "1")
        own = redis_lab.private_lab()
        print(lab.prefix, own.server.process.pid, own.server.dir)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    prefix, pid, directory = done.stdout.split()
    assert list(raw_real.scan_iter(match=prefix + "*")) == []
    deadline = time.monotonic() + 5
    while alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(int(pid)), "the private redis-server outlived its Python process"
    assert not os.path.exists(directory)


# -- what the server can do ------------------------------------------------------------------
def test_fakeredis_gaps_are_named_in_one_line(lab):
    for feature in redis_lab.FAKE_GAPS:
        assert lab.supports(feature) is not lab.is_fake
        gap = lab.gap(feature)
        if lab.is_fake:
            assert gap and "\n" not in gap and "fakeredis" in gap
        else:
            assert gap is None
    assert (lab.info("stats") is None) is lab.is_fake
    with pytest.raises(ValueError, match="must be one of"):
        lab.supports("telepathy")


def test_the_client_decodes_and_locks_work(lab):
    r = lab.client
    r.set(lab.key("k"), "v", ex=5)
    assert r.get(lab.key("k")) == "v"
    with r.lock(lab.key("lock"), timeout=5, blocking_timeout=1):
        assert r.exists(lab.key("lock"))
    assert not r.exists(lab.key("lock"))


def test_only_a_server_of_our_own_may_be_reconfigured(lab, private_lab):
    with pytest.raises(ValueError, match="owns_server is False"):
        lab.require_own_server("CONFIG SET maxmemory")
    private_lab.require_own_server("CONFIG SET maxmemory")  # no error


def test_a_url_server_without_maxmemory_has_no_memory_limit(lab):
    assert lab.memory_limit is None  # fakeredis, and the test server (no maxmemory)
    assert lab.room_for(10**9, "a huge demo") is None
    assert "maxmemory" not in lab.line


def test_a_url_server_with_maxmemory_says_so_in_its_line():
    need_redis_server_binary()
    with redis_lab.private_lab() as owner:
        owner.client.config_set("maxmemory", 512 * 2**20)
        owner.client.config_set("maxmemory-policy", "volatile-lru")
        with redis_lab.connect({"SIMCACHE_REDIS_URL": owner.server.url}, new=True,
                               quiet=True) as theirs:
            limit = theirs.memory_limit
            assert limit is not None and limit.maxmemory_bytes == 512 * 2**20
            assert limit.evicts  # volatile-*: the course's keys all have a TTL
            assert "maxmemory 512.0 MB" in theirs.line and "volatile-lru" in theirs.line
            assert "\n" not in theirs.line
            assert theirs.room_for(1000, "a small demo") is None
            note = theirs.room_for(10**9, "a huge demo")
            assert note and "a huge demo" in note and "evict your keys" in note
        owner.client.config_set("maxmemory-policy", "noeviction")
        with redis_lab.connect({"SIMCACHE_REDIS_URL": owner.server.url}, new=True,
                               quiet=True) as theirs:
            assert not theirs.memory_limit.evicts and "refuses writes" in theirs.line


# -- a private server -----------------------------------------------------------------------
def test_the_private_server_keeps_nothing_on_disk_and_listens_on_loopback(private_lab):
    config = private_lab.client.config_get("*")
    assert config["save"] == "" and config["appendonly"] == "no"
    assert config["bind"].split() == ["127.0.0.1"]
    assert config["dir"] == private_lab.server.dir


def test_closing_stops_the_private_server_and_removes_its_directory():
    need_redis_server_binary()
    own = redis_lab.private_lab()
    process, directory = own.server.process, own.server.dir
    own.close()
    assert process.poll() is not None
    assert not os.path.exists(directory)
    own.close()  # twice is fine


# -- a server that dies mid-session ------------------------------------------------------------
def test_a_killed_private_server_gives_a_readable_error_and_reconnect_works(private_lab):
    r = private_lab.client
    r.set(private_lab.key("a"), "1")
    pipe_before = r.pipeline(transaction=False)
    private_lab.server.process.kill()
    private_lab.server.process.wait()
    with pytest.raises(RedisUnavailable) as caught:
        r.get(private_lab.key("a"))
    line = one_line(caught.value)
    assert "has stopped" in line and "lab.reconnect()" in line
    pipe_before.set(private_lab.key("b"), "2")
    with pytest.raises(RedisUnavailable):
        pipe_before.execute()
    with pytest.raises(RedisUnavailable), private_lab.guard():
        r.pubsub().subscribe(private_lab.channel("c"))
    assert not private_lab.ping()
    private_lab.reconnect(quiet=True)
    assert r.ping() and private_lab.client is r  # the old variable works again
    assert r.get(private_lab.key("a")) is None   # a fresh server: no persistence
    r.set(private_lab.key("a"), "2")
    assert r.get(private_lab.key("a")) == "2"


def test_a_url_server_that_stops_and_comes_back():
    need_redis_server_binary()
    server = redis_lab.PrivateServer().start()
    try:
        url_lab = redis_lab.connect({"SIMCACHE_REDIS_URL": server.url}, new=True, quiet=True)
        r = url_lab.client
        r.set(url_lab.key("a"), "1")
        server.process.kill()
        server.process.wait()
        with pytest.raises(RedisUnavailable) as caught:
            r.get(url_lab.key("a"))
        line = one_line(caught.value)
        assert f"127.0.0.1:{server.port}" in line and "stopped answering" in line
        with pytest.raises(RedisUnavailable):
            url_lab.reconnect(quiet=True)  # still down: no silent fallback
        server.start()  # the same port again
        url_lab.reconnect(quiet=True)
        assert r.set(url_lab.key("a"), "2") and r.get(url_lab.key("a")) == "2"
        url_lab.close()
    finally:
        server.stop()


def test_connect_reconnects_the_current_lab_when_its_server_died():
    need_redis_server_binary()
    env = {"PATH": os.environ.get("PATH", "")}
    first = redis_lab.connect(env, quiet=True)
    try:
        old_pid = first.server.process.pid
        first.server.process.kill()
        first.server.process.wait()
        again = redis_lab.connect(env, quiet=True)
        assert again is first and first.ping()
        assert first.server.process.pid != old_pid
    finally:
        first.close()


def test_a_private_server_never_adopts_a_port_another_redis_serves():
    need_real_server()
    need_redis_server_binary()
    parsed = urlparse(REAL_URL)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip(f"the test Redis is not on this machine's loopback ({parsed.hostname})")
    server = redis_lab.PrivateServer(port=parsed.port or 6379)
    try:
        with pytest.raises(RedisUnavailable) as caught:
            server.start()
        assert "could not start a private redis-server" in one_line(caught.value)
    finally:
        server.stop()


def test_a_private_server_refuses_clients_without_its_password():
    """Any local user can reach a loopback port; only the lab, which holds the random
    password, gets an answer. The password is in a file only its owner can read, not on
    the command line (which every user of the machine can list)."""
    import redis

    need_redis_server_binary()
    server = redis_lab.PrivateServer().start()
    try:
        stranger = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=2,
                               protocol=2)
        with pytest.raises(redis.exceptions.AuthenticationError):
            stranger.ping()
        with pytest.raises(redis.exceptions.AuthenticationError):
            stranger.config_set("dir", "/tmp")
        guesser = redis.Redis(host="127.0.0.1", port=server.port, password="guess",
                              socket_timeout=2, protocol=2)
        with pytest.raises(redis.exceptions.AuthenticationError):
            guesser.ping()
        assert redis.Redis.from_url(server.url, socket_timeout=2).ping()
        with open(f"/proc/{server.process.pid}/cmdline", "rb") as f:
            assert server.password.encode() not in f.read()
        assert os.stat(server.dir).st_mode & 0o077 == 0
        assert server.password not in repr(server) and server.password not in server.address
        lab = redis_lab.connect({"SIMCACHE_REDIS_URL": server.url}, new=True, quiet=True)
        try:
            assert server.password not in lab.line and server.password not in lab.where
        finally:
            lab.close(cleanup=False)
    finally:
        server.stop()
