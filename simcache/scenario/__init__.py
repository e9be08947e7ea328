"""The scenario: plain, frozen, validated data describing one run, and named presets."""

from .presets import PRESETS, preset
from .schema import (
    MAX_ROWS,
    Database,
    Metrics,
    Scenario,
    Spec,
    Strategy,
    Tier,
    Workload,
    default_tiers,
    field_spec,
)

__all__ = ["MAX_ROWS", "PRESETS", "Database", "Metrics", "Scenario", "Spec", "Strategy", "Tier",
           "Workload", "default_tiers", "field_spec", "preset"]
