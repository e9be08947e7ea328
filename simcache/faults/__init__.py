"""Faults: scheduled actions on a running model, one small class per file."""

from . import flush  # noqa: F401, I001  (registers it; the order is the order listed)
from . import db_slowdown  # noqa: F401, I001
from . import crash, pubsub_outage, namespace_bump, warm, purge  # noqa: F401, I001
from .base import FAULTS, Fault, FaultOptions

__all__ = ["FAULTS", "Fault", "FaultOptions"]
