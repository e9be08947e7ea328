"""Streaming measurements of a run, and the Result they become."""

from .histogram import Histogram, Window, nice_interval
from .result import Result, compare

__all__ = ["Histogram", "Result", "Window", "compare", "nice_interval"]
