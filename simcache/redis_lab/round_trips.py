"""Pipelining: the same SETs sent one per round trip and in batches, timed.

The module is named for what it counts, so that it does not shadow :func:`pipelining`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .connection import Lab

#: On a server with maxmemory, :func:`pipelining` spreads its SETs over this many keys.
PIPELINE_KEYS_UNDER_MAXMEMORY = 100


@dataclass(frozen=True)
class PipelineResult:
    """The same commands sent one per round trip and pipelined, timed on the connection."""

    commands: int
    batch: int
    plain_round_trips: int
    pipelined_round_trips: int
    plain_s: float
    pipelined_s: float
    fake: bool
    distinct_keys: int = 0  # keys written (fewer than commands on a server with maxmemory)
    note: str = ""

    @property
    def speedup(self) -> float:
        return self.plain_s / self.pipelined_s if self.pipelined_s > 0 else math.inf

    @property
    def round_trip_us(self) -> float:
        """Mean time of one command sent on its own, in microseconds."""
        return self.plain_s / self.commands * 1e6

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"how": "one command per round trip", "commands": self.commands,
             "round trips": self.plain_round_trips, "wall clock ms": self.plain_s * 1e3},
            {"how": f"pipelined, {self.batch} per batch", "commands": self.commands,
             "round trips": self.pipelined_round_trips, "wall clock ms": self.pipelined_s * 1e3},
        ]).round({"wall clock ms": 1})


def pipelining(lab: Lab, commands: int = 2000, batch: int = 500,
               name: str = "pipe") -> PipelineResult:
    """Time ``commands`` SETs (with EX) sent one by one, then pipelined in batches.

    Each plain command waits for its reply before the next is sent: one network round
    trip each. A pipeline sends a whole batch and reads all the replies at once. The round
    trips are counted as they are made. On a server with maxmemory (see
    :attr:`~simcache.redis_lab.Lab.memory_limit`) the SETs reuse at most
    ``PIPELINE_KEYS_UNDER_MAXMEMORY`` keys: the same commands and round trips, a fraction
    of the memory.
    """
    if commands < 1 or batch < 1:
        raise ValueError(f"commands = {commands!r}, batch = {batch!r}: both must be >= 1")
    r = lab.client
    note = ""
    distinct = commands
    if lab.memory_limit is not None and commands > PIPELINE_KEYS_UNDER_MAXMEMORY:
        distinct = PIPELINE_KEYS_UNDER_MAXMEMORY
        note = (f"ℹ️ Your server has {lab.memory_limit.short}: the {commands:,} SETs reuse "
                f"{distinct} keys, so the demo adds only a few kB.")
    keys = [lab.key(f"{name}:{i % distinct}") for i in range(commands)]
    r.ping()  # open the connection before timing
    plain_trips = pipelined_trips = 0
    start = time.perf_counter()
    for key in keys:
        r.set(key, "x", ex=60)
        plain_trips += 1
    plain_s = time.perf_counter() - start
    unique = keys[:distinct]
    _delete(r, unique)
    start = time.perf_counter()
    for i in range(0, commands, batch):
        pipe = r.pipeline(transaction=False)
        for key in keys[i:i + batch]:
            pipe.set(key, "x", ex=60)
        pipe.execute()
        pipelined_trips += 1
    pipelined_s = time.perf_counter() - start
    stored = _delete(r, unique)
    if stored != distinct:  # both ways must have done the same work
        raise RuntimeError(f"pipelining: {stored} of {distinct} keys were stored")
    return PipelineResult(commands, batch, plain_trips, pipelined_trips, plain_s,
                          pipelined_s, lab.is_fake, distinct, note)


def waiting_saved_ms(commands: int, batch: int, rtt_ms: float) -> float:
    """Round-trip waiting a pipeline of ``batch`` commands per round trip saves over
    sending ``commands`` one by one, at ``rtt_ms`` per round trip (waiting only)."""
    return commands * rtt_ms - math.ceil(commands / batch) * rtt_ms


def _delete(r: Any, keys: Sequence[str], chunk: int = 1000) -> int:
    """DEL the named keys, ``chunk`` per command; return how many existed."""
    return sum(int(r.delete(*keys[i:i + chunk])) for i in range(0, len(keys), chunk))
