"""One command of a demonstration and what the server answered (:class:`Step`), and the
table the demonstrations show a sequence of them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Step:
    """One command of a demonstration and what the server answered."""

    command: str
    result: Any
    note: str = ""


def _steps_table(steps: Sequence[Step]) -> pd.DataFrame:
    return pd.DataFrame([{"command": s.command, "result": _show(s.result), "note": s.note}
                         for s in steps])


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) or value is None else str(value)
