"""Read and write strategies, one small class per file, registered by name."""

from . import cache_aside, invalidate  # noqa: F401  (registers them)
from .base import READ_STRATEGIES, WRITE_STRATEGIES, Context, ReadStrategy, WriteStrategy

__all__ = ["READ_STRATEGIES", "WRITE_STRATEGIES", "Context", "ReadStrategy", "WriteStrategy"]
