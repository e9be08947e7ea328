"""Questions asked of the model from outside a single run: replays, miss-ratio curves,
traces, sweeps, theory."""

from .mrc import mrc
from .replay import ReplayResult, replay
from .sweep import confidence_intervals, sweep, sweep_runs
from .traces import TraceError, read_trace, write_trace

__all__ = ["ReplayResult", "TraceError", "confidence_intervals", "mrc", "read_trace", "replay",
           "sweep", "sweep_runs", "write_trace"]
