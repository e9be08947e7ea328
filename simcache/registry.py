"""Name -> class tables: eviction policies, strategies, protections and faults each keep one.

A family registers each class under its ``name`` with a decorator; the scenario checks
names against the table, the engine builds from it, and widgets and the CLI list it, so
adding a policy or a strategy is one new file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from .errors import ScenarioError, did_you_mean

T = TypeVar("T")


class Registry(Mapping[str, type[T]], Generic[T]):
    """Classes of one family by name, in the order they were registered."""

    def __init__(self, what: str):
        self.what = what  # "eviction policy", "read strategy", ...
        self._classes: dict[str, type[T]] = {}

    def register(self, cls: type[T]) -> type[T]:
        """Class decorator: make ``cls`` available under ``cls.name``."""
        name = getattr(cls, "name", "")
        if not name:
            raise ValueError(f"{cls.__qualname__}: a registered {self.what} needs a name")
        if name in self._classes and self._classes[name] is not cls:
            raise ValueError(f"{self.what} {name!r} is registered twice")
        self._classes[name] = cls
        return cls

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests that register a class of their own clean up with this)."""
        self._classes.pop(name, None)

    def lookup(self, name: Any, field: str) -> type[T]:
        """The class called ``name``; otherwise a ScenarioError naming ``field``."""
        try:
            return self._classes[name]
        except (KeyError, TypeError):
            raise ScenarioError(field, name, f"unknown {self.what}; {did_you_mean(name, self)}"
                                             f"allowed: {', '.join(self)}") from None

    def summary(self) -> list[tuple[str, str]]:
        """(name, first line of its docstring) for each class: what the CLI lists."""
        out = []
        for name, cls in self._classes.items():
            doc = (cls.__doc__ or "").strip()
            out.append((name, doc.splitlines()[0] if doc else ""))
        return out

    def __getitem__(self, name: str) -> type[T]:
        return self._classes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def __repr__(self) -> str:
        return f"<Registry of {self.what}: {', '.join(self)}>"
