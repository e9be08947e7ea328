"""Notebook 02's helpers: the ladder, the waterfall table and the header check."""

from __future__ import annotations

import pytest

import simcache as sc
from simcache.course import tiers

SHOP = sc.preset("waterfall")
SHORT = SHOP.with_values({"workload.requests": 8_000, "workload.warmup_requests": 2_000})


def test_the_ladder_climbs_from_the_browser_to_the_database():
    frame = tiers.ladder(SHOP, requests=1_500)
    assert list(frame["served by"]) == ["browser", "cdn", "local", "redis", "database"]
    cost = dict(zip(frame["served by"], frame["latency_ms"], strict=True))
    browser, cdn, local = SHOP.tiers[0], SHOP.tiers[1], SHOP.tiers[2]
    assert cost["browser"] == browser.latency_ms
    assert cost["cdn"] == browser.latency_ms + cdn.latency_ms
    assert cost["local"] >= cdn.latency_ms + cdn.origin_latency_ms + local.latency_ms
    assert cost["local"] < cost["redis"] < cost["database"]


def test_the_waterfall_adds_up_and_ends_at_the_database():
    result = sc.run(SHORT)
    frame = tiers.waterfall(result)
    assert list(frame["tier"]) == [*result.tiers["tier"], "database"]
    assert tiers.adds_up(frame)
    assert frame["requests_in"].iloc[0] == result.summary["reads"]
    assert frame["served"].iloc[-1] == result.summary["db_reads"]
    assert frame["share_of_reads"].sum() == pytest.approx(1.0)
    broken = frame.assign(passed_down=frame["passed_down"] + 1)
    assert not tiers.adds_up(broken)
    assert tiers.waterfall_chart(result).data  # draws


def test_decisions_of_the_simulator_and_of_hishel_agree():
    from simcache.http_lab import decide as hishel_decide
    headers = {c.name: c.cache_control for c in SHOP.workload.content}
    ours, theirs = tiers.decisions(headers), tiers.decisions(headers, hishel_decide)
    assert ours.fillna(-1).equals(theirs.fillna(-1))
    account = ours[ours["class"] == "account"]
    assert not account["stored"].any()
    # s-maxage forbids stale serving in shared caches only (RFC 9111 5.2.2.10, 4.2.4)
    swr = {"s-maxage": "public, max-age=10, s-maxage=30, stale-while-revalidate=30"}
    ours, theirs = tiers.decisions(swr), tiers.decisions(swr, hishel_decide)
    assert ours.fillna(-1).equals(theirs.fillna(-1))
    assert list(ours["stale_while_revalidate_s"]) == [30.0, 0.0]  # browser, CDN


def test_the_notebook_s_origin_target_needs_a_browser_lifetime_for_the_account_pages():
    """Exercise 1's 27 % target: reachable with private, max-age=30; not with no-store,
    nor with private alone (stored, but never reusable without asking)."""
    kw = dict(private="account", max_origin_share=0.27, max_staleness_s=30)
    good = {"static": "public, max-age=31536000, immutable",
            "product": "public, max-age=30, s-maxage=30", "account": "private, max-age=30"}
    assert tiers.headers_check(good, SHOP, **kw)
    for naive in ("private, no-store", "private"):
        verdict = tiers.headers_check({**good, "account": naive}, SHOP, **kw)
        assert verdict.status == "high" and "max-age" in str(verdict)


def test_the_header_check_refuses_private_data_in_a_shared_cache_and_is_one_sided():
    kw = dict(private="account", max_staleness_s=30)
    good = {"static": "public, max-age=31536000, immutable",
            "product": "public, max-age=30, s-maxage=30", "account": "private, max-age=30"}
    assert tiers.headers_check(good, SHORT, max_origin_share=0.5, **kw)
    shared = {**good, "account": "public, max-age=30"}
    assert tiers.headers_check(shared, SHORT, max_origin_share=1.0, **kw).status == "wrong"
    assert tiers.headers_check(good, SHORT, max_origin_share=0.01, **kw).status == "high"
    stale = {**good, "product": "public, max-age=10, s-maxage=300"}  # the run lasts 16 s
    assert tiers.headers_check(stale, SHORT, private="account", max_origin_share=1.0,
                               max_staleness_s=1).status == "high"
    assert tiers.headers_check({**good, "static": None}, SHORT, max_origin_share=1.0,
                               **kw).status == "missing"
    assert tiers.headers_check({**good, "static": 3}, SHORT, max_origin_share=1.0,
                               **kw).status == "invalid"


def test_the_explorer_reruns_what_its_controls_say():
    explorer = tiers.WaterfallExplorer(SHORT)
    assert explorer.scenario.workload.content[1].cache_control == \
        "public, max-age=10, s-maxage=60"
    result = explorer.update({"browser": False, "pops": 1, "s_maxage_s": 300})
    assert list(result.tiers["tier"]) == ["cdn", "local", "redis"]
    assert explorer.scenario.tiers[0].pops == 1
    assert explorer.scenario.workload.content[1].cache_control == \
        "public, max-age=10, s-maxage=300"
    assert "reach the application" in explorer.summary()
    try:
        explorer.update({"ttl": 3})
    except ValueError as err:
        assert "ttl" in str(err)
    else:
        raise AssertionError("an unknown setting was accepted")
