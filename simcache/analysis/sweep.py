"""Run one scenario across values of one field and tabulate the summaries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..engine import run
from ..scenario import Scenario


def sweep(scenario: Scenario, path: str, values: Iterable[Any],
          **fixed: Any) -> pd.DataFrame:
    """One row per value of the dotted field ``path``: that value, then the run's summary.

    ``fixed`` sets other fields for every run; write dots as double underscores
    (``workload__zipf_alpha=0.8``) or pass a dict as ``**{"workload.zipf_alpha": 0.8}``.
    Every run uses the scenario's seed, so rows differ only by the swept value.
    """
    base = scenario.with_values({k.replace("__", "."): v for k, v in fixed.items()})
    rows = []
    for value in values:
        result = run(base.with_values({path: value}))
        rows.append({path: value, **result.summary})
    return pd.DataFrame(rows)
