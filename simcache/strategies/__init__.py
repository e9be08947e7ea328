"""Read and write strategies, one small class per file, registered by name."""

from . import cache_aside, read_through, refresh_ahead  # noqa: F401, I001  (registers them)
from . import invalidate, write_through, write_behind, write_around  # noqa: F401, I001
from .base import READ_STRATEGIES, WRITE_STRATEGIES, Context, ReadStrategy, WriteStrategy

__all__ = ["READ_STRATEGIES", "WRITE_STRATEGIES", "Context", "ReadStrategy", "WriteStrategy"]
