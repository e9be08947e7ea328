"""What a fault is: a scheduled action on the running model (flush a tier, slow the database...).

Each fault declares its options as a pydantic model (``Options``: ``kind`` is its
registered name, ``at_s`` when it strikes, in simulated seconds from the start of the run,
warm-up included) and schedules its own actions on the simulation clock when the run
starts: one event per action, nothing on the request path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from ..fields import Section
from ..registry import Registry

if TYPE_CHECKING:
    from ..strategies.base import Context


class FaultOptions(Section):
    """Options every fault has: its ``kind`` and when it happens."""

    kind: str
    at_s: float = Field(0.0, ge=0, description="when it strikes, in simulated seconds from "
                                               "the start of the run (warm-up included)")

    def describe(self) -> str:
        """A few words for one-line summaries: "flush redis at 40 s"."""
        return f"{self.kind} at {self.at_s:g} s"


class Fault:
    """One fault at run time."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[FaultOptions]] = FaultOptions

    def __init__(self, options: FaultOptions, ctx: Context):
        self.options = options
        self.ctx = ctx

    def install(self) -> None:
        """Schedule this fault's actions on the clock."""
        raise NotImplementedError


FAULTS: Registry[Fault] = Registry("fault")
