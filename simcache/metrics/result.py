"""What a run returns: a flat summary, a time series and a table per tier, and ways to read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..scenario import Scenario
from .catalog import METRICS

#: How each unit is shown in text.
FORMATS = {"fraction": "{:.1%}", "ms": "{:.2f} ms", "/s": "{:,.1f}", "s": "{:.2f} s"}


def show(value: float, unit: str) -> str:
    """A figure as text, by its unit: 0.917 -> 91.7%, 3.2 ms, 1,234."""
    return FORMATS.get(unit, "{:,.0f}").format(value)


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`simcache.run`.

    ``summary``: a flat dict of numbers (see ``simcache metrics``); ``timeseries``: one row
    per interval; ``tiers``: one row per cache tier (long format); ``trace``: every event
    of the keys in ``metrics.trace_keys``, in time order (empty unless asked for);
    ``nodes``: one row per node of each tier with nodes (``tier``, ``node``, ``ops_per_s``,
    ``utilization``, ``latency_p99_ms``), empty when no tier has any.
    """

    scenario: Scenario
    summary: dict[str, float]
    timeseries: pd.DataFrame = field(repr=False)
    tiers: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    trace: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    nodes: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def __getitem__(self, key: str) -> float:
        return self.summary[key]

    def table(self) -> str:
        """The summary as aligned text, headline figures first, then each tier."""
        lines = [self.scenario.describe(), ""]
        for m in METRICS:
            if m.headline is not None:
                lines.append(f"  {m.headline:<18} {show(self.summary[m.key], m.unit)}")
        for row in self.tiers.to_dict("records"):
            lines.append(f"  {'tier ' + row['tier']:<18} hit ratio {row['hit_ratio']:.1%} "
                         f"of {row['lookups']:,.0f} lookups, {row['evictions']:,.0f} "
                         f"evictions, {row['entries']:,.0f}/{row['capacity_total']:,} entries")
        if not self.nodes.empty:
            for tier, nodes in self.nodes.groupby("tier", sort=False):
                busiest = nodes.loc[nodes["ops_per_s"].idxmax()]
                busy = ("" if busiest["utilization"] != busiest["utilization"]  # NaN: no limit
                        else f" ({busiest['utilization']:.0%} busy)")
                lines.append(f"  {'nodes of ' + str(tier):<18} {len(nodes)} nodes; busiest is "
                             f"node {busiest['node']} at {busiest['ops_per_s']:,.0f} ops/s{busy}, "
                             f"p99 {busiest['latency_p99_ms']:.2f} ms")
        return "\n".join(lines)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<Result hit_ratio={s['hit_ratio']:.3f} db_reads_per_s={s['db_reads_per_s']:.1f}"
                f" latency_p99_ms={s['latency_p99_ms']:.2f}>")


def compare(results: Sequence[Result], labels: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per run, one column per summary key: the table behind a comparison chart."""
    labels = list(labels) if labels is not None else [f"run {i + 1}" for i in range(len(results))]
    if len(labels) != len(results):
        raise ValueError(f"labels: got {len(labels)} for {len(results)} results")
    return pd.DataFrame([r.summary for r in results], index=pd.Index(labels, name="run"))
