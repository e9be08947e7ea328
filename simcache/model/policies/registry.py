"""Eviction policies by name; widgets, the CLI and scenario validation read this registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .base import Store

POLICIES: dict[str, type[Store]] = {}


def register(cls: type[Store]) -> type[Store]:
    """Class decorator: make a policy available under ``cls.name``."""
    POLICIES[cls.name] = cls
    return cls


def make_store(policy: str, capacity: int, rng: np.random.Generator | None = None,
               **options: Any) -> Store:
    """A new empty store using the named eviction policy."""
    try:
        cls = POLICIES[policy]
    except KeyError:
        raise ValueError(f"policy = {policy!r}: must be one of {', '.join(POLICIES)}") from None
    return cls(capacity, rng, **options)
