"""RFC 9111 decisions per content class, as hishel's state machine takes them, on a
table of header cases: what a shared cache (CDN, proxy) and a private one (browser) may
store, for how long a copy is fresh, and when a reuse needs revalidation. The web app of
the HTTP lab sends these headers for real (tests/test_http_lab.py)."""

from __future__ import annotations

import pytest

from simcache.http_lab import CONTENT
from simcache.http_lab.rules import decide

#: Cache-Control -> (shared: stored, fresh s, revalidate always), (private: the same)
CASES = {
    # s-maxage overrides max-age in shared caches only (RFC 9111 5.2.2.10)
    "public, max-age=10, s-maxage=60": ((True, 60, False), (True, 10, False)),
    # no-store: stored nowhere (5.2.2.5)
    "no-store": ((False, 0, False), (False, 0, False)),
    # private: never in a shared cache, a browser may keep it (5.2.2.7)
    "private, max-age=60": ((False, 0, False), (True, 60, False)),
    # no-cache: may be stored, but every reuse is revalidated first (5.2.2.4)
    "no-cache": ((True, 0, True), (True, 0, True)),
    "no-cache, max-age=600": ((True, 600, True), (True, 600, True)),
    # max-age=0: stale at once, so every reuse is revalidated (4.2, 4.3)
    "max-age=0, must-revalidate": ((True, 0, True), (True, 0, True)),
    # a year, and immutable: never revalidated while fresh (RFC 8246)
    "public, max-age=31536000, immutable": ((True, 31_536_000, False),
                                            (True, 31_536_000, False)),
}


@pytest.mark.parametrize("cache_control", list(CASES))
def test_shared_and_private_caches_decide_as_rfc_9111_says(cache_control):
    for shared, expected in zip((True, False), CASES[cache_control], strict=True):
        d = decide(cache_control, shared)
        assert (d.stored, d.fresh_s, d.revalidate_always) == expected, (cache_control, shared)


def test_extensions_are_read_as_their_rfcs_define_them():
    assert decide("public, max-age=31536000, immutable", True).immutable
    assert not decide("public, max-age=60", True).immutable
    swr = decide("public, max-age=5, stale-while-revalidate=30", True)
    assert swr.fresh_s == 5 and swr.stale_while_revalidate_s == 30  # RFC 5861 section 3


def test_the_web_apps_content_classes_never_put_private_data_in_a_shared_cache():
    assert not decide(CONTENT["account"], True).stored
    assert not decide(CONTENT["account"], False).stored  # no-store: not even the browser
    assert decide(CONTENT["static"], True).immutable
    product_shared, product_private = decide(CONTENT["product"], True), decide(
        CONTENT["product"], False)
    assert product_shared.fresh_s < product_private.fresh_s  # s-maxage for the CDN
