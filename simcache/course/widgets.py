"""Interactive controls that re-run a scenario and redraw its charts.

The model is a plain object: :meth:`Explorer.update` takes ``{dotted path: value}``,
runs the simulation and returns the Result, so tests and notebooks call it directly.
The widgets only forward their changes to it.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from ..engine import run
from ..errors import ScenarioError
from ..metrics.result import Result
from ..scenario import FieldRule, Scenario, field_rule

NO_TTL = math.inf  # the slider position that means "entries never expire"

DEFAULT_CONTROLS = ("tiers.0.capacity", "workload.zipf_alpha", "tiers.0.ttl_s")


def _nice(low: float, high: float) -> list[float]:
    """1-2-5 steps from ``low`` to ``high`` (both included): log-ish slider positions."""
    out: list[float] = []
    exponent = math.floor(math.log10(max(low, 1e-9)))
    while True:
        for m in (1, 2, 5):
            v = m * 10.0 ** exponent
            if v > high:
                return sorted(set([*out, high]))
            if v >= low:
                out.append(v)
        exponent += 1


def _capacity_options(scenario: Scenario, current: Any) -> list[tuple[str, Any]]:
    keys = scenario.workload.keys
    values = [0, *(int(v) for v in _nice(10, keys))]
    return [(f"{v:,}", v) for v in values]


def simulated_duration_s(scenario: Scenario) -> float:
    """How long the scenario's run lasts in simulated time, warm-up included (about)."""
    workload = scenario.workload
    if workload.duration_s is not None:
        return float(workload.duration_s)
    return workload.requests / workload.rate_rps


def _ttl_options(scenario: Scenario, current: Any) -> list[tuple[str, Any]]:
    # A TTL as long as the run never expires anything in it, so the scale stops below
    # the run's length: otherwise half the slider would look like "TTL does nothing".
    steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600]
    longest = simulated_duration_s(scenario)
    kept = [v for v in steps if v < longest] or steps[:1]
    return [(f"{v:g} s", float(v)) for v in kept] + [("no TTL", NO_TTL)]


def _log_options(low: float, high: float, kind: type,
                 zero: bool = False) -> Callable[..., list[tuple[str, Any]]]:
    def options(scenario: Scenario, current: Any) -> list[tuple[str, Any]]:
        values = ([0] if zero else []) + _nice(low, high)
        return [(f"{kind(v):,}" if kind is int else f"{v:g}", kind(v)) for v in values]
    return options


# Slider ranges by field-name pattern (matched against the dotted path, first match
# wins): (min, max, step) for a plain slider, or a function giving (label, value) stops
# for a selection slider.
RANGES: tuple[tuple[str, Any], ...] = (
    (r"\.capacity$", _capacity_options),
    (r"\.ttl_s$", _ttl_options),
    (r"^tiers\.\d+\.latency_ms$", (0.0, 5.0, 0.05)),
    (r"^tiers\.\d+\.ttl_jitter$", (0.0, 1.0, 0.05)),
    (r"^tiers\.\d+\.samples$", (1, 64, 1)),
    (r"zipf_alpha$", (0.0, 2.0, 0.05)),
    (r"write_ratio$", (0.0, 0.5, 0.01)),
    (r"rate_rps$", (100.0, 5000.0, 100.0)),
    (r"hot_key_fraction$", (0.01, 1.0, 0.01)),
    (r"hot_traffic_fraction$", (0.0, 1.0, 0.05)),
    (r"^database\.latency_ms$", (1.0, 200.0, 1.0)),
    (r"^database\.concurrency$", (1, 64, 1)),
    (r"^workload\.keys$", _log_options(100, 1_000_000, int)),
    (r"^workload\.requests$", _log_options(1_000, 1_000_000, int)),
    (r"^workload\.warmup_requests$", _log_options(100, 100_000, int, zero=True)),
    (r"^workload\.app_servers$", (1, 16, 1)),
    (r"^strategy\.refresh_fraction$", (0.05, 1.0, 0.05)),
    (r"^strategy\.refresh_workers$", (1, 32, 1)),
    (r"^strategy\.flush_interval_s$", _log_options(0.01, 60, float)),
    (r"^strategy\.flush_batch$", _log_options(1, 10_000, int)),
    (r"^invalidation\.pubsub_delay_ms$", (0.0, 100.0, 0.5)),
    (r"^invalidation\.pubsub_loss$", (0.0, 1.0, 0.01)),
    (r"^invalidation\.delete_delay_ms$", _log_options(1, 10_000, float)),
    (r"^database\.timeout_ms$", _log_options(1, 10_000, float)),
    (r"^workload\.missing_ratio$", (0.0, 1.0, 0.05)),
    (r"^workload\.missing_keys$", _log_options(10, 10_000_000, int)),
    (r"^tiers\.\d+\.(nodes|hot_key_replicas|hot_key_split)$", (1, 16, 1)),
    (r"^tiers\.\d+\.hot_keys$", (0, 20, 1)),
    (r"^tiers\.\d+\.node_ops_per_s$", _log_options(100, 100_000, float)),
    (r"^protections\.\d+\.beta$", (0.1, 5.0, 0.1)),
    (r"^protections\.\d+\.(poll_ms|lock_timeout_ms)$", _log_options(1, 10_000, float)),
    (r"^protections\.\d+\.(swr_s|stale_s|negative_ttl_s)$", _log_options(0.1, 600, float)),
    (r"^protections\.\d+\.bits_per_key$", (1.0, 32.0, 1.0)),
    (r"^protections\.\d+\.hashes$", (1, 16, 1)),
)


# Readable control labels by field name; the dotted path is in the tooltip.
LABELS = {"capacity": "capacity", "ttl_s": "TTL", "ttl_jitter": "TTL jitter",
          "latency_ms": "latency (ms)", "eviction": "eviction", "samples": "samples",
          "zipf_alpha": "Zipf α", "write_ratio": "write share", "rate_rps": "requests/s",
          "keys": "keys", "popularity": "popularity", "concurrency": "connections",
          "service": "service times", "hot_key_fraction": "hot keys",
          "hot_traffic_fraction": "hot traffic", "requests": "requests",
          "warmup_requests": "warm-up requests", "app_servers": "app servers",
          "read": "read strategy", "write": "write strategy",
          "refresh_fraction": "refresh when left", "refresh_workers": "refresh workers",
          "flush_interval_s": "flush every", "flush_batch": "flush batch",
          "pubsub": "pub/sub", "pubsub_delay_ms": "pub/sub delay (ms)",
          "pubsub_loss": "pub/sub loss", "delete_delay_ms": "2nd delete after (ms)",
          "set_check": "set check", "timeout_ms": "timeout (ms)", "scope": "scope",
          "inherit_ttl": "inherit TTL", "lru_clock_ms": "LRU clock (ms)",
          "missing_ratio": "missing-key reads", "missing_keys": "missing ids",
          "nodes": "nodes", "node_ops_per_s": "ops/s per node", "hot_keys": "hot keys spread",
          "hot_key_replicas": "hot-key replicas", "hot_key_split": "hot-key shards",
          "beta": "β", "poll_ms": "poll every (ms)", "lock_timeout_ms": "gives up after (ms)",
          "on_timeout": "on timeout", "stale_s": "keeps expired for", "swr_s": "serves stale for",
          "negative_ttl_s": "negative TTL", "bits_per_key": "bits per key",
          "hashes": "hash functions"}


def _label(scenario: Scenario, path: str) -> str:
    parts = path.split(".")
    name = LABELS.get(parts[-1], parts[-1].replace("_", " "))
    if parts[0] == "tiers" and len(parts) == 3 and parts[1].isdigit():
        i = int(parts[1])
        tier = scenario.tiers[i].name if i < len(scenario.tiers) else f"tier {i}"
        return f"{tier} {name}"
    if parts[0] == "database":
        return f"DB {name}"
    if parts[0] in ("protections", "faults") and len(parts) == 3 and parts[1].isdigit():
        return f"{getattr(scenario, parts[0])[int(parts[1])].kind} {name}"
    return name


def rule_of(scenario: Scenario, path: str) -> FieldRule:
    """The validation rule of the field at ``path``: a section or tier field, or an option
    of one of the scenario's protections or faults (``protections.0.beta``), whose rule
    depends on that item's kind."""
    parts = path.split(".")
    if parts[0] not in ("protections", "faults"):
        return field_rule(path)
    scenario.get(path)  # names an item and an option this scenario has, or raises
    if len(parts) != 3 or parts[2] == "kind":
        raise ScenarioError(path, path, "controls take an option of one protection or "
                                        f"fault, such as {parts[0]}.0.<option>")
    return type(getattr(scenario, parts[0])[int(parts[1])]).rule(parts[2])


def make_control(scenario: Scenario, path: str) -> widgets.Widget:
    """One widget for the field at ``path``, set to the scenario's current value."""
    rule: FieldRule = rule_of(scenario, path)
    current = scenario.get(path)  # also checks that the path exists in this scenario
    common = dict(description=_label(scenario, path),
                  tooltip=f"{path}: {rule.help}" if rule.help else path,
                  style={"description_width": "120px"},
                  layout=widgets.Layout(width="auto", min_width="300px"))
    if rule.choices is not None:
        return widgets.Dropdown(options=list(rule.choices), value=current, **common)
    if rule.kind is bool:
        return widgets.Checkbox(value=bool(current), indent=False, **common)
    if rule.kind not in (int, float):
        raise ValueError(f"controls: {path!r} is a {rule.kind.__name__} field; only numbers "
                         "and choices have controls")
    found = next((r for pattern, r in RANGES if re.search(pattern, path)), None)
    if callable(found):
        options = found(scenario, current)
        value = NO_TTL if current is None else current
        if all(v != value for _, v in options):  # keep the scenario's own value reachable
            options = sorted([*options, (_stop_label(path, value), value)], key=lambda o: o[1])
        return widgets.SelectionSlider(options=options, value=value, continuous_update=False,
                                       **common)
    if found is None:  # no table entry: the field's own bounds, or around its value
        base = float(current or 1)
        low = rule.low if rule.low is not None else 0.0
        high = rule.high if rule.high is not None and rule.high < 100 * base else 4 * base
        step = 1 if rule.kind is int else (high - low) / 100
        found = (low, high, step)
    low, high, step = found
    if current is not None:
        low, high = min(low, current), max(high, current)
    if rule.kind is int:
        return widgets.IntSlider(value=current, min=int(low), max=int(high), step=int(step),
                                 continuous_update=False, **common)
    digits = max(0, -math.floor(math.log10(step))) if step > 0 else 2
    return widgets.FloatSlider(value=current, min=low, max=high, step=step,
                               readout_format=f".{digits}f", continuous_update=False, **common)


def _chart_makers(charts: Sequence[str]) -> list[Callable[[Result], Any]]:
    from . import plots

    makers: list[Callable[[Result], Any]] = []
    for name in charts:
        if name == "dashboard":
            makers.append(plots.dashboard)
        elif name in plots.PANELS:
            makers.append(lambda result, name=name: plots.panel(result, name))
        else:
            raise ValueError(f"charts: {name!r} is not a chart; allowed: dashboard, "
                             f"{', '.join(plots.PANELS)}")
    return makers


class Explorer:
    """Controls for some scenario fields, a one-line summary and charts that follow them.

    ``controls`` are dotted paths (``tiers.0.capacity``); each becomes a slider or a
    dropdown from the field's validation rule. Moving one re-runs the simulation after
    ``debounce_s`` of quiet, so a burst of changes costs one run. Display the explorer
    as the last expression of a cell; call :meth:`update` to drive it from code.
    """

    def __init__(self, scenario: Scenario | None = None,
                 controls: Sequence[str] = DEFAULT_CONTROLS,
                 charts: Sequence[str] = ("dashboard",), debounce_s: float = 0.25):
        self.scenario = scenario if scenario is not None else Scenario()
        self.result: Result | None = None
        self.error: str | None = None
        self.figures: list[Any] = []
        self.run_s = 0.0
        self.debounce_s = debounce_s
        self._makers = _chart_makers(charts)
        self.controls: dict[str, widgets.Widget] = {
            path: make_control(self.scenario, path) for path in controls}
        for path, control in self.controls.items():
            control.observe(lambda change, path=path: self._on_change(path, change["new"]),
                            names="value")
        self.status = widgets.HTML()
        self.output = widgets.Output()
        grid = widgets.GridBox(list(self.controls.values()), layout=widgets.Layout(
            grid_template_columns="repeat(auto-fill, minmax(320px, 1fr))", grid_gap="4px 16px"))
        self.widget = widgets.VBox([grid, self.status, self.output])
        self._pending: dict[str, Any] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._syncing = False
        self._shown = False
        self._initial = self.scenario
        self._simulate(self.scenario)

    # -- the model ----------------------------------------------------------------------
    def update(self, changes: Mapping[str, Any]) -> Result | None:
        """Apply ``{dotted path: value}``, re-run, redraw; return the latest Result.

        An invalid value leaves scenario and result as they were and puts a one-line
        message in ``error`` and in the output area instead of raising.
        """
        changes = {path: (None if value == NO_TTL else value)
                   for path, value in changes.items()}
        try:
            scenario = self.scenario.with_values(changes)
        except ValueError as err:
            self._fail(err)
            return self.result
        if self._simulate(scenario):
            self._sync_controls()
            self._draw()
        return self.result

    def reset(self) -> Result | None:
        """Put every control back to the scenario the explorer started with, and re-run."""
        self._pending = {}
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._simulate(self._initial):
            self._sync_controls()
            self._draw()
        return self.result

    def _simulate(self, scenario: Scenario) -> bool:
        start = time.perf_counter()
        try:
            result = run(scenario)
        except ValueError as err:
            self._fail(err)
            return False
        self.run_s = time.perf_counter() - start
        self.scenario, self.result, self.error = scenario, result, None
        self.figures = [make(result) for make in self._makers]
        self.status.value = self.summary()
        return True

    def summary(self) -> str:
        """One line: hit ratio, DB reads/s and p99 of the latest run, and its run time."""
        from .plots import human_ms

        if self.result is None:
            return ""
        s = self.result.summary
        return (f"<b>hit ratio {s['hit_ratio']:.1%}</b> · DB {s['db_reads_per_s']:,.0f} reads/s"
                f" · p99 {human_ms(s['latency_p99_ms'])} "
                f"<span style='color:#888'>(simulated in {self.run_s:.2f} s)</span>")

    def _fail(self, err: Exception) -> None:
        self.error = str(err).splitlines()[0] if str(err) else type(err).__name__
        self.status.value = (f"<span style='color:#b00020'>⚠ Rejected: {_escape(self.error)}"
                             "</span> (still showing the last valid run)")
        self._sync_controls()

    # -- the widgets --------------------------------------------------------------------
    def _on_change(self, path: str, value: Any) -> None:
        if self._syncing:
            return
        self._pending[path] = value
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self.debounce_s <= 0:
            self._flush()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(self.debounce_s, self._flush)

    def _flush(self) -> None:
        self._timer = None
        changes, self._pending = self._pending, {}
        if changes:
            self.update(changes)

    def _sync_controls(self) -> None:
        """Move every control to the scenario's value (after code or a rejected value)."""
        self._syncing = True
        try:
            for path, control in self.controls.items():
                value = self.scenario.get(path)
                value = NO_TTL if value is None else value
                if control.value != value:
                    if isinstance(control, widgets.SelectionSlider) and all(
                            v != value for _, v in control.options):
                        control.options = sorted(
                            [*control.options, (_stop_label(path, value), value)],
                            key=lambda o: o[1])
                    control.value = value
        finally:
            self._syncing = False

    def _draw(self) -> None:
        """Replace the charts in the output area in one step (no flicker, no empty frame).

        The figures go straight into the Output widget's ``outputs``, which syncs like any
        widget state. Capturing ``fig.show()`` with ``with output:`` would only work while
        the message that triggered it is being handled: a debounced redraw runs later,
        from a timer, and JupyterLab would drop what it printed.
        """
        if not self._shown:
            return
        bundles = []
        for fig in self.figures:
            data = dict(fig._repr_mimebundle_() or {})  # the active plotly renderer's bundle
            title = fig.layout.title.text or "figure"
            data.setdefault("text/plain", f"<plotly figure: {title}>")
            bundles.append({"output_type": "display_data", "data": data, "metadata": {}})
        self.output.outputs = tuple(bundles)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
        self._shown = True
        self._draw()


def _stop_label(path: str, value: float) -> str:
    """The label of a slider stop added for a value that is not on the usual scale."""
    if value == NO_TTL:
        return "no TTL" if path.endswith("ttl_s") else "off"
    return f"{value:g} s" if path.endswith("ttl_s") else f"{value:,g}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
