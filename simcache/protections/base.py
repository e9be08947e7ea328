"""What a protection is, and how the scenario's protections combine into one set of hooks.

A protection (a lock, single-flight, a lease, early recomputation, stale-while-revalidate,
a negative cache, a Bloom filter) changes what happens at these moments:

- ``on_read(key, t, server, measured) -> bool``: a read arrives, before any tier is
  asked. True means "answered already" (a Bloom filter knows the key does not exist):
  the read counts as a miss that no tier saw.
- ``on_hit(key, t, server, level, entry, measured) -> bool``: a tier had the key, fresh.
  True means "treat this read as a miss: I will complete it" (XFetch recomputing early).
- ``on_expired(key, t, server, level, entry, measured) -> bool``: a tier still holds the
  key past its TTL, because some protection asked tiers to keep expired entries a while
  (``keep_expired_s``). True means "served as a hit: I answered it" (stale-while-
  revalidate); otherwise the tier counts as missing the key and the read goes on.
- ``on_miss(key, t, server, measured) -> bool``: every tier missed. True means "I have
  taken this read over" (it waits for a load in flight, is answered "not found"...);
  False lets the read strategy load it.
- ``on_fill(key, version, server, now) -> bool``: a value is about to be stored (a load's
  reply, or a far hit copied into nearer tiers). False refuses the fill.
- ``on_write(key, now)``: a write has just updated or deleted the writer's copies of
  ``key`` (a lease is invalidated).
- ``store_not_found(key, server, now)``: the database had no row for ``key`` (a read of a
  key that does not exist): there is no value to store, but a negative cache may store
  the absence.

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
    on_read: Callable[[int, float, int, bool], bool] | None = None
    on_hit: Callable[..., bool] | None = None
    on_expired: Callable[..., bool] | None = None
    on_miss: Callable[..., bool] | None = None
    on_fill: Callable[..., bool] | None = None
    on_write: Callable[[int, float], None] | None = None
    store_not_found: Callable[[int, int, float], None] | None = None

    def __init__(self, options: ProtectionOptions, ctx: Context):
        self.options = options
        self.ctx = ctx

    @classmethod
    def keep_expired_s(cls, options: ProtectionOptions) -> float:
        """How long past its TTL a tier should keep an entry for this protection (0: not
        at all). Read before the tiers are built."""
        return 0.0


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


def _each(hooks: Sequence[Callable[..., None]]) -> Callable[..., None] | None:
    """One hook calling every one of ``hooks`` in turn; None when there are none."""
    if not hooks:
        return None
    if len(hooks) == 1:
        return hooks[0]

    def combined(*args: Any) -> None:
        for hook in hooks:
            hook(*args)
    return combined


def keep_expired_s(options: Sequence[ProtectionOptions]) -> float:
    """How long past their TTL tiers keep entries for the protections in ``options``."""
    return max((PROTECTIONS[o.kind].keep_expired_s(o) for o in options), default=0.0)


class Hooks:
    """The hooks of several protections (and the read strategy's ``on_hit``), combined,
    and ``keep_expired_s``: how long past its TTL every tier keeps an entry for them (an
    entry's TTL ran out at ``entry[1] - keep_expired_s``)."""

    def __init__(self, protections: Sequence[Protection],
                 strategy_on_hit: Callable[..., bool] | None = None):
        self.protections = list(protections)
        self.keep_expired_s = keep_expired_s([p.options for p in protections])
        hits = ([strategy_on_hit] if strategy_on_hit is not None else []) + [
            p.on_hit for p in protections if p.on_hit is not None]
        self.on_read = _combine([p.on_read for p in protections if p.on_read is not None], any)
        self.on_hit = _combine(hits, any)
        self.on_expired = _combine([p.on_expired for p in protections
                                    if p.on_expired is not None], any)
        self.on_miss = _combine([p.on_miss for p in protections if p.on_miss is not None], any)
        self.on_fill = _combine([p.on_fill for p in protections if p.on_fill is not None], all)
        self.on_write = _each([p.on_write for p in protections if p.on_write is not None])
        self.store_not_found = _each([p.store_not_found for p in protections
                                      if p.store_not_found is not None])
