"""The discrete-event engine: runs a scenario and returns its Result."""

from .simulation import Simulation, run

__all__ = ["Simulation", "run"]
