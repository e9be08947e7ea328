"""The scenario: plain, frozen, validated data describing one run, and named presets."""

from ..fields import FieldRule
from .presets import PRESETS, preset
from .schema import (
    MAX_ROWS,
    Database,
    Metrics,
    Scenario,
    Strategy,
    Tier,
    Workload,
    default_tiers,
    field_rule,
)

__all__ = ["MAX_ROWS", "PRESETS", "Database", "FieldRule", "Metrics", "Scenario", "Strategy",
           "Tier", "Workload", "default_tiers", "field_rule", "preset"]
