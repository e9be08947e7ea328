"""The HTTP lab: a small web app that sets real caching headers, served in-process or on a
private loopback port, and a private nginx caching in front of it.

``app`` (:mod:`.app`) is a Starlette application whose content classes each carry their own
``Cache-Control`` and an ``ETag`` per version: hashed static assets cached for a year, a
public product API that shared caches revalidate, private account pages. httpx can call
it with no network at all (``httpx.ASGITransport``); :class:`AppServer` serves it on a
free loopback port, for a real RFC 9111 client cache in front (:func:`cached_client`:
hishel over httpx, a browser's or a CDN's) or for an nginx in front
(:class:`PrivateNginx`, started only where an ``nginx`` binary is installed, through the
same private-server mechanism as the lab's redis-server, :mod:`simcache.private`).

:func:`decide` (:mod:`.rules`) says, per content class and kind of cache, what RFC 9111
allows, as hishel's state machine decides it. Starlette, uvicorn, httpx and hishel are
imported inside this package only (the ``http`` extra).
"""

from __future__ import annotations

from .app import CONTENT, Catalog, make_app
from .client import cached_client
from .nginx import PrivateNginx, nginx_config
from .rules import Decision, decide
from .serve import AppServer

__all__ = ["CONTENT", "AppServer", "Catalog", "Decision", "PrivateNginx", "cached_client",
           "decide", "make_app", "nginx_config"]
