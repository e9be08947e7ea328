"""Namespace bump: every cached key is orphaned at once, as versioned keys do on a release."""

from __future__ import annotations

from typing import Any, Literal

from .base import FAULTS, Fault, FaultOptions


class NamespaceBumpOptions(FaultOptions):
    kind: Literal["namespace-bump"] = "namespace-bump"

    def describe(self) -> str:
        return f"namespace bumped at {self.at_s:g} s"


@FAULTS.register
class NamespaceBump(Fault):
    """At ``at_s`` the key prefix changes (``catalog:v7:`` to ``catalog:v8:``): every read
    misses until the new keys are loaded, and the old entries, never read again, keep
    their memory until evicted (``tier.<name>.orphans``)."""

    name = "namespace-bump"
    Options = NamespaceBumpOptions

    def install(self) -> None:
        ctx = self.ctx
        keys = len(ctx.db.committed)  # every id a request may name, missing keys included

        def bump(_event: Any) -> None:
            ctx.namespace.offset += keys

        ctx.at(self.options.at_s, bump)
