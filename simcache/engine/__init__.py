"""The discrete-event engine: runs a scenario and returns its Result."""

from .clock import Clock
from .simulation import Simulation, run

__all__ = ["Clock", "Simulation", "run"]
