"""Versioned keys on a live lab: the namespace version lives in one counter, readers build
every key from it, and one ``INCR`` moves them all to new keys at once.

The keys of the old version are not deleted: nobody reads them again (orphans), and they
keep their memory until they expire or, under ``maxmemory``, are evicted. A ``TTL`` on
every versioned key bounds how long that lasts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .connection import Lab
from .steps import Step, _steps_table


@dataclass(frozen=True)
class VersionBump:
    """Items cached under one namespace version, then the version bumped with ``INCR``."""

    steps: tuple[Step, ...]
    version_before: int
    version_after: int
    hits_before: int      # items found under the old version before the bump
    hits_after: int       # items found under the new version right after it (all miss)
    orphans: int          # keys of the old version still stored after the bump
    orphan_ttl_s: int     # the longest time to live left among them (-1: no expiry)
    counter_ttl_s: int    # the version counter's time to live after INCR (it keeps it)

    def table(self) -> pd.DataFrame:
        return _steps_table(self.steps)


def version_bump(lab: Lab, items: int = 3, ttl_s: int = 60,
                 name: str = "catalog") -> VersionBump:
    """Cache ``items`` values under ``name:v1:``, read them, ``INCR`` the version, read again.

    Every key carries an expiry: the items ``ttl_s``, the counter the lab's safety expiry
    (``INCR`` leaves an existing expiry in place). The demonstration deletes its keys at
    the end, orphans included.
    """
    if items < 1:
        raise ValueError(f"items = {items!r}: must be >= 1")
    if not 0 < ttl_s <= lab.safety_ttl_s:
        raise ValueError(f"ttl_s = {ttl_s!r}: must be > 0 and at most {lab.safety_ttl_s}")
    r = lab.client
    counter = f"{name}:version"

    def item_key(version: int, i: int) -> str:
        return f"{name}:v{version}:item:{i}"

    numbers = range(items)

    def read_all() -> tuple[int, list[str | None]]:
        """What a reader does: GET the version, build the keys from it, MGET them."""
        version = int(r.get(lab.key(counter)))
        return version, r.mget([lab.key(item_key(version, i)) for i in numbers])

    shown = f"{{0..{items - 1}}}" if items > 1 else "0"
    steps: list[Step] = []
    written: list[str] = [lab.key(counter)]
    with lab.guard():
        try:
            steps.append(Step(f"SET {counter} 1 EX {lab.safety_ttl_s}",
                              r.set(lab.key(counter), 1, ex=lab.safety_ttl_s),
                              "the namespace starts at version 1"))
            old = int(r.get(lab.key(counter)))
            pipe = r.pipeline(transaction=False)
            for i in numbers:
                written.append(lab.key(item_key(old, i)))
                pipe.set(lab.key(item_key(old, i)), f"price {10 + i}.00", ex=ttl_s)
            stored = pipe.execute()
            steps.append(Step(f"SET {item_key(old, shown)} … EX {ttl_s}", stored,
                              f"{items} items cached under version {old}"))
            seen, before = read_all()
            steps.append(Step(f"MGET {item_key(seen, shown)}", before,
                              f"keys built from GET {counter} = {seen}: hits"))
            new = int(r.incr(lab.key(counter)))
            steps.append(Step(f"INCR {counter}", new,
                              "one command: every reader now builds new keys"))
            counter_ttl = int(r.ttl(lab.key(counter)))
            steps.append(Step(f"TTL {counter}", counter_ttl, "INCR kept the counter's expiry"))
            seen, after = read_all()
            steps.append(Step(f"MGET {item_key(seen, shown)}", after,
                              f"keys built from GET {counter} = {seen}: misses"))
            left = sorted(lab.scan(f"{name}:v{old}:*"))
            steps.append(Step(f"SCAN MATCH {name}:v{old}:*", len(left),
                              "old keys still stored; nobody reads them: orphans"))
            ttls = [int(r.ttl(k)) for k in left]
            orphan_ttl = max(ttls) if ttls else -2
            steps.append(Step(f"TTL {item_key(old, 0)}", ttls[0] if ttls else -2,
                              "their expiry frees their memory (or eviction)"))
        finally:
            r.delete(*written)
    return VersionBump(tuple(steps), old, new,
                       hits_before=sum(v is not None for v in before),
                       hits_after=sum(v is not None for v in after),
                       orphans=len(left), orphan_ttl_s=orphan_ttl, counter_ttl_s=counter_ttl)
