"""What the course notebooks use: set-up, exercise checks, the latency ladder.

Plots (:mod:`simcache.course.plots`) and widgets (:mod:`simcache.course.widgets`) are
imported on their own, so importing this package loads neither plotly nor ipywidgets.
"""

from .exercises import LATENCY_LADDER, Check, LatencyStep, check, smallest_capacity_for
from .notebook import Setup, setup

__all__ = ["LATENCY_LADDER", "Check", "LatencyStep", "Setup", "check", "setup",
           "smallest_capacity_for"]
