"""What a protection is, and how the scenario's protections combine into one set of hooks.

A protection (a lock, single-flight, a lease, early recomputation, stale-while-revalidate,
a negative cache, a Bloom filter) changes what happens at three moments of a read:

- ``on_hit(key, t, server, level, entry, measured) -> bool``: a tier had the key. True
  means "treat this read as a miss: I will complete it" (XFetch recomputing early).
- ``on_miss(key, t, server, measured) -> bool``: every tier missed. True means "I have
  taken this read over" (it waits for a load in flight, is answered "not found"...);
  False lets the read strategy load it.
- ``on_fill(key, version, server, now) -> bool``: a loaded value is about to be stored.
  False refuses the fill (a lease whose token is gone, a version check).

A protection defines only the hooks it needs; :class:`Hooks` combines them at
construction, and a hook no protection uses is None, so the engine's hit path pays for
nothing it does not use. Each protection declares its options as a pydantic model
(``Options``, with ``kind`` set to its name), which the scenario validates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..fields import Section
from ..registry import Registry

if TYPE_CHECKING:
    from ..strategies.base import Context


class ProtectionOptions(Section):
    """Options every protection has: its ``kind`` (the registered name)."""

    kind: str


class Protection:
    """One protection at run time, built from its options once per run."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[ProtectionOptions]] = ProtectionOptions
    on_hit: Callable[..., bool] | None = None
    on_miss: Callable[..., bool] | None = None
    on_fill: Callable[..., bool] | None = None

    def __init__(self, options: ProtectionOptions, ctx: Context):
        self.options = options
        self.ctx = ctx


PROTECTIONS: Registry[Protection] = Registry("protection")


def _combine(hooks: Sequence[Callable[..., bool]],
             verdict: Callable[[Any], bool]) -> Callable[..., bool] | None:
    """One hook calling each of ``hooks``: ``any`` stops at the first that takes a read,
    ``all`` allows a fill only if every one does. None when there are no hooks."""
    if not hooks:
        return None
    if len(hooks) == 1:
        return hooks[0]

    def combined(*args: Any) -> bool:
        return verdict(hook(*args) for hook in hooks)
    return combined


class Hooks:
    """The hooks of several protections (and the read strategy's ``on_hit``), combined."""

    def __init__(self, protections: Sequence[Protection],
                 strategy_on_hit: Callable[..., bool] | None = None):
        self.protections = list(protections)
        hits = ([strategy_on_hit] if strategy_on_hit is not None else []) + [
            p.on_hit for p in protections if p.on_hit is not None]
        self.on_hit = _combine(hits, any)
        self.on_miss = _combine([p.on_miss for p in protections if p.on_miss is not None], any)
        self.on_fill = _combine([p.on_fill for p in protections if p.on_fill is not None], all)
