"""A small edge (browser and CDN tiers) with a stand-in for the running simulation, for
tests that drive it request by request."""

from __future__ import annotations

from simcache.metrics.window import Window
from simcache.model import tiers as tiers_
from simcache.model.edge import Edge
from simcache.scenario.schema import Content, Tier


class FakeDatabase:
    def __init__(self, keys: int):
        self.keys = keys
        self.committed = [1] * keys

    def superseded_at(self, key: int, version: int) -> float:
        return 0.0


class FakeRecorder:
    def __init__(self) -> None:
        self.window = Window(2)


class FakeContext:
    def __init__(self, keys: int):
        self.db = FakeDatabase(keys)
        self.recorder = FakeRecorder()

    @property
    def window(self) -> Window:
        return self.recorder.window


def make_edge(ctx: FakeContext, cache_control: str, clients: int, browser: bool = True,
              cdn: bool = True, **content) -> Edge:
    """An edge of one content class with ``cache_control``: a browser per client, one
    CDN PoP (either left out on request)."""
    browsers = (tiers_.Tier(Tier(name="browser", scope="per-client", latency_ms=0.0), 0, 1, 1)
                if browser else None)
    pops = tiers_.Tier(Tier(name="cdn", scope="per-pop", latency_ms=20.0), 1, 1, 1) \
        if cdn else None
    classes = [Content(name="c", share=1.0, cache_control=cache_control, **content)]
    return Edge(browsers, pops, classes, 1_000, ctx.db.keys, clients, ctx, [0, 1])
