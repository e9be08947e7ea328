"""What a run returns: a flat summary and a time series, plus ways to read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..scenario import Scenario

# Summary keys a person reads first, in order, with how to show them.
HEADLINE = (
    ("requests", "requests", "{:,.0f}"),
    ("hit_ratio", "hit ratio", "{:.1%}"),
    ("db_reads_per_s", "DB reads/s", "{:,.1f}"),
    ("db_utilization", "DB utilisation", "{:.0%}"),
    ("db_wait_mean_ms", "DB wait mean", "{:.2f} ms"),
    ("latency_mean_ms", "latency mean", "{:.2f} ms"),
    ("latency_p50_ms", "latency p50", "{:.2f} ms"),
    ("latency_p95_ms", "latency p95", "{:.2f} ms"),
    ("latency_p99_ms", "latency p99", "{:.2f} ms"),
    ("evictions", "evictions", "{:,.0f}"),
    ("stale_reads", "stale reads", "{:,.0f}"),
)


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`simcache.run`: ``summary`` (flat dict) and ``timeseries``."""

    scenario: Scenario
    summary: dict[str, float]
    timeseries: pd.DataFrame = field(repr=False)

    def __getitem__(self, key: str) -> float:
        return self.summary[key]

    def table(self) -> str:
        """The summary as aligned text, headline figures first, then each tier."""
        lines = [self.scenario.describe(), ""]
        for key, label, fmt in HEADLINE:
            lines.append(f"  {label:<18} {fmt.format(self.summary[key])}")
        for tier in self.scenario.tiers:
            p = f"tier.{tier.name}."
            s = self.summary
            lines.append(f"  {'tier ' + tier.name:<18} hit ratio {s[p + 'hit_ratio']:.1%} "
                         f"of {s[p + 'lookups']:,.0f} lookups, {s[p + 'evictions']:,.0f} "
                         f"evictions, {s[p + 'entries']:,.0f}/{tier.capacity:,} entries")
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
