"""Flush: empty one tier at a moment (a restart, a deploy, a cache wiped on purpose)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import FAULTS, Fault, FaultOptions


class FlushOptions(FaultOptions):
    kind: Literal["flush"] = "flush"
    tier: str = Field(description="name of the tier to empty (every instance of it)")

    def describe(self) -> str:
        return f"flush {self.tier} at {self.at_s:g} s"


@FAULTS.register
class Flush(Fault):
    """Empty a tier at ``at_s``: every instance loses every entry; what follows is a cold start."""

    name = "flush"
    Options = FlushOptions

    def install(self) -> None:
        tier = next(t for t in self.ctx.every_tier if t.name == self.options.tier)
        self.ctx.at(self.options.at_s, lambda _event: tier.flush())
