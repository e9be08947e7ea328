"""What an HTTP cache may do with a content class's responses, decided by RFC 9111.

The decisions come from hishel's sans-I/O state machine (a maintained implementation of
RFC 9111), asked once per content class and kind of cache rather than once per request:
a response of the class is offered to an empty cache (``IdleClient`` → ``CacheMiss`` →
``StoreAndUse`` or ``CouldNotBeStored``), its freshness lifetime is hishel's
(``s-maxage`` in shared caches, else ``max-age``, else ``Expires``), and a stored copy is
asked for again at once to see whether it can be reused without revalidation
(``FromCache``) or not (``NeedRevalidation``, as ``no-cache`` requires).
``immutable`` (RFC 8246) and ``stale-while-revalidate`` (RFC 5861) are extensions that
hishel leaves to the caller; they, and when RFC 9111 §4.2.4 forbids serving stale, are
read from the header by the core's own functions, so for those two fields the agreement
the tests check is by construction: only ``stored``, ``fresh_s`` and
``revalidate_always`` are hishel's own answers.

This lives above the simulator's core: importing hishel imports its storage back-ends,
redis-py among them, which the core never loads. The core reads the same rules itself
(:mod:`simcache.model.http`), and tests/test_http_rules.py checks both agree.
"""

from __future__ import annotations

import email.utils
import uuid
from functools import cache

from hishel import (
    CacheOptions,
    Entry,
    FromCache,
    Headers,
    IdleClient,
    Request,
    Response,
    StoreAndUse,
)
from hishel._core._spec import get_freshness_lifetime  # pinned: hishel>=2.0,<2.1

from ..model.http import (
    NOT_STORED,
    Decision,
    directives,
    no_stale_reuse,
    stale_while_revalidate_s,
)

_URL = "https://shop.example/content"


@cache
def decide(cache_control: str, shared: bool) -> Decision:
    """The decision of a shared (CDN, proxy) or private (browser) cache for responses
    carrying ``cache_control`` (and an ETag, so a stale copy can be revalidated)."""
    options = CacheOptions(shared=shared)
    request = Request(method="GET", url=_URL, headers=Headers({}))
    miss = IdleClient(options=options).next(request, [])
    response = Response(status_code=200, headers=Headers({
        "cache-control": cache_control, "etag": '"v1"',
        "date": email.utils.formatdate(usegmt=True)}))
    state = miss.next(response)
    if not isinstance(state, StoreAndUse):
        return NOT_STORED
    named = directives(cache_control)
    no_stale = no_stale_reuse(named, shared)
    lifetime = get_freshness_lifetime(response, shared) or 0
    entry = Entry(id=uuid.uuid4(), request=request, response=state.response)
    reused = IdleClient(options=options).next(request, [entry])
    return Decision(stored=True, fresh_s=float(lifetime),
                    revalidate_always=not isinstance(reused, FromCache),
                    immutable="immutable" in named,
                    stale_while_revalidate_s=0.0 if no_stale
                    else stale_while_revalidate_s(cache_control))
