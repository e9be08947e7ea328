"""RFC 9111 decisions per content class, as hishel's state machine takes them, on a
table of header cases: what a shared cache (CDN, proxy) and a private one (browser) may
store, for how long a copy is fresh, and when a reuse needs revalidation. The web app of
the HTTP lab sends these headers for real (tests/test_http_lab.py)."""

from __future__ import annotations

import time

import pytest
from edge_support import FakeContext, make_edge

import simcache as sc
from simcache.http_lab import CONTENT, AppServer, Catalog, cached_client, make_app
from simcache.http_lab.rules import decide
from simcache.model.http import decide as core_decide

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


# -- the simulator reads the same rules ------------------------------------------------------
#: More header cases: lower case or not, quoted arguments, a bad number, proxy-revalidate.
MORE = ["", "public", "private", "max-age=60", "s-maxage=30", "PUBLIC, MAX-AGE=20",
        'max-age="30"', "max-age=abc", "private, no-store", "no-cache, s-maxage=60",
        "public, s-maxage=0, max-age=60", "max-age=60, proxy-revalidate",
        "public, max-age=5, stale-while-revalidate=30",
        "max-age=60, must-revalidate, stale-while-revalidate=10"]


def course_cases() -> list[str]:
    """Every Cache-Control the course's scenarios and web app use."""
    scenario = sc.preset("waterfall")
    return sorted({c.cache_control for c in scenario.workload.content} | set(CONTENT.values()))


@pytest.mark.parametrize("cache_control", [*CASES, *MORE, *course_cases()])
def test_the_simulators_own_reading_agrees_with_hishel(cache_control):
    """The simulator's core may not import hishel (it loads redis-py), so it reads
    Cache-Control itself (simcache.model.http): the same decision, case by case.
    (One known difference is left out: a repeated directive, where RFC 9111 section 4.2.1
    says to use the first and hishel uses the last.)"""
    for shared in (True, False):
        assert core_decide(cache_control, shared) == decide(cache_control, shared), shared


@pytest.mark.parametrize("shared", [False, True], ids=["browser", "shared"])
def test_a_simulated_tier_and_a_real_client_cache_do_the_same_on_each_content_class(shared):
    """The same three requests of each class, at 0 s, at once again, and after 2.1 s (the
    product's s-maxage of 1 s has passed): the real cache (hishel over httpx in front of
    the app) and the simulated tier with the same headers store, reuse and revalidate
    alike."""
    paths = {"static": "/static/app.3f2a9c.js", "product": "/api/products/3",
             "account": "/account"}
    real, simulated = {}, {}
    with AppServer(make_app(Catalog())) as app, cached_client(app.url, shared) as client:
        start = time.monotonic()
        for kind, path in paths.items():
            real[kind] = [client.get(path).extensions["caching"]["from_cache"]
                          for _ in range(2)]
        time.sleep(max(0.0, 2.1 - (time.monotonic() - start)))
        for kind, path in paths.items():
            response = client.get(path)
            real[kind].append(response.extensions["caching"]["from_cache"]
                              and not response.extensions["caching"]["revalidated"])
    for kind in paths:
        ctx = FakeContext(keys=1)
        edge = make_edge(ctx, CONTENT[kind], clients=1, browser=not shared, cdn=shared,
                         etag=kind != "account")
        served = []
        for t in (0.0, 0.001, 2.1):
            served.append(edge.read(0, t, 0))
            edge.answered(0, t, 1, t)
        simulated[kind] = served
    assert simulated == real


def test_stale_serving_is_off_where_rfc_9111_forbids_it():
    """Section 4.2.4: must-revalidate, no-cache, and in a shared cache proxy-revalidate or
    an s-maxage (5.2.2.10) forbid serving stale, so stale-while-revalidate does nothing."""
    swr = "stale-while-revalidate=30"
    assert decide(f"max-age=10, {swr}", True).stale_while_revalidate_s == 30
    assert decide(f"max-age=10, s-maxage=20, {swr}", True).stale_while_revalidate_s == 0
    assert decide(f"max-age=10, s-maxage=20, {swr}", False).stale_while_revalidate_s == 30
    for extra in ("must-revalidate", "no-cache"):
        assert decide(f"max-age=10, {extra}, {swr}", False).stale_while_revalidate_s == 0
