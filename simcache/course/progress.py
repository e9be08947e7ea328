"""A progress bar for long sweeps: ``sc.sweep(..., progress=progress_bar())``.

The core calls ``progress(done, total)`` after each run and knows nothing of displays; this
module draws it: with ``tqdm.auto`` where tqdm is installed (a notebook bar in Jupyter, text
in a terminal), else with an ipywidgets bar, else not at all.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any


class ProgressBar:
    """A ``progress(done, total)`` callback that shows a bar, created on the first call.

    ``backend`` is ``"tqdm"``, ``"widget"`` or ``"none"``; by default tqdm if installed,
    else the widget. The bar appears when the first run finishes (never in the
    constructor), so building one costs nothing and shows nothing.
    """

    def __init__(self, description: str = "runs", backend: str | None = None):
        if backend is None:
            backend = "tqdm" if importlib.util.find_spec("tqdm") else "widget"
        if backend not in ("tqdm", "widget", "none"):
            raise ValueError(f"backend = {backend!r}: 'tqdm', 'widget' or 'none'")
        self.description = description
        self.backend = backend
        self.done = 0
        self.total = 0
        self._bar: Any = None
        self._label: Any = None
        self._start = 0.0

    def _open(self, total: int) -> None:
        self._start = time.perf_counter()
        if self.backend == "tqdm":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=self.description)
        elif self.backend == "widget":
            import ipywidgets as widgets
            from IPython.display import display

            self._bar = widgets.IntProgress(value=0, min=0, max=total,
                                            description=self.description)
            self._label = widgets.Label(f"0 / {total}")
            display(widgets.HBox([self._bar, self._label]))

    def __call__(self, done: int, total: int) -> None:
        if self.done == 0 and self._bar is None:
            self._open(total)
        step, self.done, self.total = done - self.done, done, total
        if self.backend == "tqdm":
            self._bar.update(step)
            if done >= total:
                self._bar.close()
        elif self.backend == "widget":
            self._bar.value = done
            elapsed = time.perf_counter() - self._start
            self._label.value = f"{done} / {total} runs, {elapsed:.1f} s"
            if done >= total:
                self._bar.bar_style = "success"


def progress_bar(description: str = "runs", backend: str | None = None) -> ProgressBar:
    """A fresh :class:`ProgressBar` to pass as ``sc.sweep(..., progress=...)``."""
    return ProgressBar(description, backend)
