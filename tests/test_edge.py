"""Browser and CDN tiers: the waterfall's counts add up, private content never reaches a
shared cache and no-store content no cache, freshness counts from the response's date,
revalidations end in 304s without a body, and purges remove exactly what they name."""

from __future__ import annotations

import pytest
from edge_support import FakeContext, make_edge

import simcache as sc
from simcache.engine.simulation import Simulation
from simcache.errors import ScenarioError
from simcache.model.edge import classes_of, match


def waterfall(**changes) -> sc.Scenario:
    return sc.preset("waterfall").with_values(changes)


def run_sim(scenario: sc.Scenario) -> tuple[Simulation, sc.Result]:
    sim = Simulation(scenario)
    return sim, sim.run()


# -- the waterfall ------------------------------------------------------------------------
def test_the_waterfalls_counts_add_up_tier_by_tier():
    result = sc.run(waterfall())
    s, tiers = result.summary, result.tiers
    assert list(tiers["tier"]) == ["browser", "cdn", "local", "redis"]
    assert tiers["lookups"].iloc[0] == s["reads"]
    # reads in = served here + passed down, at every tier
    for above, below in zip(tiers.itertuples(), tiers.iloc[1:].itertuples(), strict=False):
        assert below.lookups == above.lookups - above.hits
    # what the edge passed on (counted apart from the tiers' hits) is what the app saw
    served_at_edge = tiers["hits"].iloc[:2].sum()
    assert s["origin_requests"] == s["reads"] - served_at_edge == tiers["lookups"].iloc[2]
    # and what the application's tiers missed is what the database was asked
    assert s["misses"] == tiers["lookups"].iloc[3] - tiers["hits"].iloc[3] == s["db_reads"]
    assert s["hits"] + s["misses"] == s["reads"]
    # each tier does real work in this shop
    assert (tiers["hits"] > 0).all()


def test_same_seed_same_summary_and_another_seed_differs():
    a, b = sc.run(waterfall()).summary, sc.run(waterfall()).summary
    assert a == b
    assert sc.run(waterfall(seed=3)).summary != a


def test_latency_follows_where_a_read_was_served():
    s = sc.run(waterfall()).summary
    # most reads are served by the CDN, 20 ms away; the slowest went on to the origin,
    # 60 ms further, and some of those to the database
    assert s["latency_p50_ms"] == pytest.approx(20.0, rel=0.02)
    assert s["latency_p99_ms"] > 80.0
    only_browser = sc.run(waterfall(**{
        "workload.clients": 1, "workload.content": [
            {"name": "static", "share": 1.0, "cache_control": "max-age=31536000"}],
        "workload.write_ratio": 0.0, "tiers.0.capacity": 2_000})).summary
    # one client whose browser holds all 2,000 objects, fresh for a year: after warm-up,
    # nearly every read is served by the browser
    assert only_browser["tier.browser.hit_ratio"] > 0.95
    assert only_browser["latency_p50_ms"] == 0.0


# -- what may be stored where ---------------------------------------------------------------
def test_private_content_is_never_stored_in_a_shared_tier_and_no_store_nowhere():
    scenario = waterfall(**{"workload.content": [
        {"name": "public", "share": 0.4, "cache_control": "public, max-age=30"},
        {"name": "mine", "share": 0.3, "cache_control": "private, max-age=30"},
        {"name": "secret", "share": 0.3, "cache_control": "no-store"}]})
    sim, result = run_sim(scenario)
    edge = sim.edge
    classes = {name: i for i, name in enumerate(r.name for r in edge.rules)}
    in_cdn = {edge.klass[k] for store in edge.cdn.stores for k in store}
    in_browsers = {edge.klass[k] for store in edge.browsers.stores for k in store}
    assert in_cdn == {classes["public"]}
    assert in_browsers == {classes["public"], classes["mine"]}
    # and every read of no-store content reached the origin
    assert result.summary["origin_requests"] > 0.3 * result.summary["reads"] * 0.9


def test_a_browser_copy_handed_on_by_the_cdn_keeps_its_date():
    """Freshness counts from the origin's response (HTTP's Age): a browser that gets a
    copy the CDN has held 50 s may reuse it for max-age minus 50 s, not max-age."""
    ctx = FakeContext(keys=1)
    edge = make_edge(ctx, "public, max-age=60", clients=2)
    assert not edge.read(0, 0.0, client=0)  # to the origin
    edge.answered(0, 0.0, 1, 0.1)           # version 1, dated 0.1, in the CDN and browser 0
    assert edge.read(0, 50.0, client=1)     # browser 1: the CDN serves a 50 s old copy
    assert ctx.window.tier_hits == [0, 1]
    assert edge.read(0, 60.0, client=1)     # browser 1's copy is fresh until 60.1
    assert ctx.window.tier_hits == [1, 1]
    assert not edge.read(0, 60.2, client=1)  # stale in the browser and in the CDN
    assert edge._pending[(0, 60.2)] == (1, 1, 1)  # both ask with their ETag (version 1)


def test_a_revalidation_that_finds_the_version_unchanged_is_a_304_without_a_body():
    ctx = FakeContext(keys=1)
    edge = make_edge(ctx, "public, max-age=10", clients=1, body_bytes=5_000)
    edge.read(0, 0.0, 0)
    edge.answered(0, 0.0, 1, 0.0)
    assert ctx.window.origin_bytes == 5_000
    edge.read(0, 20.0, 0)                   # stale everywhere: If-None-Match: v1
    edge.answered(0, 20.0, 1, 20.0)         # unchanged: 304, no body
    w = ctx.window
    assert (w.origin_bytes, w.origin_not_modified, w.origin_bytes_saved) == (5_000, 1, 5_000)
    assert w.not_modified == 1              # and the browser got its 304 too
    edge.read(0, 40.0, 0)
    edge.answered(0, 40.0, 2, 40.0)         # a new version: the whole body
    assert (w.origin_bytes, w.origin_not_modified) == (10_000, 1)


def test_no_cache_revalidates_every_reuse_and_immutable_versioned_urls_never_go_stale():
    ctx = FakeContext(keys=1)
    edge = make_edge(ctx, "no-cache", clients=1)
    edge.read(0, 0.0, 0)
    edge.answered(0, 0.0, 1, 0.0)
    assert not edge.read(0, 0.001, 0)       # stored, but never reused without asking
    ctx = FakeContext(keys=1)
    edge = make_edge(ctx, "public, max-age=31536000, immutable", clients=1,
                     versioned_url=True)
    edge.read(0, 0.0, 0)
    edge.answered(0, 0.0, 1, 0.0)
    assert edge.read(0, 1_000.0, 0)         # a year fresh
    ctx.db.committed[0] = 2                 # a new build: a new file name
    assert not edge.read(0, 1_001.0, 0)     # the old copy is another URL: fetched anew
    assert ctx.window.stale == 0


# -- purges -------------------------------------------------------------------------------
def test_a_surrogate_key_purge_removes_exactly_the_tagged_objects():
    sim, _ = run_sim(waterfall())
    edge = sim.edge
    product = [r.name for r in edge.rules].index("product")
    held = [set(store) for store in edge.cdn.stores]
    some = next(k for k in held[0] if edge.klass[k] == product)
    removed = edge.purge_tag(f"product-{some}")
    assert removed == sum(some in h for h in held)
    assert [set(store) for store in edge.cdn.stores] == [h - {some} for h in held]
    removed = edge.purge_tag("products")  # the whole class's tag
    after = [set(store) for store in edge.cdn.stores]
    assert removed == sum(len(h) - len(a) for h, a in zip(held, after, strict=True)) - sum(
        some in h for h in held)
    for h, a in zip(held, after, strict=True):
        assert a == {k for k in h if edge.klass[k] != product}
    assert edge.purge_tag("no-such-tag") == 0


def test_a_url_purge_removes_one_object_and_a_purge_fault_counts_what_it_removed():
    sim, _ = run_sim(waterfall())
    edge = sim.edge
    product = [r.name for r in edge.rules].index("product")
    some = next(k for store in edge.cdn.stores for k in store if edge.klass[k] == product)
    before = sum(len(store) for store in edge.cdn.stores)
    removed = edge.purge_url(f"/api/products/{some}")
    assert removed >= 1
    assert sum(len(store) for store in edge.cdn.stores) == before - removed
    assert edge.purge_url("/api/products/notanumber") == 0
    with_fault = sc.run(waterfall(faults=[{"kind": "purge", "at_s": 60.0,
                                          "tag": "products"}])).summary
    assert with_fault["purged"] > 0


def test_purging_on_write_cuts_the_stale_reads_a_long_s_maxage_causes():
    long = "public, max-age=1, s-maxage=300"
    base = waterfall(**{"workload.content.1.cache_control": long,
                        "workload.write_ratio": 0.05})
    stale = sc.run(base).summary["stale_reads"]
    purged = sc.run(base.with_values({"workload.content.1.purge_on_write": True})).summary
    assert purged["purged"] > 0
    assert purged["stale_reads"] < 0.5 * stale


def test_tags_and_urls_match_their_templates():
    assert match("product-{key}", "product-17") == 17
    assert match("products", "products") is True
    assert match("product-{key}", "product-") is None
    assert match("/p/{key}.json", "/p/5.json") == 5
    assert match("/p/{key}.json", "/p/x.json") is None


def test_content_classes_get_their_share_of_keys_at_every_popularity_level():
    classes = classes_of([0.3, 0.5, 0.2], 10_000)
    for lo, hi in ((0, 100), (0, 10_000), (5_000, 6_000)):
        part = classes[lo:hi]
        for cls, share in enumerate((0.3, 0.5, 0.2)):
            assert part.count(cls) / len(part) == pytest.approx(share, abs=0.02)


# -- scenarios that make no sense are refused ---------------------------------------------
@pytest.mark.parametrize(("change", "field"), [
    ({"tiers": [{"name": "redis"}, {"name": "cdn", "scope": "per-pop"}]}, "tiers.1.scope"),
    ({"tiers": [{"name": "cdn", "scope": "per-pop"}, {"name": "b", "scope": "per-client"}]},
     "tiers.1.scope"),
    ({"tiers": [{"name": "b", "scope": "per-client", "ttl_s": 5}]}, "tiers.0.ttl_s"),
    ({"tiers": [{"name": "r", "origin_latency_ms": 5}]}, "tiers.0.origin_latency_ms"),
    ({"tiers": [{"name": "r", "pops": 3}]}, "tiers.0.pops"),
    ({"workload": {"content": [{"name": "a", "share": 0.5}]}}, "workload.content"),
    ({"workload": {"content": [{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}]}},
     "workload.content.1.name"),
    ({"tiers": [{"name": "b", "scope": "per-client"}]}, "workload.content"),
    ({"faults": [{"kind": "purge", "tag": "x"}]}, "faults.0.kind"),
    ({"faults": [{"kind": "purge"}]}, "faults.0.tag"),
])
def test_bad_edge_scenarios_name_the_field(change, field):
    with pytest.raises(ScenarioError) as err:
        sc.Scenario.from_dict(change)
    assert err.value.field == field


def test_stale_while_revalidate_serves_a_stale_copy_once_and_refreshes_it():
    ctx = FakeContext(keys=1)
    edge = make_edge(ctx, "max-age=0, stale-while-revalidate=30", clients=1, cdn=False)
    edge.read(0, 0.0, 0)
    edge.answered(0, 0.0, 1, 0.0)
    assert edge.read(0, 10.0, 0)            # stale, within 30 s: served at once...
    assert ctx.window.edge_refreshes == 1   # ...and revalidated in the background
    assert ctx.window.origin_not_modified == 1
    assert not edge.read(0, 50.0, 0)        # refreshed at 10 s, so stale-enough at 50 s


def test_a_class_without_writes_is_never_written():
    s = waterfall(**{"workload.write_ratio": 0.2})
    sim, result = run_sim(s)
    static = [r.name for r in sim.edge.rules].index("static")
    assert result.summary["writes"] > 0
    assert all(v == 0 for k, v in enumerate(sim.db.committed[:s.workload.keys])
               if sim.edge.klass[k] == static)
