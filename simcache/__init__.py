"""simcache: a discrete-event simulator and course about application caching.

>>> import simcache as sc
>>> result = sc.run(sc.Scenario())
>>> round(result.summary["hit_ratio"], 2) > 0
True
"""

from .engine import run
from .errors import ScenarioError
from .policies import POLICIES
from .presets import PRESETS, preset
from .replay import ReplayResult, replay
from .result import Result, compare
from .scenario import Database, Metrics, Scenario, Strategy, Tier, Workload
from .sweep import sweep

__version__ = "0.1.0"

__all__ = [
    "POLICIES", "PRESETS", "Database", "Metrics", "ReplayResult", "Result", "Scenario",
    "ScenarioError", "Strategy", "Tier", "Workload", "compare", "preset", "replay", "run",
    "sweep", "__version__",
]
