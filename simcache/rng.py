"""Named random streams derived from one scenario seed."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for component ``name``, the same in every process.

    Each component (arrivals, key choice, service times, a tier's evictions, …) gets its
    own stream, so adding a component or changing how often one draws never shifts the
    numbers another one sees.
    """
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


class UniformBuffer:
    """Uniform floats in [0, 1) handed out one at a time from vectorised draws."""

    __slots__ = ("_rng", "_buf", "_i", "_size")

    def __init__(self, rng: np.random.Generator, size: int = 4096):
        self._rng = rng
        self._size = size
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._rng.random(self._size).tolist()
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return value

    def take(self, k: int) -> list[float]:
        """The next ``k`` values (the same ones ``k`` calls would give)."""
        i = self._i
        if i + k > len(self._buf):
            return [self() for _ in range(k)]
        self._i = i + k
        return self._buf[i:i + k]
