"""Monitoring a cache (notebook 09): a dashboard over time with its alert thresholds, the
figures under their Redis ``INFO`` names, and when a figure recovers after an incident.

:func:`dashboard` returns a plain ``plotly.graph_objects.Figure`` of six panels: hit and
miss ratio, latency p50 and p99, ``used_memory``, evictions and expirations per second,
database reads per second against what the pool can serve, and database utilisation.
Thresholds are drawn as dashed lines, and the scenario's faults as shaded spans. The Redis
names come from the metric catalog (:mod:`simcache.metrics.catalog`), never retyped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..metrics.catalog import METRICS, TIER_METRICS
from ..metrics.result import Result
from ..redis_lab.monitoring import INFO_COUNTERS, INFO_GAUGES, info_deltas
from ..scenario import Scenario
from .plots import FONT, TEMPLATE, _legend_above, _line, _log_ticks, human_ms

HEIGHT = 820
ALERT = "#c44e52"       # threshold lines and alert annotations
FAULT = "#c44e52"       # the span of a fault
CAPACITY = "#888888"    # what cannot be exceeded: memory of a full cache, the DB's pool
#: The database panel's dashed line: connections / mean query time. A mean: with query times
#: that vary, a saturated pool can start a few more queries than that in one row.
POOL = "what the pool serves on average"
COLOURS = {"hit": "#4c72b0", "miss": "#dd8452", "p50": "#55a868", "p99": "#dd8452",
           "memory": "#4c72b0", "evicted": "#c44e52", "expired": "#8172b3",
           "misses": "#999999", "db": "#937860", "util": "#937860"}


# -- thresholds -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    """Alert thresholds: the hit ratio must stay at or above ``hit_ratio_min``; p99 latency
    and database utilisation at or below theirs. ``None`` draws no line for that figure."""

    hit_ratio_min: float | None = 0.90
    p99_ms_max: float | None = 50.0
    db_utilization_max: float | None = 0.80

    def rules(self) -> list[tuple[str, str, float, bool]]:
        """``(name, time-series column, threshold, higher_is_better)`` of each set threshold."""
        out = []
        if self.hit_ratio_min is not None:
            out.append(("hit ratio below target", "hit_ratio", self.hit_ratio_min, True))
        if self.p99_ms_max is not None:
            out.append(("p99 over SLO", "latency_p99_ms", self.p99_ms_max, False))
        if self.db_utilization_max is not None:
            out.append(("DB utilisation high", "db_utilization", self.db_utilization_max,
                        False))
        return out


def alerts(result: Result, thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """The rows where an alert fires: one line per (row, alert), with the row's interval
    (``start_s``, ``end_s``), the value and the threshold; empty when all is well."""
    ts = result.timeseries
    rows = []
    for name, column, limit, higher_is_better in thresholds.rules():
        values = ts[column].to_numpy(dtype=float)
        bad = (values < limit) if higher_is_better else (values > limit)
        for i in np.flatnonzero(bad & np.isfinite(values)):
            start = float(ts["time_s"].iloc[i])
            rows.append({"alert": name, "start_s": start,
                         "end_s": start + float(ts["interval_s"].iloc[i]),
                         "value": float(values[i]), "threshold": limit})
    return pd.DataFrame(rows, columns=["alert", "start_s", "end_s", "value", "threshold"])


# -- reading a time series --------------------------------------------------------------------
def _ends(ts: pd.DataFrame) -> np.ndarray:
    return (ts["time_s"] + ts["interval_s"]).to_numpy(dtype=float)


def level_before(result: Result, column: str, before_s: float) -> float:
    """The mean of ``column`` over the rows that end at or before ``before_s``."""
    ts = result.timeseries
    rows = ts[_ends(ts) <= before_s + 1e-9]
    if rows.empty:
        raise ValueError(f"before_s = {before_s:g}: no row ends by then (the first row starts "
                         f"at {ts['time_s'].iloc[0]:g} s, after the warm-up)")
    return float(rows[column].mean())


def recovery_s(result: Result, column: str, after_s: float, level: float, *,
               higher_is_better: bool = True) -> float | None:
    """Seconds from ``after_s`` until ``column`` is back on the good side of ``level``.

    Looks at the rows that end after ``after_s``, finds the worst of them, and returns the
    end of the first row after it that reaches ``level`` (at or above it when
    ``higher_is_better``, else at or below), minus ``after_s``. So the answer is exact to
    one row width (``metrics.interval_s``). None if the run ends before that.
    """
    ts = result.timeseries
    ends = _ends(ts)
    later = ts[ends > after_s + 1e-9]
    if later.empty:
        return None
    values = later[column].astype(float)
    worst = values.idxmin() if higher_is_better else values.idxmax()
    tail = later.loc[worst:]
    good = tail[tail[column] >= level] if higher_is_better else tail[tail[column] <= level]
    if good.empty:
        return None
    first = good.index[0]
    return float(ts.loc[first, "time_s"] + ts.loc[first, "interval_s"]) - after_s


# -- the database's capacity and its backlog ---------------------------------------------------
def db_capacity_per_s(scenario: Scenario) -> float:
    """Queries per second the database pool can serve: connections / mean query time."""
    db = scenario.database
    return db.concurrency / (db.latency_ms / 1000.0) if db.latency_ms > 0 else math.inf


def drain_s(arrivals_per_s: float, capacity_per_s: float, factor: float,
            duration_s: float) -> float:
    """How long a backlog takes to drain after a slowdown (a fluid approximation).

    While the database is ``factor`` times slower for ``duration_s``, it serves
    ``capacity_per_s / factor`` and the queue grows by the excess of ``arrivals_per_s``;
    afterwards it shrinks at the spare capacity, ``capacity_per_s - arrivals_per_s``.
    Random arrivals and service times add waiting of their own (queueing theory's M/M/c)
    on top of this average picture.
    """
    if arrivals_per_s >= capacity_per_s:
        return math.inf  # the queue never drains: arrivals exceed even full speed
    backlog = max(0.0, arrivals_per_s - capacity_per_s / factor) * duration_s
    return backlog / (capacity_per_s - arrivals_per_s)


def _capacity_over_time(scenario: Scenario, t0: float, t1: float) -> tuple[list[float],
                                                                         list[float]]:
    """A step line of the pool's capacity from ``t0`` to ``t1``, lowered by db-slowdowns."""
    full = db_capacity_per_s(scenario)
    cuts = sorted({t0, t1, *(x for f in scenario.faults if f.kind == "db-slowdown"
                             for x in (f.at_s, f.until_s) if t0 < x < t1)})
    xs: list[float] = []
    ys: list[float] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        mid = (a + b) / 2
        factor = 1.0
        for f in scenario.faults:
            if f.kind == "db-slowdown" and f.at_s <= mid < f.until_s:
                factor *= f.factor
        xs += [a, b]
        ys += [full / factor] * 2
    return xs, ys


# -- Redis INFO names ---------------------------------------------------------------------------
def redis_names() -> pd.DataFrame:
    """Every reported figure that Redis INFO reports too, read from the metric catalog."""
    rows = [{"simcache figure": m.key, "Redis INFO field": m.redis, "unit": m.unit,
             "over several intervals": m.merge, "meaning": m.about}
            for m in METRICS if m.redis]
    rows += [{"simcache figure": f"tier.<name>.{m.key}", "Redis INFO field": m.redis,
              "unit": m.unit, "over several intervals": m.merge, "meaning": m.about}
             for m in TIER_METRICS if m.redis]
    return pd.DataFrame(rows)


def redis_name(key: str) -> str | None:
    """The Redis INFO name of a summary or time-series figure, or None."""
    for m in METRICS:
        if m.key == key:
            return m.redis
    if key.startswith("tier.") and key.count(".") >= 2:
        rest = key.split(".", 2)[2]
        return next((m.redis for m in TIER_METRICS if m.key == rest), None)
    return None


def as_info(result: Result) -> pd.DataFrame:
    """The run as INFO would show it if sampled at the end of every row: counters summed
    from the start of the measurement (as a server counts from its start), gauges as they
    are. Columns: ``t_s``, then the INFO names of the catalog's series figures.

    ``redis_lab.monitoring.info_deltas`` turns it back into rates, as a dashboard does.
    """
    ts = result.timeseries
    out = pd.DataFrame({"t_s": np.concatenate([[float(ts["time_s"].iloc[0])], _ends(ts)])})
    for m in METRICS:
        if not (m.redis and m.series and m.key in ts):
            continue
        values = ts[m.key].to_numpy(dtype=float)
        if m.redis in INFO_COUNTERS and m.merge == "sum":
            out[m.redis] = np.concatenate([[0.0], np.cumsum(values)]).astype(np.int64)
        elif m.redis in INFO_GAUGES and m.merge == "gauge":
            out[m.redis] = np.concatenate([[np.nan], values])
    return out


def rates_from_info(result: Result) -> pd.DataFrame:
    """:func:`as_info` differenced between samples: per-interval hits, misses, hit ratio,
    evictions and expirations per second, used_memory (what a monitoring system plots)."""
    return info_deltas(as_info(result))


# -- the dashboard -----------------------------------------------------------------------------
#: The panels, left to right and top to bottom: (title, y-axis title).
PANELS: tuple[tuple[str, str], ...] = (
    ("Hit and miss ratio", "share of reads (%)"),
    ("Read latency p50 and p99", "ms (log scale)"),
    ("Memory used by cache entries", "bytes"),
    ("Evictions and expirations", "per second"),
    ("Database reads", "queries per second"),
    ("Database utilisation", "busy connections (%)"),
)


def _named(label: str, key: str) -> str:
    """``label`` with the figure's Redis INFO name, when it has one."""
    name = redis_name(key)
    return f"{label} [{name}]" if name else label


def _tick_ms(ms: float) -> str:
    return human_ms(ms).replace(" ", "\u00a0")  # "500 µs" kept on one line


def _limit(x: Sequence[float], y: Sequence[float], name: str, colour: str, legend: str,
           hover: str) -> go.Scatter:
    """A threshold or a capacity: a thin dashed line, drawn as a trace so that it works on
    log axes too and shows in the panel's legend."""
    return go.Scatter(x=np.asarray(x, dtype=float), y=np.asarray(y, dtype=float), name=name,
                      mode="lines", legend=legend, line=dict(color=colour, width=1.3,
                                                             dash="dash"),
                      hovertemplate=f"{name}: {hover}<extra></extra>")


def _fault_spans(fig: go.Figure, scenario: Scenario, t0: float, t1: float) -> list[str]:
    """Shade each fault's span (or draw a dotted line at an instant) on every panel;
    return the descriptions of those drawn."""
    said = []
    for fault in scenario.faults:
        until = getattr(fault, "until_s", None)
        if fault.at_s > t1 or (until if until is not None else fault.at_s) < t0:
            continue  # outside the measured time
        said.append(fault.describe())
        if until is not None:
            fig.add_vrect(x0=max(fault.at_s, t0), x1=min(until, t1), fillcolor=FAULT,
                          opacity=0.10, line_width=0, row="all", col="all")
        else:
            fig.add_vline(x=fault.at_s, line=dict(color=FAULT, width=1.2, dash="dot"),
                          row="all", col="all")
    return said


def dashboard(result: Result, thresholds: Thresholds = Thresholds(),
              title: str | None = None) -> go.Figure:
    """Six panels over simulated time, thresholds as dashed lines, faults shaded.

    Rates and ratios are drawn at the middle of their row, ``used_memory`` (a gauge: the
    value at the row's end) at its end. The memory panel's dashed line is what a full
    cache takes (capacity × (value_bytes + entry_overhead_bytes), every tier and
    instance); the database panel's is what its pool can serve (connections / mean query
    time, lowered while a db-slowdown lasts). Legend entries carry the Redis INFO name of
    their figure in brackets; the hit and miss ratio have none (a dashboard computes them
    from the differences of ``keyspace_hits`` and ``keyspace_misses``).
    """
    ts = result.timeseries
    if ts.empty:
        raise ValueError("result: its time series is empty (did the run measure anything?)")
    scenario = result.scenario
    mid = (ts["time_s"] + ts["interval_s"] / 2).to_numpy(dtype=float)
    end = _ends(ts)
    t0, t1 = float(ts["time_s"].iloc[0]), float(end[-1])
    span = [t0, t1]
    per_s = ts["interval_s"].to_numpy(dtype=float)
    fig = make_subplots(rows=3, cols=2, subplot_titles=[p[0] for p in PANELS],
                        horizontal_spacing=0.11, vertical_spacing=0.15)
    fig.update_annotations(font_size=13, yshift=24, xanchor="left")
    legends = {}
    for k in range(6):
        row, col = k // 2 + 1, k % 2 + 1
        fig.layout.annotations[k].x = fig.get_subplot(row, col).xaxis.domain[0]
        legends[k] = "legend" if k == 0 else f"legend{k + 1}"

    # 1. hit and miss ratio, and the hit-ratio target
    hit = ts["hit_ratio"].to_numpy(dtype=float)
    # a ratio has no INFO field of its own: it is Δkeyspace_hits / (Δhits + Δmisses)
    fig.add_trace(_line(mid, hit, "hit ratio", COLOURS["hit"], legends[0], hover="%{y:.1%}"),
                  row=1, col=1)
    fig.add_trace(_line(mid, 1 - hit, "miss ratio", COLOURS["miss"], legends[0], hover="%{y:.1%}"),
                  row=1, col=1)
    if thresholds.hit_ratio_min is not None:
        fig.add_trace(_limit(span, [thresholds.hit_ratio_min] * 2,
                             f"target: hit ratio ≥ {thresholds.hit_ratio_min:.0%}", ALERT,
                             legends[0], f"{thresholds.hit_ratio_min:.0%}"), row=1, col=1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=1)

    # 2. latency, log scale, and the p99 SLO
    p50 = ts["latency_p50_ms"].to_numpy(dtype=float)
    p99 = ts["latency_p99_ms"].to_numpy(dtype=float)
    fig.add_trace(_line(mid, np.where(p50 > 0, p50, np.nan), "p50", COLOURS["p50"],
                        legends[1], hover="%{y:.3g} ms"), row=1, col=2)
    fig.add_trace(_line(mid, np.where(p99 > 0, p99, np.nan), "p99", COLOURS["p99"],
                        legends[1], hover="%{y:.3g} ms"), row=1, col=2)
    shown = np.concatenate([p50, p99])
    if thresholds.p99_ms_max is not None:
        fig.add_trace(_limit(span, [thresholds.p99_ms_max] * 2,
                             f"SLO: p99 ≤ {human_ms(thresholds.p99_ms_max)}", ALERT,
                             legends[1], human_ms(thresholds.p99_ms_max)), row=1, col=2)
        shown = np.append(shown, thresholds.p99_ms_max)
    fig.update_yaxes(type="log", row=1, col=2, **_log_ticks(shown, _tick_ms))

    # 3. used_memory against a full cache
    memory = ts["used_memory"].to_numpy(dtype=float)
    fig.add_trace(_line(end, memory, _named("used memory", "used_memory"), COLOURS["memory"],
                        legends[2], hover="%{y:,.0f} bytes"), row=2, col=1)
    full = sum(int(t.capacity_total) * (scenario.workload.value_bytes + tier.entry_overhead_bytes)
               for t, tier in zip(result.tiers.itertuples(), scenario.tiers, strict=True))
    if full:
        fig.add_trace(_limit(span, [full] * 2, "full cache", CAPACITY, legends[2],
                             "%{y:,.0f} bytes"), row=2, col=1)
    fig.update_yaxes(tickformat="~s", rangemode="tozero", row=2, col=1)

    # 4. evictions and expirations per second, misses per second for comparison
    for key, label, colour, dash in (("evictions", "evictions/s", COLOURS["evicted"], None),
                                     ("expirations", "expirations/s", COLOURS["expired"], None),
                                     ("misses", "misses/s", COLOURS["misses"], "dot")):
        fig.add_trace(_line(mid, ts[key].to_numpy(dtype=float) / per_s, _named(label, key),
                            colour, legends[3], hover="%{y:,.0f}/s", dash=dash,
                            width=1.4 if dash else 1.8), row=2, col=2)
    fig.update_yaxes(rangemode="tozero", row=2, col=2)

    # 5. database reads against what the pool can serve
    fig.add_trace(_line(mid, ts["db_reads_per_s"].to_numpy(dtype=float), "DB reads/s",
                        COLOURS["db"], legends[4], hover="%{y:,.0f}/s"), row=3, col=1)
    cx, cy = _capacity_over_time(scenario, t0, t1)
    if all(math.isfinite(y) for y in cy):
        fig.add_trace(_limit(cx, cy, POOL, CAPACITY, legends[4],
                             "%{y:,.0f}/s"), row=3, col=1)
    fig.update_yaxes(rangemode="tozero", row=3, col=1)

    # 6. database utilisation and its alert
    fig.add_trace(_line(mid, ts["db_utilization"].to_numpy(dtype=float), "DB utilisation",
                        COLOURS["util"], legends[5], hover="%{y:.0%}"), row=3, col=2)
    if thresholds.db_utilization_max is not None:
        fig.add_trace(_limit(span, [thresholds.db_utilization_max] * 2,
                             f"alert: utilisation > {thresholds.db_utilization_max:.0%}",
                             ALERT, legends[5], f"{thresholds.db_utilization_max:.0%}"),
                      row=3, col=2)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], row=3, col=2)

    for k, (_, y_title) in enumerate(PANELS):
        row, col = k // 2 + 1, k % 2 + 1
        fig.update_yaxes(title_text=y_title, title_font=dict(size=11), row=row, col=col)
        _legend_above(fig, row, col, legends[k], font_size=10)
    faults = _fault_spans(fig, scenario, t0, t1)
    fig.update_xaxes(range=span)
    fig.update_xaxes(title_text="simulated time (s)", row=3)
    s = result.summary
    headline = (f"hit ratio {s['hit_ratio']:.1%} · p99 {human_ms(s['latency_p99_ms'])} · "
                f"DB {s['db_reads_per_s']:,.0f} reads/s")
    subtitle = scenario.describe() if not faults else \
        f"{scenario.describe()} (red: the faults)"
    fig.update_layout(
        template=TEMPLATE, height=HEIGHT, font=FONT,
        title=dict(text=title or f"Monitoring one run: {headline}",
                   subtitle=dict(text=subtitle), x=0.01, xanchor="left"),
        margin=dict(l=60, r=20, t=140, b=50))
    return fig
