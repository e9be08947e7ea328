"""Course helpers: exercise checks that explain themselves, the capacity solver, presets."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simcache as sc
from simcache.course import LATENCY_LADDER, Check, check, smallest_capacity_for
from simcache.scenario.presets import PRESETS, preset


# -- check(): right, wrong, missing, not a number ------------------------------------------
def test_a_right_answer_passes_and_explains():
    result = check(0.91, 0.9123, name="hit_ratio", explain="Zipf puts most reads on few keys.")
    assert result.ok and bool(result) and result.status == "ok"
    assert "hit_ratio" in result.message and "Zipf puts" in result.message
    assert result._repr_markdown_() == str(result) == result.message


@pytest.mark.parametrize("answer, status", [(0.95, "high"), (0.5, "low")])
def test_a_wrong_answer_fails_with_a_direction_and_the_hint(answer, status):
    result = check(answer, 0.9, name="hit_ratio", hint="Look at the overall line.")
    assert not result and result.status == status
    assert f"too {status}" in result.message
    assert "Hint: Look at the overall line." in result.message
    assert "0.9 " not in result.message  # the expected value is not given away


@pytest.mark.parametrize("answer", [None, ...])
def test_an_unfilled_answer_asks_to_fill_it_in(answer):
    result = check(answer, 3, name="capacity")
    assert not result and result.status == "missing"
    assert result.message.startswith("✏️ Fill in `capacity`")
    assert "run this cell again" in result.message
    blank = "None" if answer is None else "..."
    assert f"replace `{blank}` with your answer" in result.message  # only what the cell has


@pytest.mark.parametrize("answer, expected, words", [
    (0.9, 0.9, "Correct:"), (0.5, 0.9, "Not yet:"), ("x", 0.9, "Not yet:"),
    (float("nan"), 0.9, "Not yet:"), ("lru", "lru", "Correct:"), ("fifo", "lru", "Not yet:"),
    (None, 0.9, "Fill in")])
def test_the_verdict_reads_without_its_emoji(answer, expected, words):
    """Without an emoji font the symbols show as boxes: words must carry the verdict."""
    message = check(answer, expected).message
    assert message.split(" ", 1)[1].startswith(words), message


@pytest.mark.parametrize("answer", ["0.9", [0.9], True, object()])
def test_a_value_that_is_not_a_number_is_named(answer):
    result = check(answer, 0.9, name="hit_ratio", hint="A fraction between 0 and 1.")
    assert not result and result.status == "invalid"
    assert "should be a number" in result.message and "Hint:" in result.message


def test_nan_is_not_a_number():
    result = check(float("nan"), 0.9)
    assert result.status == "invalid" and "NaN" in result.message


def test_tolerances_relative_absolute_and_default():
    assert check(1.009, 1.0)                      # default: within 1 %
    assert not check(1.02, 1.0)
    assert check(105, 100, rel=0.05) and not check(106, 100, rel=0.05)
    assert check(0.93, 0.9, abs=0.05) and not check(0.96, 0.9, abs=0.05)
    assert check(0.0, 0.0) and not check(0.001, 0.0)  # exact when expected is zero
    assert check(np.float64(0.9), 0.9) and check(np.int64(3), 3)


def test_a_percentage_given_for_a_fraction_gets_a_pointer():
    result = check(90, 0.9, name="hit_ratio")
    assert not result and "fraction (0.9, not 90)" in result.message


def test_units_are_written_after_numbers():
    result = check(3100, 3000, rel=0.05, unit="entries")
    assert result and "3,100 entries" in result.message


def test_non_numeric_expected_values_compare_for_equality():
    assert check(" LRU", "lru", name="policy")
    wrong = check("fifo", "lru", name="policy", hint="Which one keeps hot keys?")
    assert not wrong and wrong.status == "wrong" and "Hint:" in wrong.message
    assert check(True, True) and not check(1, True) and not check(False, True)


def test_check_never_raises_on_odd_values():
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("no comparing")

        __hash__ = object.__hash__

    assert isinstance(check(Weird(), "x"), Check)
    assert isinstance(check(np.array([1, 2]), "x"), Check)
    assert check(Weird(), 1.0).status == "invalid"


# -- the latency ladder ----------------------------------------------------------------------
def test_latency_ladder_rows_are_ordered_and_well_known():
    values = [row.latency_ms for row in LATENCY_LADDER]
    assert values == sorted(values) and all(v > 0 for v in values)
    names = [row.name for row in LATENCY_LADDER]
    assert len(set(names)) == len(names)
    by_name = {row.name: row.latency_ms for row in LATENCY_LADDER}
    # Orders of magnitude every engineer should know.
    assert by_name["RAM reference"] == pytest.approx(1e-4)            # ~100 ns
    assert by_name["Redis, same LAN"] == pytest.approx(0.5)           # ~0.5 ms round trip
    assert by_name["cross-region round trip"] >= 50                   # tens of ms or more
    assert by_name["DB query, indexed"] / by_name["in-process dict / LRU hit"] >= 100
    assert all(isinstance(row.note, str) and row.note for row in LATENCY_LADDER)


# -- the capacity solver ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def small() -> sc.Scenario:
    return preset("workshop").with_values({
        "workload.requests": 12_000, "workload.warmup_requests": 4_000, "workload.keys": 2_000,
        "tiers": [{"name": "local", "capacity": 50, "eviction": "lru", "latency_ms": 0.05}]})


def test_smallest_capacity_reaches_the_target_and_is_nearly_minimal(small):
    target = 0.7
    capacity = smallest_capacity_for(small, target, tier="local")
    assert sc.run(small.with_values({"tiers.0.capacity": capacity}))["hit_ratio"] >= target
    smaller = math.floor(capacity * 0.9)
    assert sc.run(small.with_values({"tiers.0.capacity": smaller}))["hit_ratio"] < target


def test_smallest_capacity_uses_few_runs(small, monkeypatch):
    import simcache.course.exercises as course

    calls = []

    def counting(scenario):
        calls.append(scenario)
        return sc.run(scenario)

    monkeypatch.setattr(course, "run", counting)
    smallest_capacity_for(small, 0.6)
    assert len(calls) <= 12


def test_smallest_capacity_refuses_what_cannot_be_reached(small):
    with pytest.raises(ValueError, match="not reached even with tiers.0.capacity = 2,000"):
        smallest_capacity_for(small, 0.9999)


@pytest.mark.parametrize("kwargs, message", [
    ({"target_hit_ratio": 1.5}, "target_hit_ratio = 1.5"),
    ({"target_hit_ratio": 0.5, "tier": "redis"}, "tier = 'redis': must be one of local"),
    ({"target_hit_ratio": 0.5, "tier": 3}, "tier = 3"),
])
def test_smallest_capacity_names_bad_arguments(small, kwargs, message):
    with pytest.raises(ValueError, match=message):
        smallest_capacity_for(small, **kwargs)


def test_smallest_capacity_needs_a_tier():
    with pytest.raises(ValueError, match="no cache tiers"):
        smallest_capacity_for(preset("no-cache"), 0.5)


# -- presets -----------------------------------------------------------------------------------
def test_presets_build_what_their_names_say():
    assert preset("default") == sc.Scenario()
    assert preset("no-cache").tiers == ()
    assert [t.name for t in preset("app-local").tiers] == ["local"]
    assert preset("app-local").tiers[0].eviction == "lru"
    assert [t.name for t in preset("two-tier").tiers] == ["local", "redis"]
    assert preset("workshop").workload.requests <= 30_000
    for name in PRESETS:
        assert isinstance(preset(name), sc.Scenario)


def test_an_unknown_preset_lists_the_names():
    with pytest.raises(sc.ScenarioError) as info:
        preset("worksop")
    text = str(info.value)
    assert "did you mean 'workshop'" in text
    assert all(name in text for name in PRESETS)
