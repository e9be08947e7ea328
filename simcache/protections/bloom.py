"""A Bloom filter of the keys that exist, in front of the cache (pyprobables' BloomFilter)."""

from __future__ import annotations

import math
from typing import Literal

from probables import BloomFilter
from probables.hashes import default_sha256
from pydantic import Field

from .base import PROTECTIONS, Protection, ProtectionOptions


class BloomOptions(ProtectionOptions):
    kind: Literal["bloom"] = "bloom"
    bits_per_key: float = Field(10.0, ge=1, le=64,
                                description="bloom: bits of filter per key that exists")
    hashes: int = Field(7, ge=1, le=32, description="bloom: hash functions (bits set per key)")


def false_positive_ratio(bits_per_key: float, hashes: int) -> float:
    """The classical estimate (1 − e^(−k·n/m))^k of a Bloom filter's false-positive rate,
    with m/n = ``bits_per_key`` bits per key and k = ``hashes`` (Bloom, CACM 1970)."""
    return (1.0 - math.exp(-hashes / bits_per_key)) ** hashes


def sized_filter(keys: int, bits_per_key: float, hashes: int) -> BloomFilter:
    """pyprobables' BloomFilter with m = ⌈bits_per_key · keys⌉ bits and k = ``hashes``,
    rather than the m and k it would derive from a target false-positive rate."""
    bits = max(8, math.ceil(bits_per_key * keys))

    class Sized(BloomFilter):
        @classmethod
        def _get_optimized_params(cls, estimated_elements: int,
                                  false_positive_rate: float) -> tuple[float, int, int]:
            return false_positive_rate, hashes, bits

    return Sized(est_elements=keys, false_positive_rate=false_positive_ratio(bits_per_key, hashes),
                 hash_function=default_sha256)


@PROTECTIONS.register
class Bloom(Protection):
    """Every key that exists is added to a Bloom filter held by the application; a read
    of a key the filter has never seen is answered "not found" before any cache or the
    database is asked. A filter has no false negatives, so keys that exist always pass;
    a small share of missing keys pass too (false positives, reported as
    ``bloom_false_positive_ratio``), and go on to the cache and the database.

    Its memory is ``bits_per_key`` bits per existing key, whatever the number of missing
    keys asked for: what a negative cache cannot promise against random keys.
    """

    name = "bloom"
    Options = BloomOptions

    def __init__(self, options: BloomOptions, ctx):
        super().__init__(options, ctx)
        self.keys = ctx.scenario.workload.keys
        self.filter = sized_filter(self.keys, options.bits_per_key, options.hashes)
        for key in range(self.keys):
            self.filter.add(f"key:{key}")

    def on_read(self, key: int, t: float, server: int, measured: bool) -> bool:
        if key < self.keys:  # in the filter: no false negatives, nothing to check
            return False
        ctx = self.ctx
        ctx.count("bloom_checks")
        if f"key:{key}" in self.filter:
            ctx.count("bloom_false_positives")
            return False
        ctx.read_answered(key, t, 0.0, measured)
        return True
