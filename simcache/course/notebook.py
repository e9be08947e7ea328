"""The first cell of every course notebook: ``from simcache.course import setup; setup()``.

It makes plotly figures render in JupyterLab without a network and without putting
plotly.js into every saved output, shows simcache's own input errors as one readable
line instead of a traceback, and prints which versions and which Redis are in use.
Outside IPython (a plain script, a test) it changes nothing and only prints.
"""

from __future__ import annotations

import os
import platform
import sys
import types
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..errors import ScenarioError
from ..redis_lab import RedisPlan, plan

#: ``plotly_mimetype`` sends each figure as ``application/vnd.plotly.v1+json`` (a few kB
#: of JSON). JupyterLab >= 4, Notebook 7 and VS Code draw it with the plotly extension that
#: ships inside the plotly package, offline. The ``notebook`` renderers would embed 3-4 MB
#: of plotly.js in the saved notebook; ``notebook_connected`` would need the internet.
RENDERER = "plotly_mimetype"
RENDERER_ENV = "SIMCACHE_PLOTLY_RENDERER"


@dataclass(frozen=True)
class Setup:
    """What :func:`setup` did: the seed to use, the plotly renderer, the Redis plan."""

    seed: int
    renderer: str | None
    redis: RedisPlan
    version: str = __version__

    def __str__(self) -> str:
        return (f"simcache {self.version} · Python {platform.python_version()} · "
                f"Redis: {self.redis.kind} ({self.redis.target})")

    def _ipython_display_(self) -> None:
        """Show nothing: setup() has already printed its line."""


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _raised_by_simcache(tb: types.TracebackType | None) -> bool:
    """Whether the innermost frame of ``tb`` is simcache's own code."""
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    name = last.tb_frame.f_globals.get("__name__", "") if last is not None else ""
    return name == "simcache" or name.startswith("simcache.")


def one_line(error: BaseException) -> str:
    """The readable line shown for a simcache input error."""
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def _handler(shell: Any, etype: type, value: BaseException, tb: Any,
             tb_offset: int | None = None) -> list[str]:
    """IPython custom exception handler: one line for simcache input errors."""
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %tb
    if isinstance(value, ScenarioError) or _raised_by_simcache(tb):
        stb = [f"\x1b[31m{one_line(value)}\x1b[0m",
               "(the full traceback: run %tb in a new cell)"]
        shell._showtraceback(etype, value, stb)
        return stb
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    return []


def setup(seed: int = 42, *, renderer: str | None = None, quiet: bool = False) -> Setup:
    """Prepare a notebook (see the module docstring) and print one line about it.

    ``seed`` is only recorded in the returned :class:`Setup`, for scenarios to use;
    simcache keeps no global random state. ``renderer`` overrides the plotly renderer
    (also ``SIMCACHE_PLOTLY_RENDERER``), e.g. ``"notebook"`` for an HTML export.
    """
    shell = _shell()
    chosen = None
    if shell is not None:
        import plotly.io as pio

        chosen = renderer or os.environ.get(RENDERER_ENV) or RENDERER
        pio.renderers.default = chosen
        shell.set_custom_exc((ValueError,), _handler)
    info = Setup(seed=seed, renderer=chosen, redis=plan())
    if not quiet:
        print(info)
    return info
