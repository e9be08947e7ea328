"""simcache: a discrete-event simulator and course about application caching.

>>> import simcache as sc
>>> result = sc.run(sc.Scenario())
>>> round(result.summary["hit_ratio"], 2) > 0
True
"""

from .analysis import ReplayResult, TraceError, mrc, read_trace, replay, sweep, write_trace
from .engine import run
from .errors import ScenarioError
from .metrics import Result, compare
from .model.policies import POLICIES
from .scenario import PRESETS, Database, Metrics, Scenario, Strategy, Tier, Workload, preset

__version__ = "0.1.0"

__all__ = [
    "POLICIES", "PRESETS", "Database", "Metrics", "ReplayResult", "Result", "Scenario",
    "ScenarioError", "Strategy", "Tier", "TraceError", "Workload", "compare", "mrc", "preset",
    "read_trace", "replay", "run", "write_trace",
    "sweep", "__version__",
]
