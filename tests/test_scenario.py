"""Scenario: plain data in and out, defaults, dotted paths, and one clear error per bad value."""

from __future__ import annotations

import json

import numpy as np
import pytest

import simcache as sc
from simcache.scenario import field_rule

CUSTOM = {
    "seed": 7,
    "workload": {"keys": 500, "popularity": "hotspot", "zipf_alpha": 0.8,
                 "hot_key_fraction": 0.1, "hot_traffic_fraction": 0.9, "rate_rps": 250.0,
                 "requests": 3000, "duration_s": None, "warmup_requests": 500,
                 "write_ratio": 0.05, "app_servers": 3,
                 "missing_ratio": 0.02, "missing_keys": 5_000, "value_bytes": 300,
                 "fanout": 3, "request_cache": True, "clients": 40,
                 "content": [{"name": "product", "share": 1.0,
                              "cache_control": "public, max-age=10, s-maxage=60",
                              "etag": True, "tags": ["product-{key}"], "path": None,
                              "body_bytes": 900, "purge_on_write": True,
                              "writable": True, "versioned_url": False}]},
    "tiers": [
        {"name": "l1", "capacity": 20, "eviction": "lfu", "ttl_s": 2.5, "ttl_jitter": 0.1,
         "latency_ms": 0.01, "samples": 5, "lru_clock_ms": 1000.0, "scope": "per-server",
         "pops": 1, "origin_latency_ms": 0.0, "inherit_ttl": True, "entry_overhead_bytes": 90,
         "nodes": 1, "node_ops_per_s": None,
         "hot_keys": 0, "hot_key_replicas": 1, "hot_key_split": 1},
        {"name": "shared", "capacity": 300, "eviction": "redis-lru", "ttl_s": None,
         "ttl_jitter": 0.0, "latency_ms": 0.7, "samples": 10, "lru_clock_ms": 0.0,
         "scope": "shared", "pops": 1, "origin_latency_ms": 0.0, "inherit_ttl": False,
         "entry_overhead_bytes": 60, "nodes": 3,
         "node_ops_per_s": 50_000.0, "hot_keys": 5, "hot_key_replicas": 1, "hot_key_split": 2},
    ],
    "database": {"latency_ms": 4.0, "concurrency": 3, "service": "constant",
                 "timeout_ms": 250.0},
    "strategy": {"read": "cache-aside", "write": "invalidate", "refresh_fraction": 0.25,
                 "refresh_workers": 2, "flush_interval_s": 0.5, "flush_batch": 20},
    "invalidation": {"pubsub": True, "pubsub_delay_ms": 2.0, "pubsub_loss": 0.01,
                     "delete_delay_ms": 500.0, "set_check": "version"},
    "metrics": {"interval_s": 0.5, "trace_keys": [3, 7], "peak_window_s": 0.05},
    "protections": [],
    "faults": [{"kind": "flush", "at_s": 5.0, "tier": "shared"},
               {"kind": "db-slowdown", "at_s": 2.0, "until_s": 4.0, "factor": 3.0}],
}


def test_from_dict_to_dict_round_trip_keeps_every_value():
    scenario = sc.Scenario.from_dict(CUSTOM)
    assert scenario.to_dict() == CUSTOM
    assert sc.Scenario.from_dict(scenario.to_dict()) == scenario


def test_default_scenario_round_trips_and_has_the_documented_defaults():
    scenario = sc.Scenario()
    assert sc.Scenario.from_dict({}) == scenario
    assert sc.Scenario.from_dict(scenario.to_dict()) == scenario
    assert scenario.seed == 42
    w = scenario.workload
    assert (w.keys, w.popularity, w.zipf_alpha) == (10_000, "zipf", 1.0)
    assert (w.rate_rps, w.requests, w.warmup_requests, w.duration_s) == (1000.0, 50_000, 10_000,
                                                                          None)
    assert w.write_ratio == 0.0
    assert [(t.name, t.capacity, t.eviction, t.ttl_s, t.latency_ms) for t in scenario.tiers] == [
        ("local", 200, "lru", None, 0.05), ("redis", 2000, "redis-lru", None, 0.5)]
    db = scenario.database
    assert (db.latency_ms, db.concurrency, db.service) == (10.0, 8, "exponential")
    assert scenario.strategy.read == "cache-aside"
    assert scenario.metrics.interval_s is None


def test_missing_fields_take_defaults_section_by_section():
    scenario = sc.Scenario.from_dict({"workload": {"keys": 77}, "tiers": [{"name": "only"}]})
    assert scenario.workload.keys == 77
    assert scenario.workload.zipf_alpha == sc.Workload().zipf_alpha
    (tier,) = scenario.tiers
    assert tier == sc.Tier(name="only")
    assert scenario.database == sc.Database()


def test_toml_round_trip_through_a_file(tmp_path):
    scenario = sc.Scenario.from_dict(CUSTOM)
    path = tmp_path / "run.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    assert sc.Scenario.load(path) == scenario
    assert sc.Scenario.from_toml(scenario.to_toml()) == scenario


def test_json_round_trip_through_a_file(tmp_path):
    scenario = sc.Scenario.from_dict(CUSTOM)
    path = tmp_path / "run.json"
    path.write_text(scenario.to_json(), encoding="utf-8")
    assert sc.Scenario.load(path) == scenario
    assert json.loads(path.read_text(encoding="utf-8")) == CUSTOM


def test_hand_written_toml_loads(tmp_path):
    path = tmp_path / "hand.toml"
    path.write_text(
        'seed = 3\n'
        '[workload]\nkeys = 100\nrequests = 1000\nwarmup_requests = 0\n'
        '[[tiers]]\nname = "near"\ncapacity = 10\neviction = "fifo"\nttl_s = 30\n'
        '[[tiers]]\nname = "far"\ncapacity = 50\n',
        encoding="utf-8")
    scenario = sc.Scenario.load(path)
    assert scenario.seed == 3
    assert [t.name for t in scenario.tiers] == ["near", "far"]
    assert scenario.tiers[0].ttl_s == 30.0 and isinstance(scenario.tiers[0].ttl_s, float)
    assert scenario.tiers[1].eviction == "lru"


def test_empty_tier_list_is_valid_and_survives_toml(tmp_path):
    scenario = sc.Scenario.from_dict({"tiers": []})
    assert scenario.tiers == ()
    assert scenario.to_dict()["tiers"] == []
    path = tmp_path / "nocache.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    assert sc.Scenario.load(path).tiers == ()


def test_whole_float_is_accepted_for_an_int_field_and_stored_as_int():
    scenario = sc.Scenario.from_dict({"workload": {"keys": 250.0}})
    assert scenario.workload.keys == 250 and type(scenario.workload.keys) is int


def test_numpy_numbers_are_accepted_and_stored_as_python_numbers():
    scenario = sc.Scenario.from_dict({"workload": {"keys": np.int64(300),
                                                   "zipf_alpha": np.float32(0.5)}})
    assert scenario.workload.keys == 300 and type(scenario.workload.keys) is int
    assert type(scenario.workload.zipf_alpha) is float
    assert sc.Scenario().with_values({"tiers.0.capacity": np.arange(50, 60)[3]}).tiers[
        0].capacity == 53


def test_int_is_accepted_for_a_float_field_and_stored_as_float():
    scenario = sc.Scenario.from_dict({"workload": {"zipf_alpha": 1}})
    assert scenario.workload.zipf_alpha == 1.0 and type(scenario.workload.zipf_alpha) is float


def test_scenario_is_frozen():
    scenario = sc.Scenario()
    with pytest.raises(AttributeError):
        scenario.seed = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        scenario.workload.keys = 1  # type: ignore[misc]


# -- get / with_values --------------------------------------------------------------------

def test_get_reads_dotted_paths():
    scenario = sc.Scenario.from_dict(CUSTOM)
    assert scenario.get("seed") == 7
    assert scenario.get("workload.zipf_alpha") == 0.8
    assert scenario.get("tiers.1.samples") == 10
    assert scenario.get("tiers.0.ttl_s") == 2.5
    assert scenario.get("database.service") == "constant"
    assert scenario.get("tiers") == CUSTOM["tiers"]


@pytest.mark.parametrize(("path", "field"), [
    ("workload.zipf_alpa", "workload.zipf_alpa"),
    ("tiers.5.capacity", "tiers.5.capacity"),
    ("tiers.x.capacity", "tiers.x.capacity"),
])
def test_get_of_a_bad_path_names_it(path, field):
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario().get(path)
    assert info.value.field == field


def test_with_values_changes_only_the_named_fields():
    base = sc.Scenario.from_dict(CUSTOM)
    changed = base.with_values({"tiers.0.capacity": 40, "workload.zipf_alpha": 1.1,
                                "seed": 8, "tiers.1.ttl_s": 9})
    assert changed.tiers[0].capacity == 40
    assert changed.workload.zipf_alpha == 1.1
    assert changed.seed == 8
    assert changed.tiers[1].ttl_s == 9.0
    expected = base.to_dict()
    expected["tiers"][0]["capacity"] = 40
    expected["workload"]["zipf_alpha"] = 1.1
    expected["seed"] = 8
    expected["tiers"][1]["ttl_s"] = 9.0
    assert changed.to_dict() == expected
    assert base.tiers[0].capacity == 20  # the original is untouched


def test_with_values_can_replace_the_tier_list():
    assert sc.Scenario().with_values({"tiers": []}).tiers == ()


def test_with_values_validates():
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario().with_values({"tiers.1.capacity": -3})
    assert info.value.field == "tiers.1.capacity"
    assert info.value.value == -3


def test_with_values_of_an_unknown_path_suggests_the_right_one():
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario().with_values({"workload.zipf_alpa": 1.2})
    assert info.value.field == "workload.zipf_alpa"
    assert "zipf_alpha" in str(info.value)


def test_field_rule_describes_ranges_and_choices():
    assert field_rule("tiers.0.capacity").low == 0
    assert field_rule("workload.write_ratio").high == 1
    assert set(field_rule("tiers.3.eviction").choices) == set(sc.POLICIES)
    assert field_rule("tiers.0.ttl_s").optional
    with pytest.raises(sc.ScenarioError):
        field_rule("workload.nope")


# -- invalid input: one error naming the field, the value and what is allowed -------------

def _tiers(**one):
    return {"tiers": [{"name": "a", **one}]}


# (dict, exact dotted field, text that must appear: the value, then what is allowed)
INVALID = {
    "negative capacity": (_tiers(capacity=-1), "tiers.0.capacity", ["-1", ">= 0"]),
    "negative capacity, second tier": (
        {"tiers": [{"name": "a"}, {"name": "b", "capacity": -5}]}, "tiers.1.capacity",
        ["-5", ">= 0"]),
    "zipf_alpha below 0": ({"workload": {"zipf_alpha": -0.5}}, "workload.zipf_alpha",
                           ["-0.5", ">= 0"]),
    "unknown eviction": (_tiers(eviction="lruu"), "tiers.0.eviction",
                         ["'lruu'", "redis-lru", "did you mean 'lru'"]),
    "zero keys": ({"workload": {"keys": 0}}, "workload.keys", ["= 0", ">= 1"]),
    "write_ratio above 1": ({"workload": {"write_ratio": 1.5}}, "workload.write_ratio",
                            ["1.5", "<= 1"]),
    "typo'd field": ({"workload": {"zipf_alpa": 1.0}}, "workload.zipf_alpa",
                     ["1.0", "did you mean 'zipf_alpha'", "unknown field"]),
    "typo'd tier field": (_tiers(capacty=5), "tiers.0.capacty", ["5", "'capacity'"]),
    "duplicate tier names": ({"tiers": [{"name": "x"}, {"name": "y"}, {"name": "x"}]},
                             "tiers.2.name", ["'x'", "unique"]),
    "warm-up as long as the run": ({"workload": {"requests": 100, "warmup_requests": 100}},
                                   "workload.warmup_requests", ["100", "less than requests"]),
    "warm-up longer than the run": ({"workload": {"requests": 100, "warmup_requests": 500}},
                                    "workload.warmup_requests", ["500", "less than"]),
    "requests and duration_s": (
        {"workload": {"requests": 100, "duration_s": 5.0, "warmup_requests": 0}},
        "workload.duration_s", ["5.0", "either requests or duration_s"]),
    "neither requests nor duration_s": (
        {"workload": {"requests": None, "warmup_requests": 0}}, "workload.requests",
        ["None", "duration_s"]),
    "bool for an int": ({"workload": {"keys": True}}, "workload.keys", ["True", "number"]),
    "bool for a float": ({"database": {"latency_ms": False}}, "database.latency_ms",
                         ["False", "number"]),
    "bool for a tier int": (_tiers(capacity=True), "tiers.0.capacity", ["True", "number"]),
    "bool seed": ({"seed": True}, "seed", ["True", "number"]),
    "non-integer float for an int": ({"workload": {"keys": 10.5}}, "workload.keys",
                                     ["10.5", "whole number"]),
    "non-integer float for a tier int": (_tiers(samples=2.5), "tiers.0.samples",
                                         ["2.5", "whole number"]),
    "string for a number": ({"workload": {"rate_rps": "fast"}}, "workload.rate_rps",
                            ["'fast'", "number"]),
    "NaN": ({"workload": {"zipf_alpha": float("nan")}}, "workload.zipf_alpha",
            ["nan", "finite"]),
    "infinity": ({"workload": {"rate_rps": float("inf")}}, "workload.rate_rps",
                 ["inf", "finite"]),
    "zero rate (open bound)": ({"workload": {"rate_rps": 0}}, "workload.rate_rps",
                               ["0", "> 0"]),
    "zero ttl (open bound)": (_tiers(ttl_s=0), "tiers.0.ttl_s", ["0", "> 0", "omitted"]),
    "negative seed": ({"seed": -1}, "seed", ["-1", ">= 0"]),
    "unknown popularity": ({"workload": {"popularity": "zipff"}}, "workload.popularity",
                           ["'zipff'", "hotspot", "did you mean 'zipf'"]),
    "unknown service": ({"database": {"service": "normal"}}, "database.service",
                        ["'normal'", "exponential"]),
    "zero concurrency": ({"database": {"concurrency": 0}}, "database.concurrency",
                         ["0", ">= 1"]),
    "unknown read strategy": ({"strategy": {"read": "read-behind"}}, "strategy.read",
                              ["'read-behind'", "cache-aside"]),
    "bad tier name": (_tiers(name="9lives"), "tiers.0.name", ["'9lives'", "start with a letter"]),
    "unknown top-level section": ({"workloads": {}}, "workloads",
                                  ["did you mean 'workload'", "allowed"]),
    "tiers is a table": ({"tiers": {"name": "a"}}, "tiers", ["{'name': 'a'}", "list"]),
    "tiers is a string": ({"tiers": "redis"}, "tiers", ["'redis'", "list"]),
    "a tier is a number": ({"tiers": [3]}, "tiers.0", ["3", "table"]),
    "a section is a list": ({"workload": [1, 2]}, "workload", ["[1, 2]", "table"]),
    "required value missing": ({"workload": {"keys": None}}, "workload.keys",
                               ["None", "required"]),
}


@pytest.mark.parametrize(("data", "field", "texts"), INVALID.values(), ids=INVALID.keys())
def test_invalid_input_names_field_value_and_what_is_allowed(data, field, texts):
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario.from_dict(data)
    err = info.value
    assert err.field == field
    message = str(err)
    assert message.startswith(field + " = "), message
    assert "\n" not in message
    for text in texts:
        assert text in message, f"{text!r} not in {message!r}"


def test_scenario_error_is_a_value_error_with_its_parts():
    with pytest.raises(ValueError) as info:
        sc.Scenario.from_dict({"workload": {"keys": -4}})
    err = info.value
    assert isinstance(err, sc.ScenarioError)
    assert (err.field, err.value) == ("workload.keys", -4)
    assert ">= 1" in err.allowed


def test_wrong_type_for_a_free_text_field_does_not_say_number():
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario.from_dict(_tiers(name=5))
    assert info.value.field == "tiers.0.name"
    assert "must be a string" in str(info.value)
    assert "a number" not in str(info.value)


def test_bad_toml_text_is_a_scenario_error():
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario.from_toml("seed = = 3\n")
    assert info.value.field == "toml"
    assert "not valid TOML" in str(info.value)
    assert "line 1" in str(info.value)


@pytest.mark.parametrize(("name", "text", "field"), [
    ("broken.toml", "[workload\nkeys = 3\n", "toml"),
    ("broken.json", "{'seed': 1}", "json"),
])
def test_a_file_that_does_not_parse_is_a_scenario_error(tmp_path, name, text, field):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario.load(path)
    assert info.value.field == field


def test_invalid_value_inside_a_toml_file_names_its_path(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[tiers]]\nname = "a"\n[[tiers]]\nname = "b"\neviction = "lfuu"\n',
                    encoding="utf-8")
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario.load(path)
    assert info.value.field == "tiers.1.eviction"
    assert "did you mean 'lfu'" in str(info.value)


def test_load_rejects_other_suffixes_and_missing_files(tmp_path):
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario.load(tmp_path / "run.yaml")
    assert info.value.field == "config"
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario.load(tmp_path / "absent.toml")
    assert info.value.field == "config"
    assert "absent.toml" in str(info.value)


def test_from_dict_rejects_a_non_mapping():
    with pytest.raises(sc.ScenarioError) as info:
        sc.Scenario.from_dict([("seed", 1)])  # type: ignore[arg-type]
    assert info.value.field == "scenario"


def test_describe_is_one_readable_line():
    text = sc.Scenario.from_dict(CUSTOM).describe()
    assert "\n" not in text
    assert "3,000 requests" in text and "l1[20 lfu ttl 2.5s per server]" in text
    assert "3 app servers" in text and "timeout 250 ms" in text and "flush shared at 5 s" in text
    assert "no cache" in sc.Scenario.from_dict({"tiers": []}).describe()


def test_describe_names_the_invalidation_settings():
    base = sc.Scenario.from_dict(CUSTOM)
    text = base.describe()
    assert "pub/sub 2 ms losing 1%" in text
    assert "second delete after 500 ms" in text and "version check on set" in text
    plain = base.with_values({"invalidation.pubsub": False, "invalidation.delete_delay_ms": None,
                              "invalidation.set_check": "none"}).describe()
    assert "pub/sub 2" not in plain and "second delete" not in plain and "version" not in plain
    # pub/sub with one app server tells nobody: the line does not claim it
    assert "pub/sub 2" not in base.with_values({"workload.app_servers": 1}).describe()


def test_nodes_belong_to_shared_tiers_and_hot_keys_spread_over_at_most_all_of_them():
    def tier(**fields):
        return sc.Scenario.from_dict({"tiers": [{"name": "r", **fields}]})
    with pytest.raises(sc.ScenarioError) as err:
        tier(scope="per-server", nodes=3)
    assert err.value.field == "tiers.0.nodes"
    with pytest.raises(sc.ScenarioError) as err:
        tier(nodes=3, hot_keys=2, hot_key_split=4)
    assert err.value.field == "tiers.0.hot_key_split" and "at most nodes (3)" in str(err.value)
    with pytest.raises(sc.ScenarioError) as err:
        tier(nodes=4, hot_key_split=2, hot_key_replicas=2)
    assert "not both" in str(err.value)
