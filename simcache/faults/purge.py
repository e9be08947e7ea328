"""Purge: remove objects from every CDN point of presence at once, after a content change.

A CDN purges by surrogate key (every object tagged ``product-123``, or a whole class's
tag such as ``products``) or by URL. What was removed is fetched whole from the origin
by the next read at each PoP; browsers keep their copies until those go stale.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..errors import ScenarioError
from .base import FAULTS, Fault, FaultOptions


class PurgeOptions(FaultOptions):
    kind: Literal["purge"] = "purge"
    tag: str | None = Field(None, min_length=1,
                            description="surrogate key: purge every object carrying it")
    url: str | None = Field(None, min_length=1, description="purge the object at this URL")

    @model_validator(mode="after")
    def _one_target(self) -> PurgeOptions:
        if (self.tag is None) == (self.url is None):
            raise ScenarioError("tag", self.tag, "give a surrogate key (tag) or a url, "
                                                 "exactly one")
        return self

    def describe(self) -> str:
        what = f"tag {self.tag}" if self.tag is not None else self.url
        return f"purge {what} at {self.at_s:g} s"


@FAULTS.register
class Purge(Fault):
    """At ``at_s``, remove the tagged objects, or the one at ``url``, from every PoP;
    ``purged`` counts the copies removed."""

    name = "purge"
    Options = PurgeOptions

    def install(self) -> None:
        self.ctx.at(self.options.at_s, self._purge)

    def _purge(self, _event: object) -> None:
        edge, o = self.ctx.edge, self.options
        if o.tag is not None:
            edge.purge_tag(o.tag)
        else:
            edge.purge_url(o.url)
