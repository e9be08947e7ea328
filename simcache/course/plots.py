"""Plotly charts of results: a run over time, runs side by side, sweeps, the latency ladder.

Every function returns a plain ``plotly.graph_objects.Figure`` (never a FigureWidget,
whose saved state is megabytes per figure). Arrays go in as numpy, which plotly stores
as compact binary, so a saved dashboard of a 100-row run stays a few tens of kB.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..metrics.result import Result
from .exercises import LATENCY_LADDER

TEMPLATE = "plotly_white"
HEIGHT = 560
FONT = dict(size=12)
# One colour per series that means the same thing in every chart.
OVERALL = "#222222"
TIER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
RUN_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
               "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd")


# -- how to show a metric ---------------------------------------------------------------
def metric_label(key: str) -> tuple[str, str, bool]:
    """(readable name, unit, is_fraction) for a summary or time-series key."""
    known = {
        "hit_ratio": ("hit ratio", "%", True),
        "stale_ratio": ("stale reads", "% of reads", True),
        "db_utilization": ("DB utilisation", "%", True),
        "db_reads_per_s": ("DB reads", "/s", False),
        "db_writes_per_s": ("DB writes", "/s", False),
        "throughput_rps": ("throughput", "requests/s", False),
        "duration_s": ("duration", "s", False),
    }
    if key in known:
        return known[key]
    if key.startswith("tier.") and key.count(".") >= 2:
        _, tier, rest = key.split(".", 2)
        name, unit, frac = metric_label(rest)
        return f"{tier}: {name}", unit, frac
    if key.endswith("_ratio"):
        return key[:-6].replace("_", " ") + " ratio", "%", True
    for suffix, unit in (("_ms", "ms"), ("_per_s", "/s"), ("_rps", "/s"), ("_s", "s")):
        if key.endswith(suffix):
            name = key[: -len(suffix)].replace("_", " ")
            return name.replace("db ", "DB "), unit, False
    return key.replace("_", " ").replace("db ", "DB "), "", False


# The unit of a scenario field, by its last name, for axis titles of sweeps.
_FIELD_UNITS = {"capacity": "entries", "keys": "keys", "requests": "requests",
                "warmup_requests": "requests", "concurrency": "connections",
                "write_ratio": "share of requests", "zipf_alpha": "Zipf skew α"}


def field_title(path: str) -> str:
    """An axis title for a scenario field: ``tiers.0.capacity (entries)``."""
    last = path.rsplit(".", 1)[-1]
    unit = _FIELD_UNITS.get(last)
    if unit is None:
        for suffix, name in (("_ms", "ms"), ("_rps", "requests/s"), ("_s", "s")):
            if last.endswith(suffix):
                unit = name
                break
    return f"{path} ({unit})" if unit else path


def _axis_title(key: str) -> str:
    name, unit, _ = metric_label(key)
    return f"{name} ({unit})" if unit else name


def _fmt(value: float, unit: str, fraction: bool) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if fraction:
        return f"{value:.1%}"
    if unit == "ms":
        return human_ms(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _style(fig: go.Figure, title: str, subtitle: str | None = None,
           height: int = HEIGHT) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE, height=min(height, 600), font=FONT,
        title=dict(text=title, subtitle=dict(text=subtitle) if subtitle else None,
                   x=0.01, xanchor="left"),
        margin=dict(l=60, r=20, t=90 if subtitle else 60, b=50),
    )
    return fig


def _array(series: pd.Series) -> np.ndarray:
    return np.asarray(series, dtype=float)


# -- a run over time --------------------------------------------------------------------
def _tier_colour(i: int) -> str:
    return TIER_COLOURS[i % len(TIER_COLOURS)]


def _line(x: np.ndarray, y: np.ndarray, name: str, colour: str, legend: str,
          dash: str | None = None, hover: str = "%{y:.3g}", width: float = 1.8) -> go.Scatter:
    return go.Scatter(x=x, y=y, name=name, mode="lines", legend=legend,
                      line=dict(color=colour, width=width, dash=dash),
                      hovertemplate=f"{name}: {hover}<extra>t = %{{x:.1f}} s</extra>")


def _hit_ratio(fig, result: Result, row: int, col: int, legend: str) -> None:
    """The overall hit ratio (of all reads) and, with two tiers or more, each tier's own.

    A tier's ratio counts only the lookups that reach it (a read answered by the tier
    before it never does), so the tier lines do not add up to the overall one. With a
    single tier its line would be the overall line again, so it is left out.
    """
    ts = result.timeseries
    t = _array(ts["time_s"])
    fig.add_trace(_line(t, _array(ts["hit_ratio"]), "overall", OVERALL, legend,
                        hover="%{y:.1%} of all reads"), row=row, col=col)
    tiers = result.scenario.tiers
    for i, tier in enumerate(tiers if len(tiers) > 1 else ()):
        column = f"tier.{tier.name}.hit_ratio"
        if column in ts:
            fig.add_trace(_line(t, _array(ts[column]), tier.name, _tier_colour(i), legend,
                                hover=f"%{{y:.1%}} of the lookups reaching {tier.name}"),
                          row=row, col=col)
    fig.update_yaxes(title_text="hit ratio (%)", tickformat=".0%", range=[0, 1.02],
                     row=row, col=col)


def _db_load(fig, result: Result, row: int, col: int, legend: str) -> None:
    ts = result.timeseries
    t = _array(ts["time_s"])
    fig.add_trace(_line(t, _array(ts["db_reads_per_s"]), "reads/s", "#c44e52", legend,
                        hover="%{y:,.0f}/s"), row=row, col=col)
    if "db_writes_per_s" in ts and float(ts["db_writes_per_s"].sum()) > 0:
        fig.add_trace(_line(t, _array(ts["db_writes_per_s"]), "writes/s", "#8172b3", legend,
                            hover="%{y:,.0f}/s"), row=row, col=col)
    fig.update_yaxes(title_text="DB queries (/s)", rangemode="tozero", row=row, col=col)


def _latency(fig, result: Result, row: int, col: int, legend: str) -> None:
    ts = result.timeseries
    t = _array(ts["time_s"])
    for column, name, colour in (("latency_p50_ms", "p50", "#55a868"),
                                 ("latency_p99_ms", "p99", "#dd8452")):
        y = _array(ts[column])
        y = np.where(y > 0, y, np.nan)  # a log axis cannot show zero
        fig.add_trace(_line(t, y, name, colour, legend, hover="%{y:.3g} ms"),
                      row=row, col=col)
    values = _array(ts[["latency_p50_ms", "latency_p99_ms"]].stack())
    fig.update_yaxes(title_text="latency (ms, log)", type="log", row=row, col=col,
                     **_log_ticks(values))


def _tiers(fig, result: Result, row: int, col: int, legend: str) -> None:
    ts = result.timeseries
    t = _array(ts["time_s"])
    tiers = result.scenario.tiers
    if not tiers:
        sub = fig.get_subplot(row, col)
        # Paper coordinates: an axis with no traces is not drawn, so it cannot anchor text.
        fig.add_annotation(text="no cache tiers", showarrow=False, font=dict(color="#888"),
                           xref="paper", yref="paper", x=sum(sub.xaxis.domain) / 2,
                           y=sum(sub.yaxis.domain) / 2)
    for i, tier in enumerate(tiers):
        colour = _tier_colour(i)
        column = f"tier.{tier.name}.entries"
        if column in ts:
            fig.add_trace(_line(t, _array(ts[column]), f"{tier.name} entries", colour, legend,
                                hover="%{y:,.0f}"), row=row, col=col)
        fig.add_trace(go.Scatter(
            x=np.array([t[0], t[-1]]) if len(t) else np.array([0.0, 1.0]),
            y=np.array([tier.capacity, tier.capacity], dtype=float), mode="lines",
            name=f"{tier.name} capacity", legend=legend, showlegend=False, hoverinfo="skip",
            line=dict(color=colour, width=1, dash="dash")), row=row, col=col)
    if "evictions" in ts and float(ts["evictions"].sum()) > 0:
        per_s = _array(ts["evictions"]) / _array(ts["interval_s"])
        fig.add_trace(go.Bar(
            x=t, y=per_s, name="evictions/s", legend=legend, marker_color="#bbbbbb",
            opacity=0.5, hovertemplate="evictions: %{y:,.0f}/s<extra>t = %{x:.1f} s</extra>"),
            row=row, col=col, secondary_y=True)
        fig.update_yaxes(title_text="evictions (/s)", rangemode="tozero", showgrid=False,
                         tickmode="auto", nticks=5, range=[0, float(np.nanmax(per_s)) * 2.2],
                         row=row, col=col, secondary_y=True)
    fig.update_yaxes(title_text="entries (dashed: capacity)", rangemode="tozero",
                     row=row, col=col, secondary_y=False)


def _log_ticks(values: np.ndarray,
               label: Callable[[float], str] = "{:g}".format) -> dict[str, Any]:
    """Tick positions for a log axis: powers of ten, or 1-2-5 steps over a short range,
    each written by ``label``."""
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return {}
    low, high = float(values.min()), float(values.max())
    lo, hi = np.floor(np.log10(low)), np.ceil(np.log10(high))
    steps = (1,) if hi - lo > 3 else (1, 2, 5)
    ticks = [m * 10.0 ** e for e in range(int(lo), int(hi) + 1) for m in steps]
    # Every point lies between two labelled ticks: the axis spans from the last tick at
    # or below the lowest value to the first tick at or above the highest.
    first = max(t for t in ticks if t <= low * (1 + 1e-9))
    last = min(t for t in ticks if t >= high * (1 - 1e-9))
    ticks = [t for t in ticks if first <= t <= last]
    pad = 0.04 * max(np.log10(last / first), 0.3)
    return dict(tickvals=ticks, ticktext=[label(t) for t in ticks],
                range=[np.log10(first) - pad, np.log10(last) + pad])


#: The panels of the dashboard by name: (title, how to draw it).
PANELS: dict[str, tuple[str, Callable[..., None]]] = {
    "hit_ratio": ("Hit ratio", _hit_ratio),
    "db_load": ("Database load", _db_load),
    "latency": ("Latency p50 and p99", _latency),
    "tiers": ("Entries per tier and evictions", _tiers),
}


def _panel_title(name: str, result: Result) -> str:
    title = PANELS[name][0]
    if name == "hit_ratio" and len(result.scenario.tiers) > 1:
        title += " (tiers: of lookups reaching them)"  # so nobody adds the lines up
    return title


def _headline(result: Result) -> str:
    s = result.summary
    return (f"hit ratio {s['hit_ratio']:.1%} · DB {s['db_reads_per_s']:,.0f} reads/s · "
            f"p99 {_fmt(s['latency_p99_ms'], 'ms', False)}")


def _legend_above(fig: go.Figure, row: int, col: int, legend: str,
                  font_size: int = 11) -> None:
    """Put ``legend`` in one row just above the subplot, under its title."""
    sub = fig.get_subplot(row, col)
    fig.update_layout({legend: dict(
        x=sub.xaxis.domain[0], y=sub.yaxis.domain[1], xanchor="left", yanchor="bottom",
        orientation="h", font=dict(size=font_size), bgcolor="rgba(0,0,0,0)", itemwidth=30,
        tracegroupgap=0)})


def dashboard(result: Result, title: str | None = None) -> go.Figure:
    """A 2×2 grid over simulated time: hit ratio, DB load, latency, tier entries."""
    names = list(PANELS)
    fig = make_subplots(
        rows=2, cols=2, subplot_titles=[_panel_title(n, result) for n in names],
        specs=[[{}, {}], [{}, {"secondary_y": True}]],
        horizontal_spacing=0.13, vertical_spacing=0.22)
    # Subplot titles move up to make room for each panel's own legend beneath them.
    fig.update_annotations(font_size=13, yshift=22, xanchor="left")  # x is set below
    for k, name in enumerate(names, start=1):
        row, col = (k - 1) // 2 + 1, (k - 1) % 2 + 1
        fig.layout.annotations[k - 1].x = fig.get_subplot(row, col).xaxis.domain[0]
        legend = "legend" if k == 1 else f"legend{k}"
        PANELS[name][1](fig, result, row, col, legend)
        _legend_above(fig, row, col, legend)
    fig.update_xaxes(title_text="simulated time (s)", row=2)
    _style(fig, title or f"One run over time: {_headline(result)}",
           result.scenario.describe(), height=600)
    fig.update_layout(margin=dict(t=135, r=60))
    return fig


def panel(result: Result, name: str, title: str | None = None) -> go.Figure:
    """One panel of the dashboard (``hit_ratio``, ``db_load``, ``latency``, ``tiers``)."""
    if name not in PANELS:
        raise ValueError(f"panel = {name!r}: must be one of {', '.join(PANELS)}")
    fig = make_subplots(rows=1, cols=1, specs=[[{"secondary_y": name == "tiers"}]])
    PANELS[name][1](fig, result, 1, 1, "legend")
    fig.update_xaxes(title_text="simulated time (s)")
    _legend_above(fig, 1, 1, "legend")
    _style(fig, title or f"{_panel_title(name, result)}: {_headline(result)}",
           result.scenario.describe(), height=420)
    fig.update_layout(margin=dict(t=115))
    return fig


def over_time(result: Result | Sequence[Result], columns: str | Sequence[str],
              title: str | None = None, log_y: bool = False,
              labels: Sequence[str] | None = None) -> go.Figure:
    """Lines of some ``result.timeseries`` columns against simulated time; give several
    results (and their ``labels``) to draw each run's lines on the same axes."""
    results = [result] if isinstance(result, Result) else list(result)
    if not results:
        raise ValueError("result: need at least one Result")
    labels = [str(x) for x in labels] if labels is not None else \
        [f"run {i + 1}" for i in range(len(results))]
    if len(labels) != len(results):
        raise ValueError(f"labels: got {len(labels)} for {len(results)} results")
    columns = [columns] if isinstance(columns, str) else list(columns)
    for r in results:
        ts = r.timeseries
        for column in columns:
            if column not in ts.columns:
                raise ValueError(f"columns: {column!r} is not a timeseries column; it has "
                                 f"{', '.join(map(str, ts.columns[:10]))}…")
    fig = go.Figure()
    lines = [(label, r, column) for label, r in zip(labels, results, strict=True)
             for column in columns]
    for i, (label, r, column) in enumerate(lines):
        name, unit, fraction = metric_label(column)
        if len(results) > 1:
            name = label if len(columns) == 1 else f"{label}: {name}"
        hover = "%{y:.1%}" if fraction else f"%{{y:,.4g}} {unit}".rstrip()
        ts = r.timeseries
        fig.add_trace(_line(_array(ts["time_s"]), _array(ts[column]), name,
                            RUN_COLOURS[i % len(RUN_COLOURS)], "legend", hover=hover))
    y_title = _axis_title(columns[0]) if len(columns) == 1 else ", ".join(
        metric_label(c)[0] for c in columns)
    extra = _log_ticks(np.concatenate([_array(r.timeseries[c]) for r in results
                                       for c in columns])) if log_y else {}
    # Rows start where the warm-up ends: the axis starts there too, not at zero.
    fig.update_xaxes(title_text="simulated time (s)")
    fig.update_yaxes(title_text=y_title, type="log" if log_y else None,
                     tickformat=".0%" if all(metric_label(c)[2] for c in columns) else None,
                     rangemode=None if log_y else "tozero", **extra)
    fig.update_layout(showlegend=len(lines) > 1)
    subtitle = results[0].scenario.describe() if len(results) == 1 else \
        f"{len(results)} runs: {', '.join(labels)}"
    return _style(fig, title or f"{y_title} over time", subtitle, height=420)


# -- runs side by side ------------------------------------------------------------------
def compare(results: Sequence[Result], labels: Sequence[str] | None = None,
            metrics: Sequence[str] = ("hit_ratio", "db_reads_per_s", "latency_p99_ms"),
            title: str | None = None) -> go.Figure:
    """Bars of each run's summary, one subplot per metric, one colour per run."""
    results = list(results)
    labels = [str(x) for x in labels] if labels is not None else \
        [f"run {i + 1}" for i in range(len(results))]
    if len(labels) != len(results):
        raise ValueError(f"labels: got {len(labels)} for {len(results)} results")
    if not results:
        raise ValueError("results: need at least one Result to compare")
    for key in metrics:
        missing = [lab for lab, r in zip(labels, results, strict=True) if key not in r.summary]
        if missing:
            raise ValueError(f"metrics: {key!r} is not a summary key of {', '.join(missing)}; "
                             f"try hit_ratio, db_reads_per_s, latency_p99_ms")
    fig = make_subplots(rows=1, cols=len(metrics), horizontal_spacing=0.08,
                        subplot_titles=[_axis_title(k) for k in metrics])
    for col, key in enumerate(metrics, start=1):
        _, unit, fraction = metric_label(key)
        values = np.array([float(r.summary[key]) for r in results])
        fig.add_trace(go.Bar(
            x=labels, y=values, showlegend=False,
            marker_color=[RUN_COLOURS[i % len(RUN_COLOURS)] for i in range(len(results))],
            text=[_fmt(v, unit, fraction) for v in values], textposition="outside",
            cliponaxis=False, hovertemplate="%{x}: %{text}<extra></extra>"), row=1, col=col)
        top = float(np.nanmax(values)) if len(values) else 1.0
        if fraction:  # 0-100 % unless every bar is small (a stale share of 2 %)
            upper = top * 1.15 if 0 < top < 0.5 else max(1.0, top) * 1.12
            fig.update_yaxes(tickformat=".0%" if upper > 0.05 else ".1%", range=[0, upper],
                             row=1, col=col)
        else:
            fig.update_yaxes(range=[0, (top or 1.0) * 1.15], row=1, col=col)
    # Labels stay level while each fits under its bar (about 7 px a character, some 900 px
    # shared by every bar of every panel); longer ones slant, and the margin grows to fit.
    per_bar_px = 900 / (len(metrics) * len(results))
    longest = max(len(line) for label in labels for line in label.split("<br>"))
    fig.update_xaxes(tickangle=0 if longest * 7 <= per_bar_px else -30, automargin=True)
    return _style(fig, title or "Runs compared", height=420)


# -- sweeps -----------------------------------------------------------------------------
def curve(frame: pd.DataFrame, x: str, y: str | Sequence[str],
          theory: tuple[Sequence[float], Sequence[float], str] | None = None,
          target: float | tuple[float, str] | None = None, *, title: str | None = None,
          log_x: bool = False, log_y: bool = False) -> go.Figure:
    """Line and markers of a sweep table (``simcache.sweep``), with optional theory and target.

    ``theory`` is ``(x values, y values, label)``; ``target`` a y value (or ``(value,
    label)``) drawn as a horizontal dotted line, such as a 90 % hit-ratio goal.
    """
    ys = [y] if isinstance(y, str) else list(y)
    for column in [x, *ys]:
        if column not in frame.columns:
            raise ValueError(f"column {column!r} is not in the table; it has "
                             f"{', '.join(map(str, frame.columns[:8]))}…")
    fraction = all(metric_label(c)[2] for c in ys)
    fig = go.Figure()
    xs = frame[x].to_numpy()
    numeric_x = np.issubdtype(xs.dtype, np.number)
    for i, column in enumerate(ys):
        name, unit, _ = metric_label(column)
        if f"{column}_ci_low" in frame.columns:  # a replicated sweep: its interval as a band
            fig.add_trace(_band(xs.astype(float) if numeric_x else xs, frame, column,
                                RUN_COLOURS[i % len(RUN_COLOURS)], name))
        fig.add_trace(go.Scatter(
            x=xs.astype(float) if numeric_x else xs, y=_array(frame[column]),
            mode="lines+markers", name=f"simulated {name}" if theory else name,
            line=dict(color=RUN_COLOURS[i % len(RUN_COLOURS)], width=2),
            marker=dict(size=7),
            hovertemplate=f"{x} = %{{x}}<br>{name}: %{{y:{'.1%' if fraction else '.4g'}}}"
                          "<extra></extra>"))
    if theory is not None:
        tx, ty, label = theory
        fig.add_trace(go.Scatter(
            x=np.asarray(tx, dtype=float), y=np.asarray(ty, dtype=float), mode="lines",
            name=label, line=dict(color="#555555", width=1.5, dash="dash"),
            hovertemplate=f"{label}: %{{y:{'.1%' if fraction else '.4g'}}}<extra></extra>"))
    if target is not None:
        value, label = target if isinstance(target, tuple) else (target, None)
        if label is None:
            label = f"target {value:.0%}" if fraction else f"target {value:g}"
        fig.add_hline(y=value, line=dict(color="#c44e52", width=1.2, dash="dot"),
                      annotation_text=label, annotation_position="top left",
                      annotation_font=dict(color="#c44e52", size=11))
    y_title = _axis_title(ys[0]) if len(ys) == 1 else (
        "ratio (%)" if fraction else ", ".join(metric_label(c)[0] for c in ys))
    x_ticks: dict[str, Any] = {}
    if log_x and numeric_x and len(xs) <= 12:  # label the swept values, not 2 3 4 … 9
        x_ticks = dict(tickvals=xs.astype(float), ticktext=[f"{v:,g}" for v in xs])
    fig.update_xaxes(title_text=field_title(x), type="log" if log_x else None, **x_ticks)
    y_ticks: dict[str, Any] = {}
    if log_y:  # 1-2-5 ticks that reach past the highest point, not just 10 and 100
        y_ticks = _log_ticks(np.concatenate([_array(frame[c]) for c in ys]))
    fig.update_yaxes(title_text=y_title, type="log" if log_y else None,
                     tickformat=".0%" if fraction else None,
                     rangemode="tozero" if not log_y else None, **y_ticks)
    fig.update_layout(legend=dict(x=0.99, y=0.02, xanchor="right", yanchor="bottom",
                                  bgcolor="rgba(255,255,255,0.8)"))
    return _style(fig, title or f"{y_title[0].upper()}{y_title[1:]} against {x}", height=420)


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _band(xs: np.ndarray, frame: pd.DataFrame, column: str, colour: str,
          name: str) -> go.Scatter:
    """The confidence interval of ``column`` (``_ci_low`` to ``_ci_high``) as a filled band."""
    low, high = _array(frame[f"{column}_ci_low"]), _array(frame[f"{column}_ci_high"])
    return go.Scatter(x=np.concatenate([xs, xs[::-1]]), y=np.concatenate([high, low[::-1]]),
                      fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0),
                      mode="lines", name=f"{name}: 95 % interval", showlegend=False,
                      hoverinfo="skip")


def bands(frame: pd.DataFrame, x: str, y: str, by: str | None = None, *,
          title: str | None = None, log_x: bool = False) -> go.Figure:
    """Mean and confidence band of one figure of a replicated sweep, one line per ``by`` value.

    ``frame`` is ``simcache.sweep(..., replications=R)`` with R ≥ 2 (columns ``y``,
    ``y_ci_low``, ``y_ci_high``); ``by`` a swept field that tells designs apart, such as
    ``strategy.read`` in a grid over it and ``x``.

    Each band is one design's own interval. Bands that do not overlap show a difference
    (conservatively: two separate 95 % intervals can overlap while the difference is still
    significant). Overlapping bands are inconclusive, not a sign that the designs are equal.
    To compare two designs, put an interval on their difference itself: with the same seeds
    for both designs, pair the runs by replication
    (:func:`simcache.analysis.intervals.paired_interval`). A mean and its band also hide
    runs that split into groups (some seeds collapsing, others not): look at the runs.
    """
    for column in [x, y, f"{y}_ci_low", f"{y}_ci_high", *([by] if by else [])]:
        if column not in frame.columns:
            hint = " (sweep with replications >= 2 for intervals)" if "_ci_" in column else ""
            raise ValueError(f"column {column!r} is not in the table{hint}; it has "
                             f"{', '.join(map(str, frame.columns[:8]))}…")
    name, _, fraction = metric_label(y)
    fmt = ".2%" if fraction else ".4g"
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=False))
    fig = go.Figure()
    for i, (label, group) in enumerate(groups):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        xs = group[x].to_numpy(dtype=float)
        legend = name if label is None else str(label)
        fig.add_trace(_band(xs, group, y, colour, legend))
        n = group["replications"].to_numpy() if "replications" in group else None
        fig.add_trace(go.Scatter(
            x=xs, y=_array(group[y]), mode="lines+markers", name=legend,
            line=dict(color=colour, width=2), marker=dict(size=7), customdata=np.stack(
                [_array(group[f"{y}_ci_low"]), _array(group[f"{y}_ci_high"]),
                 n if n is not None else np.full(len(group), np.nan)], axis=-1),
            hovertemplate=f"{legend}<br>{x} = %{{x}}<br>{name}: %{{y:{fmt}}} (95 %: "
                          f"%{{customdata[0]:{fmt}}} – %{{customdata[1]:{fmt}}}, "
                          "%{customdata[2]} runs)<extra></extra>"))
    fig.update_xaxes(title_text=field_title(x), type="log" if log_x else None)
    fig.update_yaxes(title_text=_axis_title(y), tickformat=".1%" if fraction else None)
    fig.update_layout(legend=dict(x=0.99, y=0.02, xanchor="right", yanchor="bottom",
                                  bgcolor="rgba(255,255,255,0.8)"))
    return _style(fig, title or f"{name[0].upper()}{name[1:]} against {x}: mean and 95 % "
                  "interval", height=420)


# -- a trace as a timeline ---------------------------------------------------------------
#: Which lane of a timeline each trace event goes in.
LANES = {
    "read misses": "readers", "read answered": "readers", "hit": "readers",
    "stale hit": "readers", "waits": "readers",
    "write arrives": "writers", "write queued": "writers",
    "db read starts": "database", "db read ends": "database", "write commits": "database",
    "fill": "cache", "fill refused": "cache", "set": "cache", "delete": "cache",
    "refresh queued": "cache", "write lost": "cache",
    "message delivered": "other servers", "message lost": "other servers",
}
_LANE_ORDER = ["readers", "writers", "database", "cache", "other servers"]
_EVENT_COLOURS = {"stale hit": "#c44e52", "fill refused": "#8c8c8c", "write lost": "#c44e52",
                  "message lost": "#c44e52", "write commits": "#dd8452", "delete": "#ccb974",
                  "fill": "#4c72b0", "set": "#4c72b0", "hit": "#55a868",
                  "read misses": "#8172b3", "db read starts": "#937860",
                  "db read ends": "#da8bc3", "read answered": "#64b5cd",
                  "message delivered": "#55a868", "write arrives": "#dd8452"}


def race_window(trace: pd.DataFrame, margin_s: float = 0.005) -> tuple[float, float]:
    """Start and end of the first race in a trace: from the database read whose old value
    was stored to the first stale hit it caused (``ValueError`` if there is none)."""
    stale = trace.index[trace["event"] == "stale hit"]
    if not len(stale):
        raise ValueError("trace: no stale hit in it; trace a key with writes, or run longer")
    first = trace.loc[stale[0]]
    earlier = trace.loc[: stale[0]]
    starts = earlier[(earlier["event"] == "db read starts")
                     & (earlier["version"] == first["version"])]
    start = float(starts["time_s"].iloc[-1]) if len(starts) else float(first["time_s"]) - 0.1
    return start - margin_s, float(first["time_s"]) + margin_s


def timeline(trace: pd.DataFrame, start: float | None = None, end: float | None = None,
             title: str | None = None) -> go.Figure:
    """Events of a trace (``Result.trace``) over time, one lane per actor, each marker
    labelled with the version involved; stale hits and refused fills stand out."""
    if not {"time_s", "event", "version", "committed"} <= set(trace.columns):
        raise ValueError("trace: expected Result.trace (columns time_s, event, version, …)")
    shown = trace
    if start is not None:
        shown = shown[shown["time_s"] >= start]
    if end is not None:
        shown = shown[shown["time_s"] <= end]
    if shown.empty:
        raise ValueError(f"trace: no events between {start} and {end} s")
    t0 = float(shown["time_s"].iloc[0])
    fig = go.Figure()
    for event, rows in shown.groupby("event", sort=False):
        lane = LANES.get(str(event), "cache")
        version = [("" if pd.isna(v) else f"v{int(v)}") for v in rows["version"]]
        hover = [f"{event} {v} (database has v{int(c)})<br>{d}" if v else
                 f"{event} (database has v{int(c)})<br>{d}"
                 for v, c, d in zip(version, rows["committed"], rows["detail"], strict=True)]
        fig.add_trace(go.Scatter(
            x=(rows["time_s"].to_numpy(dtype=float) - t0) * 1000.0, y=[lane] * len(rows),
            mode="markers+text", name=str(event), text=version, textposition="top center",
            marker=dict(size=11, color=_EVENT_COLOURS.get(str(event), "#937860"),
                        symbol="x" if event in ("stale hit", "fill refused") else "circle"),
            hovertext=hover, hovertemplate="%{hovertext}<br>t = %{x:.2f} ms<extra></extra>"))
    lanes = [lane for lane in _LANE_ORDER if lane in {LANES.get(str(e), "cache")
                                                       for e in shown["event"]}]
    fig.update_yaxes(categoryorder="array", categoryarray=lanes[::-1], title_text=None)
    fig.update_xaxes(title_text=f"ms after {t0:.3f} s")
    key = ", ".join(str(k) for k in sorted(set(shown["key"]))) if "key" in shown else "?"
    return _style(fig, title or f"What happened to key {key}", height=380)


# -- the latency ladder -----------------------------------------------------------------
def human_ms(ms: float) -> str:
    """A duration given in milliseconds, in the unit that reads best (ns, µs, ms, s)."""
    if ms == 0:
        return "0 ms"
    for scale, unit in ((1e6, "ns"), (1e3, "µs"), (1.0, "ms")):
        text = f"{ms * scale:.3g}"
        if float(text) < 1000:  # 999.7 µs rounds to 1e+03: say 1 ms instead
            return f"{text} {unit}"
    s = ms / 1000
    return f"{s:.3g} s" if s < 99.95 else f"{s:,.0f} s"


def latency_ladder(rows: Sequence[Any] = LATENCY_LADDER, highlight: Sequence[str] = (),
                   highlight_label: str = "highlighted") -> go.Figure:
    """Typical access latencies as horizontal bars on a log scale, fastest at the top.

    ``rows`` are ``(name, latency_ms, note)``; names in ``highlight`` are drawn in red,
    and the legend calls them ``highlight_label``.
    """
    names = [str(r[0]) for r in rows]
    values = np.array([float(r[1]) for r in rows])
    notes = [str(r[2]) for r in rows]
    labels = [f"{n}<br><span style='font-size:10px;color:#777'>{note}</span>"
              for n, note in zip(names, notes, strict=True)]
    unknown = sorted(set(highlight) - set(names))
    if unknown:
        raise ValueError(f"highlight: {', '.join(map(repr, unknown))} not on the ladder; "
                         f"allowed: {', '.join(names)}")
    fig = go.Figure()
    groups = [(False, "other rungs", "#4c72b0"), (True, highlight_label, "#c44e52")]
    for marked, name, colour in groups:
        rows_in = [i for i, n in enumerate(names) if (n in highlight) == marked]
        if not rows_in:
            continue
        fig.add_trace(go.Bar(
            x=values[rows_in], y=[labels[i] for i in rows_in], orientation="h",
            name=name, marker_color=colour, showlegend=bool(highlight),
            text=[human_ms(values[i]) for i in rows_in], textposition="outside",
            cliponaxis=False, customdata=[names[i] for i in rows_in],
            hovertemplate="%{customdata}: %{text}<extra></extra>"))
    fig.update_layout(barmode="overlay",
                      legend=dict(orientation="h", x=0, y=1.0, xanchor="left",
                                  yanchor="bottom", traceorder="reversed"))
    lo, hi = int(np.floor(np.log10(values.min()))), int(np.ceil(np.log10(values.max())))
    ticks = [10.0 ** e for e in range(lo, hi + 1)]
    fig.update_xaxes(type="log",
                     title_text="time per access (log scale: each grid line is 10× slower)",
                     tickvals=ticks, ticktext=[human_ms(t) for t in ticks],
                     range=[lo - 0.2, np.log10(values.max()) + 0.6])
    fig.update_yaxes(autorange="reversed", ticksuffix="  ", categoryorder="array",
                     categoryarray=labels)
    ratio = values.max() / values.min()
    return _style(fig, "The latency ladder: how long one access takes",
                  f"the slowest rung takes about {ratio:,.0f}× as long as the fastest; "
                  "a cache moves reads up the ladder", height=520)


# -- the nodes of a clustered tier -------------------------------------------------------
def nodes(results: Result | Sequence[Result], labels: Sequence[str] | None = None,
          title: str | None = None) -> go.Figure:
    """Bars per node of each run's ``Result.nodes``: utilisation above (a dotted line at
    100 %, where the node's queue grows without end) and p99 lookup latency below, on a
    log scale; one colour per run."""
    results = [results] if isinstance(results, Result) else list(results)
    if not results:
        raise ValueError("results: need at least one Result")
    labels = [str(x) for x in labels] if labels is not None else \
        [f"run {i + 1}" for i in range(len(results))]
    if len(labels) != len(results):
        raise ValueError(f"labels: got {len(labels)} for {len(results)} results")
    for label, r in zip(labels, results, strict=True):
        if r.nodes.empty:
            raise ValueError(f"results: {label!r} has no tier with nodes (set tiers[].nodes "
                             "or node_ops_per_s)")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=["utilisation of each node (%)",
                                        "p99 lookup latency at each node (ms, log)"])
    p99s = []
    for i, (label, r) in enumerate(zip(labels, results, strict=True)):
        frame = r.nodes
        tiers = frame["tier"].nunique()
        names = [f"{t} {n}" if tiers > 1 else f"node {n}"
                 for t, n in zip(frame["tier"], frame["node"], strict=True)]
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        util, p99 = _array(frame["utilization"]), _array(frame["latency_p99_ms"])
        p99s.append(p99)
        fig.add_trace(go.Bar(x=names, y=util, name=label, legendgroup=label,
                             marker_color=colour,
                             hovertemplate=f"{label}, %{{x}}: %{{y:.0%}} busy<extra></extra>"),
                      row=1, col=1)
        fig.add_trace(go.Bar(x=names, y=np.where(p99 > 0, p99, np.nan), name=label,
                             legendgroup=label, showlegend=False, marker_color=colour,
                             # labels fit over the bars of one or two runs; hover has them
                             text=[human_ms(v) if np.isfinite(v) else "" for v in p99],
                             textposition="outside" if len(results) <= 2 else "none",
                             cliponaxis=False, textfont=dict(size=10),
                             hovertemplate=f"{label}, %{{x}}: p99 %{{text}}<extra></extra>"),
                      row=2, col=1)
    fig.add_hline(y=1.0, line=dict(color="#c44e52", width=1.2, dash="dot"), row=1, col=1,
                  annotation_text="saturated", annotation_position="top right",
                  annotation_font=dict(color="#c44e52", size=11))
    top = max(1.1, float(np.nanmax([np.nanmax(_array(r.nodes["utilization"]))
                                    for r in results])) * 1.1)
    fig.update_yaxes(tickformat=".0%", range=[0, top], row=1, col=1)
    ticks = _log_ticks(np.concatenate(p99s))
    if ticks:  # room above the tallest bar for its label
        ticks["range"][1] += 0.25
    fig.update_yaxes(type="log", row=2, col=1, **ticks)
    # One run needs no legend; several get theirs under the chart, clear of the titles.
    fig.update_layout(barmode="group", showlegend=len(results) > 1,
                      legend=dict(orientation="h", x=0, y=-0.08, xanchor="left", yanchor="top"))
    subtitle = results[0].scenario.describe() if len(results) == 1 else None
    _style(fig, title or "Load on each node", subtitle, height=560)
    fig.update_layout(margin=dict(t=110 if subtitle else 80, b=80))
    return fig
