"""The benchmark runs end to end at a tiny size. Nothing here checks a timing."""

from __future__ import annotations

import json

import pytest

from simcache import Scenario, bench

TINY = bench.Sizes(full_requests=5_500, naive_requests=5_500, replay_requests=20_000,
                   replay_capacities=(100,), memory_requests=(3_000, 6_000), slider_repeat=1)
TINY_SLIDER = {"tiny": Scenario().with_values({"workload.requests": 2_000,
                                               "workload.warmup_requests": 500})}


def test_naive_model_agrees_with_the_engine():
    """Same arrivals, keys and policies: the one-process-per-request model hits as often."""
    scenario = bench.full_scenario(5_500)
    naive = bench.naive_run(scenario)
    summary = bench.run(scenario).summary
    assert naive["requests"] == summary["requests"] == 5_000
    # The models differ only in when a miss reaches the database (the naive one waits out
    # each tier's lookup first), so counts agree closely but not exactly.
    assert naive["hit_ratio"] == pytest.approx(summary["hit_ratio"], abs=0.01)
    assert naive["misses"] == pytest.approx(summary["misses"], rel=0.02)


def test_naive_model_agrees_on_a_contended_database_with_writes():
    """One connection, few keys, writes: queueing and invalidation must match exactly."""
    scenario = bench.full_scenario(5_500).with_values({
        "database.concurrency": 1, "database.latency_ms": 2.0, "workload.keys": 50,
        "workload.rate_rps": 300})
    naive = bench.naive_run(scenario)
    summary = bench.run(scenario).summary
    for key in ("hit_ratio", "misses", "stale_reads"):
        assert naive[key] == summary[key], key
    # The naive model starts its query after waiting out the lookups, so the queue it meets
    # differs a little: the tail agrees within a few per cent.
    assert naive["latency_p99_ms"] == pytest.approx(summary["latency_p99_ms"], rel=0.05)


def test_replay_trace_is_what_libcachesim_reads():
    """The oracleGeneral file written for libCacheSim gives the same hits as simcache."""
    pytest.importorskip("libcachesim")
    data = bench.bench_replay(TINY, repeat=1)
    assert [(r["policy"], r["capacity"]) for r in data["rows"]] == [("lru", 100), ("fifo", 100)]
    for row in data["rows"]:
        assert row["simcache_hits"] > 0
        assert row["libcachesim_hits"] == row["simcache_hits"], row


def test_memory_runs_in_a_subprocess():
    data = bench.bench_memory(TINY)
    assert [r["requests"] for r in data["runs"]] == [3_000, 6_000]
    for r in data["runs"]:
        assert r["peak_kib"] >= r["base_kib"] > 0
        assert r["measured_requests"] == r["requests"] - r["warmup_requests"]


def test_every_section_renders_and_saves(tmp_path):
    lines: list[str] = []
    data = bench.run_all(["slider", "full", "replay"], TINY, repeat=1, emit=lines.append,
                         slider=TINY_SLIDER)
    text = "\n".join(lines)
    assert text.index("1. Full model") < text.index("3. Eviction-only") < text.index("5. Slider")
    assert "naive simpy" in text and "tiny" in text
    assert data["full"]["naive_requests"] == 5_500
    assert data["slider"]["rows"][0]["requests"] == 2_000
    path = tmp_path / "out" / "bench.json"
    bench.write_json(data, path)
    assert json.loads(path.read_text())["full"]["requests"] == 5_500


def test_slider_scenarios_include_the_default():
    assert "Scenario()" in bench.slider_scenarios()


def test_table_aligns_columns():
    text = bench.table(["name", "value"], [["a", "1"], ["long name", "1,000"]], indent="")
    assert text.splitlines() == ["name       value", "---------  -----",
                                 "a              1", "long name  1,000"]


def test_bad_repeat_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--repeat", "0"])
    assert exit_.value.code == 2
    assert "--repeat" in capsys.readouterr().err


def test_naive_model_agrees_with_pubsub_and_two_app_servers():
    """Per-server local tiers, pub/sub with loss: the naive model invalidates identically.

    With lookups that take no time the two models see every event in the same order, so
    they agree exactly; with lookup latency the naive model looks each tier up later than
    the engine (which adds the latency to the recorded figure), so a delete or a message
    can land between, and counts agree closely but not exactly.
    """
    scenario = bench.full_scenario(5_500, bench.FULL_MODEL_WRITES).with_values({
        "database.concurrency": 1, "database.latency_ms": 2.0, "workload.keys": 50,
        "workload.rate_rps": 300, "invalidation.pubsub_loss": 0.3,
        "invalidation.pubsub_delay_ms": 5.0})
    naive = bench.naive_run(scenario)
    summary = bench.run(scenario).summary
    assert summary["stale_reads"] > 0  # lost messages leave local copies stale
    assert naive["hit_ratio"] == pytest.approx(summary["hit_ratio"], abs=0.01)
    assert naive["stale_reads"] == pytest.approx(summary["stale_reads"], rel=0.05)
    instant = scenario.with_values({"tiers.0.latency_ms": 0.0, "tiers.1.latency_ms": 0.0})
    naive = bench.naive_run(instant)
    summary = bench.run(instant).summary
    for key in ("requests", "hit_ratio", "misses", "stale_reads"):
        assert naive[key] == summary[key], key
