"""Helpers the course notebooks share: exercise checks, a capacity solver, latency numbers.

Core only: nothing here imports plotly, ipywidgets or IPython. A :class:`Check` shows
itself in a notebook through ``_repr_markdown_``, so no display call is needed.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..analysis.theory import lru_capacity_for
from ..engine import run
from ..model.workload import popularity
from ..scenario import Scenario


class LatencyStep(NamedTuple):
    """One rung of the latency ladder."""

    name: str
    latency_ms: float
    note: str


#: Typical access latencies, fastest first. Orders of magnitude, not benchmarks: real
#: numbers vary with hardware, load and distance, but the gaps between rungs do not.
LATENCY_LADDER: tuple[LatencyStep, ...] = (
    LatencyStep("CPU cache (L1/L2)", 0.000_002, "data the CPU touched a moment ago"),
    LatencyStep("RAM reference", 0.000_1, "a pointer chase into main memory"),
    LatencyStep("in-process dict / LRU hit", 0.001,
                "a Python dict or lru_cache hit: no network, no decoding"),
    LatencyStep("Redis, same host", 0.1, "loopback round trip plus a GET"),
    LatencyStep("SSD random read (4 kB)", 0.15, "one page from flash storage"),
    LatencyStep("Redis, same LAN", 0.5, "one network round trip inside a data centre"),
    LatencyStep("DB query, indexed", 2.0, "primary-key lookup, round trip included"),
    LatencyStep("DB query, slow", 100.0, "a join or scan without a good index"),
    LatencyStep("cross-region round trip", 150.0, "e.g. California to the Netherlands and back"),
)


# -- exercise checks --------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """The verdict on one exercise answer: ``ok``, a ``status`` and a readable ``message``.

    ``status`` is one of ``"ok"``, ``"missing"`` (not filled in yet), ``"invalid"`` (not
    the right kind of value), ``"high"``, ``"low"`` or ``"wrong"``. It is truthy when the
    answer is right, so ``assert check(...)`` works in a test cell.
    """

    ok: bool
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_markdown_(self) -> str:
        return self.message


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _show(value: Any, unit: str) -> str:
    if _is_number(value):
        x = float(value)
        text = f"{x:,.0f}" if x.is_integer() and abs(x) < 1e15 else f"{x:.4g}"
    else:
        text = repr(value)
    return text + (f" {unit}" if unit else "")


def check(answer: Any, expected: Any, *, rel: float | None = None, abs: float | None = None,
          name: str = "answer", hint: str = "", unit: str = "", explain: str = "",
          at_least: bool = False) -> Check:
    """Compare a learner's ``answer`` with ``expected``; never raises.

    Numbers match within ``rel`` (relative) or ``abs`` (absolute) tolerance; with neither
    given, within 1 %. Other values (strings, booleans) must be equal; strings ignore
    case and surrounding spaces. ``hint`` is shown when the answer is wrong, ``explain``
    when it is right; ``unit`` is written after numbers. With ``at_least=True`` the check is
    one-sided, for answers that must reach a target (a capacity for a hit ratio): right
    from ``expected`` up to ``expected`` plus the tolerance, too low below ``expected``.
    """
    label = f"`{name}`"
    # The emoji are decoration: without an emoji font they show as boxes, so the words
    # after them ("Fill in", "Correct", "Not yet") carry the verdict on their own.
    if answer is None or answer is Ellipsis:
        blank = "None" if answer is None else "..."
        return Check(False, "missing", f"✏️ Fill in {label}: replace `{blank}` with your "
                                       "answer and run this cell again.")
    if not _is_number(expected):
        return _check_equal(answer, expected, label, hint, unit, explain)
    if not _is_number(answer):
        kind = type(answer).__name__
        return Check(False, "invalid",
                     f"❌ Not yet: {label} should be a number, but it is {kind} {answer!r}."
                     + _hint(hint))
    x, want = float(answer), float(expected)
    if math.isnan(x):
        return Check(False, "invalid",
                     f"❌ Not yet: {label} is NaN (not a number)." + _hint(hint))
    if rel is None and abs is None:
        rel = 0.01
    tolerance = max((rel or 0.0) * math.fabs(want), abs or 0.0)
    shown = f"{label} = {_show(x, unit)}"
    if at_least:
        if want <= x <= want + tolerance:
            return Check(True, "ok", f"✅ Correct: {shown} is right (at least {_show(want, unit)}, "
                                     f"at most {_show(want + tolerance, unit)})." + _tail(explain))
        if x < want:
            return Check(False, "low", f"❌ Not yet: {shown} is too low: it does not reach "
                                       "the target." + _hint(hint))
        return Check(False, "high", f"❌ Not yet: {shown} is too high: more than the target "
                                    "needs." + _hint(hint))
    if math.fabs(x - want) <= tolerance:
        around = f"{_show(want, unit)} ± {_show(tolerance, unit)}" if tolerance else \
            _show(want, unit)
        return Check(True, "ok",
                     f"✅ Correct: {shown} is right (expected {around})." + _tail(explain))
    direction = "high" if x > want else "low"
    note = ""
    if 0 < math.fabs(want) <= 1 and math.isclose(x, want * 100, rel_tol=max(rel or 0, 0.01),
                                                 abs_tol=(abs or 0) * 100):
        note = " It looks like a percentage: give it as a fraction (0.9, not 90)."
    return Check(False, direction, f"❌ Not yet: {shown} is too {direction}.{note}" + _hint(hint))


def _check_equal(answer: Any, expected: Any, label: str, hint: str, unit: str,
                 explain: str) -> Check:
    def norm(v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    try:
        if isinstance(expected, bool) or isinstance(answer, bool):
            same = answer is expected
        else:
            same = bool(norm(answer) == norm(expected))
    except Exception:  # a value whose == misbehaves (e.g. an array) is simply not equal
        same = False
    shown = f"{label} = {_show(answer, unit)}"
    if same:
        return Check(True, "ok", f"✅ Correct: {shown} is right." + _tail(explain))
    return Check(False, "wrong", f"❌ Not yet: {shown} is not it." + _hint(hint))


def _tail(text: str) -> str:
    return f" {text.strip()}" if text and text.strip() else ""


def _hint(text: str) -> str:
    return f" Hint: {text.strip()}" if text and text.strip() else ""


# -- solving for a capacity -------------------------------------------------------------
def _tier_index(scenario: Scenario, tier: int | str) -> int:
    names = [t.name for t in scenario.tiers]
    if not names:
        raise ValueError("tier: the scenario has no cache tiers (tiers = [])")
    if isinstance(tier, str):
        if tier not in names:
            raise ValueError(f"tier = {tier!r}: must be one of {', '.join(names)}")
        return names.index(tier)
    if not isinstance(tier, int) or not -len(names) <= tier < len(names):
        raise ValueError(f"tier = {tier!r}: must be a tier name or an index 0 to "
                         f"{len(names) - 1}")
    return tier % len(names)


def smallest_capacity_for(scenario: Scenario, target_hit_ratio: float, tier: int | str = 0, *,
                          metric: str = "hit_ratio", resolution: int | None = None) -> int:
    """The smallest capacity of ``tier`` at which the run's ``metric`` reaches the target.

    Simulates, so the answer includes warm-up, TTLs, writes and the other tiers. Starts
    from Che's approximation, brackets, then bisects until the answer is within
    ``resolution`` entries (default 1 % of the answer): usually fewer than ten runs.
    Raises ValueError if even a tier as large as the key space misses the target.
    """
    if not _is_number(target_hit_ratio) or not 0 < target_hit_ratio <= 1:
        raise ValueError(f"target_hit_ratio = {target_hit_ratio!r}: must be > 0 and <= 1")
    index = _tier_index(scenario, tier)
    path = f"tiers.{index}.capacity"
    keys = scenario.workload.keys
    seen: dict[int, float] = {}

    def reaches(capacity: int) -> bool:
        if capacity not in seen:
            summary = run(scenario.with_values({path: capacity})).summary
            if metric not in summary:
                raise ValueError(f"metric = {metric!r}: not a summary key")
            seen[capacity] = summary[metric]
        return seen[capacity] >= target_hit_ratio

    # Che's approximation gives the starting point; the simulation then brackets it.
    guess = min(keys, max(1, lru_capacity_for(popularity(scenario.workload), target_hit_ratio)))
    if reaches(guess):
        hi, lo = guess, guess // 2
        while reaches(lo):
            if lo == 0:
                return 0
            hi, lo = lo, lo // 2
    else:
        lo, hi = guess, min(keys, guess * 2)
        while not reaches(hi):
            if hi >= keys:
                raise ValueError(
                    f"target_hit_ratio = {target_hit_ratio:g}: not reached even with "
                    f"{path} = {keys:,} (every key fits); {metric} is {seen[hi]:.3f} there")
            lo, hi = hi, min(keys, hi * 2)
    while True:
        step = resolution if resolution is not None else max(1, math.ceil(hi * 0.01))
        if hi - lo <= step:
            return hi
        mid = (lo + hi) // 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid
