"""Questions asked of the model from outside a single run: replays, sweeps, theory."""

from .replay import ReplayResult, replay
from .sweep import sweep

__all__ = ["ReplayResult", "replay", "sweep"]
