"""Streaming measurements of a run, the catalog of reported figures, and the Result."""

from .catalog import METRICS, TIER_METRICS, Metric, TierMetric
from .histogram import Histogram
from .recorder import Recorder, nice_interval
from .result import Result, compare
from .window import Sample, Window

__all__ = ["METRICS", "TIER_METRICS", "Histogram", "Metric", "Recorder", "Result", "Sample",
           "TierMetric", "Window", "compare", "nice_interval"]
