"""Database slowdown: queries take a factor longer for a while (a lock, a vacuum, a neighbour)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ..errors import ScenarioError
from .base import FAULTS, Fault, FaultOptions


class DbSlowdownOptions(FaultOptions):
    kind: Literal["db-slowdown"] = "db-slowdown"
    until_s: float = Field(gt=0, description="when the database is back to normal speed")
    factor: float = Field(gt=0, le=10_000,
                          description="service times are multiplied by this meanwhile")

    def describe(self) -> str:
        return f"DB ×{self.factor:g} slower from {self.at_s:g} to {self.until_s:g} s"

    @model_validator(mode="after")
    def _window(self) -> Any:
        if self.until_s <= self.at_s:
            raise ScenarioError("until_s", self.until_s, f"must be after at_s ({self.at_s:g})")
        return self


@FAULTS.register
class DbSlowdown(Fault):
    """Every query that starts between ``at_s`` and ``until_s`` takes ``factor`` times longer.

    A lock held too long, a vacuum, a noisy neighbour: the pool's queue grows while it
    lasts and takes its time to drain after it ends.
    """

    name = "db-slowdown"
    Options = DbSlowdownOptions

    def install(self) -> None:
        db, o = self.ctx.db, self.options

        def slow(_event: Any) -> None:
            db.slowdown = o.factor

        def normal(_event: Any) -> None:
            db.slowdown = 1.0

        self.ctx.at(o.at_s, slow)
        self.ctx.at(o.until_s, normal)
