"""The one error a bad scenario raises."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ScenarioError(ValueError):
    """A scenario field holds a value that is not allowed.

    ``field`` is the dotted path (``workload.zipf_alpha``, ``tiers.0.capacity``),
    ``value`` the offending value and ``allowed`` a short description of what would be
    accepted. ``str(error)`` is a single line that names all three.
    """

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {value!r}: {allowed}")

    def under(self, prefix: str) -> ScenarioError:
        """The same error with ``prefix`` put in front of its field path."""
        return ScenarioError(f"{prefix}.{self.field}" if self.field else prefix, self.value,
                             self.allowed)


def did_you_mean(word: object, names: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` for the allowed name closest to ``word``, else ``""``."""
    hint = difflib.get_close_matches(str(word), list(names), n=1)
    return f"did you mean {hint[0]!r}? " if hint else ""
