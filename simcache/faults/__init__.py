"""Faults: scheduled actions on a running model, one small class per file."""

from . import db_slowdown, flush  # noqa: F401  (registers them)
from .base import FAULTS, Fault, FaultOptions

__all__ = ["FAULTS", "Fault", "FaultOptions"]
