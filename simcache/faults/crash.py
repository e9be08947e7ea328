"""Crash: a tier loses everything at a moment, including writes it held for the database."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import FAULTS, Fault, FaultOptions


class CrashOptions(FaultOptions):
    kind: Literal["crash"] = "crash"
    tier: str = Field(description="name of the tier that crashes (every instance of it)")

    def describe(self) -> str:
        return f"{self.tier} crashes at {self.at_s:g} s"


@FAULTS.register
class Crash(Fault):
    """A tier crashes at ``at_s``: its contents are gone, and so are write-behind writes
    it held that had not reached the database yet (``lost_writes``)."""

    name = "crash"
    Options = CrashOptions

    def install(self) -> None:
        ctx = self.ctx
        tier = next(t for t in ctx.tiers if t.name == self.options.tier)

        def crash(_event: Any) -> None:
            tier.flush()
            ctx.write.tier_crashed(tier, ctx.now())

        ctx.at(self.options.at_s, crash)
