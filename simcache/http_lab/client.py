"""A real RFC 9111 client cache (hishel over httpx) in front of the web app."""

from __future__ import annotations

import sqlite3
from typing import Any


def cached_client(base_url: str, shared: bool = False) -> Any:
    """An httpx client whose transport is hishel's RFC 9111 cache, kept in memory: a
    browser's private cache (``shared=False``) or a shared one such as a CDN's
    (``shared=True``). Each response says what the cache did in
    ``response.extensions["caching"]`` (``from_cache``, ``revalidated``, ``stored``)."""
    import httpx
    from hishel import CacheOptions, SqliteStorage
    from hishel.httpx import CacheTransport

    storage = SqliteStorage(connection=sqlite3.connect(":memory:", check_same_thread=False))
    transport = CacheTransport(next_transport=httpx.HTTPTransport(), storage=storage,
                               rfc=CacheOptions(shared=shared))
    return httpx.Client(transport=transport, base_url=base_url, timeout=5)
