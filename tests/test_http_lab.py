"""The HTTP lab: real caching headers from a real app, and a private nginx in front.

In-process (no network): each content class carries its Cache-Control, and an ETag that
matches If-None-Match gets a 304 without a body. With an nginx binary installed (CI
installs one), a private nginx on a loopback port caches in front of the app: a hashed
asset is a HIT from the second request on, a product is revalidated once stale (an
unchanged one REVALIDATED by a 304, an updated one EXPIRED and fetched again), and a
private page never comes from the cache.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time

import httpx
import pytest

from simcache.http_lab import CONTENT, AppServer, Catalog, PrivateNginx, make_app


class InProcess:
    """httpx calling the app directly through its ASGI transport: no socket, no network."""

    def __init__(self, app):
        self.app = app

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                         base_url="http://shop.test") as client:
                return await client.request(method, path, **kwargs)
        return asyncio.run(call())

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)


def test_each_content_class_carries_its_cache_control_and_etag():
    catalog = Catalog()
    client = InProcess(make_app(catalog))
    static = client.get("/static/app.3f2a9c.js")
    assert static.headers["cache-control"] == CONTENT["static"] == \
        "public, max-age=31536000, immutable"
    product = client.get("/api/products/7")
    assert product.headers["cache-control"] == CONTENT["product"]
    assert product.headers["etag"] == '"p7-v1"' and product.json()["version"] == 1
    account = client.get("/account", headers={"x-user": "ada"})
    assert account.headers["cache-control"] == "private, no-store"
    assert "etag" not in account.headers
    assert catalog.requests == 3


def test_a_matching_etag_gets_a_304_without_a_body_and_an_update_changes_the_etag():
    catalog = Catalog()
    client = InProcess(make_app(catalog))
    first = client.get("/api/products/7")
    again = client.get("/api/products/7", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert catalog.not_modified == 1 and catalog.body_bytes == len(first.content)
    client.post("/api/products/7")
    changed = client.get("/api/products/7", headers={"if-none-match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] == '"p7-v2"'
    weak = client.get("/api/products/7", headers={"if-none-match": 'W/"p7-v2", "other"'})
    assert weak.status_code == 304  # If-None-Match compares weakly (RFC 9110 13.1.2)


needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None,
                                 reason="no nginx binary (CI installs one)")


@needs_nginx
def test_a_private_nginx_caches_assets_revalidates_products_and_never_stores_private_pages():
    catalog = Catalog()
    with AppServer(make_app(catalog)) as app:
        nginx = PrivateNginx(app.port).start()
        try:
            assert nginx.address.startswith("127.0.0.1:")
            assert os.stat(nginx.dir).st_mode & 0o077 == 0
            client = httpx.Client(base_url=nginx.url, timeout=5)

            def status(path: str) -> str:
                return client.get(path).headers["x-cache-status"]

            assert [status("/static/app.3f2a9c.js") for _ in range(3)] == ["MISS", "HIT", "HIT"]
            assert [status("/api/products/1") for _ in range(2)] == ["MISS", "HIT"]
            assert [status("/account") for _ in range(2)] == ["MISS", "MISS"]
            before = catalog.requests
            time.sleep(2.2)  # s-maxage = 1 s has passed (nginx counts whole seconds)
            assert status("/api/products/1") == "REVALIDATED"  # the app answered 304
            assert catalog.not_modified == 1 and catalog.requests == before + 1
            client.post("/api/products/1")
            time.sleep(2.2)
            response = client.get("/api/products/1")
            assert response.headers["x-cache-status"] == "EXPIRED"
            assert response.json()["version"] == 2
        finally:
            nginx.stop()
    assert nginx.dir is None and not nginx.alive()


@needs_nginx
def test_nginx_is_started_as_the_redis_server_is():
    from simcache.private import PrivateProcess
    from simcache.redis_lab import PrivateServer
    assert issubclass(PrivateNginx, PrivateProcess) and issubclass(PrivateServer, PrivateProcess)
    nginx = PrivateNginx(upstream_port=9)
    try:
        nginx.start()
        with open(nginx.config_path, encoding="utf-8") as f:
            config = f.read()
        assert f"listen 127.0.0.1:{nginx.port};" in config and "listen 0" not in config
    finally:
        nginx.stop()


def test_simcache_nginx_none_runs_as_if_nginx_were_not_installed(monkeypatch):
    from simcache.private import PrivateServerError

    monkeypatch.setenv("SIMCACHE_NGINX", "none")
    assert PrivateNginx.find() is None
    with pytest.raises(PrivateServerError) as caught:
        PrivateNginx(upstream_port=9)
    assert str(caught.value) == "nginx is switched off (SIMCACHE_NGINX=none)"
    monkeypatch.setenv("SIMCACHE_NGINX", "/opt/nginx/sbin/nginx")
    assert PrivateNginx.find() == "/opt/nginx/sbin/nginx"


def test_without_nginx_the_lab_says_so_in_one_line(monkeypatch):
    from simcache.private import PrivateServerError
    monkeypatch.delenv("SIMCACHE_NGINX", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PrivateServerError) as caught:
        PrivateNginx(upstream_port=9)
    assert str(caught.value) == "nginx is not on PATH"


@pytest.mark.parametrize("shared", [False, True], ids=["browser", "shared"])
def test_a_real_client_cache_stores_what_the_rules_say_and_revalidates_with_a_304(shared):
    """hishel's cache over httpx, in front of the app on a loopback port: each content
    class is stored (or not) exactly as the per-class decision says; a stale product is
    revalidated, and the app answers 304 with no body."""
    from simcache.http_lab import cached_client, decide

    catalog = Catalog()
    paths = {"static": "/static/app.3f2a9c.js", "product": "/api/products/3",
             "account": "/account"}
    with AppServer(make_app(catalog)) as app, cached_client(app.url, shared) as client:
        for kind, path in paths.items():
            first, second = client.get(path), client.get(path)
            stored = decide(CONTENT[kind], shared).stored
            assert first.extensions["caching"]["stored"] == stored, kind
            assert second.extensions["caching"]["from_cache"] == stored, kind
        if shared:  # s-maxage = 1 s: stale soon, then revalidated
            time.sleep(2.1)
            before = catalog.not_modified
            again = client.get(paths["product"])
            assert again.extensions["caching"]["revalidated"]
            assert again.status_code == 200 and again.json()["id"] == 3
            assert catalog.not_modified == before + 1
