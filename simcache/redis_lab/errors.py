"""What goes wrong reaching Redis: :class:`RedisUnavailable`, a one-line error, and the
lazy import of redis that raises it when the package is missing.
"""

from __future__ import annotations

from typing import Any


class RedisUnavailable(ConnectionError):
    """Redis cannot be reached. The message is one line that says what to do next."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this list instead of a traceback: one readable line in a notebook.
        return [f"\x1b[31m{type(self).__name__}: {self}\x1b[0m"]


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(".")


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:
        raise RedisUnavailable("the redis package is not installed: "
                               "pip install 'simcache[redis]'") from None
    return redis
