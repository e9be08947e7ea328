"""Eviction policies by name; widgets, the CLI and scenario validation read this registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...registry import Registry

if TYPE_CHECKING:
    from .base import Store

POLICIES: Registry[Store] = Registry("eviction policy")
register = POLICIES.register


def make_store(policy: str, capacity: int, rng: np.random.Generator | None = None,
               **options: Any) -> Store:
    """A new empty store using the named eviction policy."""
    try:
        cls = POLICIES[policy]
    except KeyError:
        raise ValueError(f"policy = {policy!r}: must be one of {', '.join(POLICIES)}") from None
    return cls(capacity, rng, **options)
