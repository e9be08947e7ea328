"""``simcache doctor``: what is installed, whether widgets will render, which Redis is used.

Reads package metadata only; it imports none of the packages it reports on.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from ..redis_lab import plan

PACKAGES = ("simcache", "simpy", "numpy", "pandas", "plotly", "ipywidgets", "jupyterlab",
            "jupyterlab_widgets", "kaleido", "redis", "fakeredis", "nbval")


def version(dist: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _major(text: str | None) -> int:
    try:
        return int((text or "0").split(".")[0])
    except ValueError:
        return 0


def widgets_verdict(versions: dict[str, str | None]) -> tuple[bool, str]:
    """Whether ipywidgets controls will render in JupyterLab, and what to do if not."""
    ipyw, labw = versions.get("ipywidgets"), versions.get("jupyterlab_widgets")
    if ipyw is None:
        return False, "no: ipywidgets is not installed; run `make venv` (or pip install " \
                      "'ipywidgets>=8') in this environment"
    if _major(ipyw) < 8:
        return False, f"no: ipywidgets {ipyw} is too old; pip install -U 'ipywidgets>=8'"
    if labw is None:
        return False, "no: jupyterlab_widgets (the JupyterLab side of ipywidgets) is missing " \
                      "from this environment; pip install jupyterlab_widgets, then restart " \
                      "JupyterLab"
    if versions.get("jupyterlab") is None:
        return True, "yes, once JupyterLab runs from this environment (it is not installed " \
                     "here: the kernel may be used from another JupyterLab, which then needs " \
                     "jupyterlab_widgets too)"
    return True, f"yes (ipywidgets {ipyw}, jupyterlab_widgets {labw} in the same environment)"


def plotly_verdict(versions: dict[str, str | None]) -> tuple[bool, str]:
    """Whether plotly figures will render in JupyterLab without a network."""
    if versions.get("plotly") is None:
        return False, "no: plotly is not installed; run `make venv`"
    found = any((Path(p) / "share/jupyter/labextensions/jupyterlab-plotly").is_dir()
                for p in {sys.prefix, sys.base_prefix})
    if found:
        return True, f"yes (plotly {versions['plotly']} with its JupyterLab extension)"
    return False, ("not sure: the jupyterlab-plotly extension was not found next to this "
                   "Python; reinstall plotly in the environment JupyterLab runs from")


def report() -> list[str]:
    """The doctor's lines."""
    versions = {name: version(name) for name in PACKAGES}
    lines = [f"{'Python':<18} {platform.python_version()} ({sys.executable})"]
    for name, v in versions.items():
        lines.append(f"{name:<18} {v or 'not installed'}")
    _, widgets = widgets_verdict(versions)
    _, charts = plotly_verdict(versions)
    lines += ["", f"widgets in JupyterLab: {widgets}", f"charts in JupyterLab:  {charts}",
              f"Redis for the course:  {plan()}"]
    return lines


def main() -> int:
    print("\n".join(report()))
    return 0
