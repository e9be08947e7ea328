"""Pub/sub outage: invalidation messages are lost for a while."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ..errors import ScenarioError
from .base import FAULTS, Fault, FaultOptions


class PubsubOutageOptions(FaultOptions):
    kind: Literal["pubsub-outage"] = "pubsub-outage"
    until_s: float = Field(gt=0, description="when messages are delivered again")

    def describe(self) -> str:
        return f"pub/sub down from {self.at_s:g} to {self.until_s:g} s"

    @model_validator(mode="after")
    def _window(self) -> Any:
        if self.until_s <= self.at_s:
            raise ScenarioError("until_s", self.until_s, f"must be after at_s ({self.at_s:g})")
        return self


@FAULTS.register
class PubsubOutage(Fault):
    """From ``at_s`` to ``until_s`` every invalidation message is lost (subscribers
    disconnected, a broker restart): per-server copies written meanwhile stay stale until
    they expire."""

    name = "pubsub-outage"
    Options = PubsubOutageOptions

    def install(self) -> None:
        ctx = self.ctx

        def down(_event: Any) -> None:
            ctx.pubsub_down = True

        def up(_event: Any) -> None:
            ctx.pubsub_down = False

        ctx.at(self.options.at_s, down)
        ctx.at(self.options.until_s, up)
