"""The ``simcache`` command: run a scenario, sweep a field, check the environment.

Bad input of any kind prints one line, ``simcache: error: <message>``, and exits 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tomllib
from collections.abc import Sequence
from typing import Any, NoReturn

from .. import __version__

EXIT_USAGE = 2
SWEEP_COLUMNS = ("hit_ratio", "db_reads_per_s", "latency_p50_ms", "latency_p99_ms",
                 "stale_reads")


class UsageError(Exception):
    """Bad command-line input: reported on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr instead of usage plus message."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


# -- reading the scenario ----------------------------------------------------------------
def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML value (30, 0.5, true, [], "x"), ``none``, else the text."""
    if text.strip().lower() in ("none", "null"):
        return None
    try:
        return tomllib.loads("v = " + text)["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignment(text: str, option: str = "--set") -> tuple[str, str]:
    path, sep, value = text.partition("=")
    path = path.strip()
    if not sep or not path or any(not part for part in path.split(".")):
        raise UsageError(f"{option} {text!r}: expected dotted.path=value, "
                         "e.g. tiers.0.capacity=500")
    return path, value.strip()


def load_scenario(args: argparse.Namespace) -> Any:
    """The scenario named by --config or --preset (default: Scenario()), with --set applied."""
    from ..scenario import Scenario
    from ..scenario.presets import preset

    if args.config and args.preset:
        raise UsageError("--config and --preset: give one or the other")
    if args.config:
        scenario = Scenario.load(args.config)
    elif args.preset:
        scenario = preset(args.preset)
    else:
        scenario = Scenario()
    changes = {}
    for item in args.set or ():
        path, value = parse_assignment(item)
        changes[path] = parse_value(value)
    return scenario.with_values(changes) if changes else scenario


def _plain(value: Any) -> Any:
    """A JSON-safe number: floats that are not finite become null."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) or hasattr(value, "item"):
        value = value.item() if hasattr(value, "item") else value
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value
    return value


# -- commands ----------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from ..engine import run

    scenario = load_scenario(args)
    result = run(scenario)
    if args.json:
        payload = {"scenario": scenario.to_dict(),
                   "summary": {k: _plain(v) for k, v in result.summary.items()}}
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        print(result.table())
    return 0


def _fmt_cell(key: str, value: Any) -> str:
    if isinstance(value, float):
        if key.endswith("_ratio") or key == "db_utilization":
            return f"{value:.1%}"
        if key.endswith("_ms"):
            return f"{value:.2f}"
        return f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "none" if value is None else str(value)


def _dask_client(address: str) -> Any:
    """A Dask client connected to the scheduler at ``address`` (one-line errors)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask: pip install 'simcache[scale]' "
                         "(dask[distributed])") from None
    try:
        return Client(address, timeout="10s")
    except Exception as err:  # unreachable, refused, a malformed address: all one line
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UsageError(f"--scheduler {address}: cannot connect: {reason}") from None


def _stderr_progress(done: int, total: int) -> None:
    end = "\n" if done >= total else ""
    print(f"\rsimcache: {done}/{total} runs", end=end, file=sys.stderr, flush=True)


def _fmt_interval(key: str, row: dict[str, Any]) -> str:
    """``mean ± half-width`` of a replicated figure, in the figure's own format."""
    mean, low, high = row[key], row[f"{key}_ci_low"], row[f"{key}_ci_high"]
    if not isinstance(mean, float) or not math.isfinite(high - low):
        return _fmt_cell(key, mean)
    return f"{_fmt_cell(key, float(mean))} ± {_fmt_cell(key, (high - low) / 2)}"


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..analysis.sweep import sweep

    scenario = load_scenario(args)
    grid: dict[str, list[Any]] = {}
    for vary in args.vary:
        path, text = parse_assignment(vary, "--vary")
        values = [parse_value(v.strip()) for v in text.split(",") if v.strip()]
        if not values:
            raise UsageError(f"--vary {vary!r}: give at least one value after '='")
        if path in grid:
            raise UsageError(f"--vary {path}: given twice; put all its values in one --vary")
        grid[path] = values
    columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    if args.workers and args.scheduler:
        raise UsageError("--workers and --scheduler: give one or the other")
    client = _dask_client(args.scheduler) if args.scheduler else None
    progress = _stderr_progress if sys.stderr.isatty() else None
    try:
        executor = client.get_executor() if client is not None else args.workers
        frame = sweep(scenario, grid, replications=args.replications, executor=executor,
                      progress=progress)
    except ImportError as err:  # raised on a Dask worker that lacks simcache or a dependency
        if not args.scheduler:
            raise
        raise UsageError(f"--scheduler {args.scheduler}: a worker could not import what a run "
                         f"needs ({err}); install simcache on every worker") from None
    finally:
        if client is not None:
            client.close()
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        raise UsageError(f"--columns: {', '.join(unknown)} not in the summary; try "
                         f"{', '.join(SWEEP_COLUMNS)}")
    replicated = args.replications > 1
    if args.json:
        keep = [*grid, *(["replications"] if replicated else []),
                *(f"{c}{end}" for c in columns
                  for end in (("", "_ci_low", "_ci_high") if replicated else ("",)))]
        rows = [{k: _plain(v) for k, v in row.items()} for row in frame[keep].to_dict("records")]
        print(json.dumps(rows, indent=2, allow_nan=False))
        return 0
    records = frame.to_dict("records")
    frame = frame[[*grid, *columns]]
    if replicated:  # each figure as "mean ± half-width of its 95 % interval"
        cells = [[_fmt_cell(c, row[c]) if c in grid else _fmt_interval(c, row)
                  for c in frame.columns] for row in records]
    else:
        cells = [[_fmt_cell(c, row[c]) for c in frame.columns] for row in records]
    widths = [max(len(str(c)), *(len(r[i]) for r in cells)) for i, c in enumerate(frame.columns)]
    print(scenario.describe())
    if replicated:
        print(f"{args.replications} replications per point: mean ± half-width of a 95 % "
              "confidence interval (Student t)")
    print("  ".join(str(c).rjust(w) for c, w in zip(frame.columns, widths, strict=True)))
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import main as doctor

    return doctor()


def _first_line(cls: type) -> str:
    """What a registered class does: the first line of its module's docstring (or its own)."""
    module = sys.modules.get(cls.__module__)
    doc = (module.__doc__ if module and module.__doc__ else cls.__doc__) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _registries(kind: str) -> list[tuple[str, Any]]:
    """The registries a listing command shows, each with its heading ('' for none)."""
    if kind == "policies":
        from ..model.policies import POLICIES
        return [("", POLICIES)]
    if kind == "strategies":
        from ..strategies import READ_STRATEGIES, WRITE_STRATEGIES
        return [("read (strategy.read)", READ_STRATEGIES),
                ("write (strategy.write)", WRITE_STRATEGIES)]
    if kind == "protections":
        from ..protections import PROTECTIONS
        return [("", PROTECTIONS)]
    from ..faults import FAULTS
    return [("", FAULTS)]


def cmd_list(args: argparse.Namespace) -> int:
    sections = _registries(args.command)
    for title, registry in sections:
        if title:
            print(title)
        indent = "  " if title else ""
        if not registry:
            print(f"{indent}(none yet)")
        width = max((len(name) for name in registry), default=0)
        for name, cls in registry.items():
            print(f"{indent}{name:<{width}}  {_first_line(cls)}")
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from ..metrics import METRICS, TIER_METRICS

    rows = [(m.key, m.unit, m.redis or "", m.about) for m in METRICS]
    rows += [(f"tier.<name>.{m.key}", m.unit, m.redis or "", m.about) for m in TIER_METRICS]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"{'figure':<{widths[0]}}  {'unit':<{widths[1]}}  {'Redis INFO':<{widths[2]}}  meaning")
    for key, unit, redis, about in rows:
        print(f"{key:<{widths[0]}}  {unit:<{widths[1]}}  {redis:<{widths[2]}}  {about}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from ..scenario import Scenario

    print(json.dumps(Scenario.json_schema(), indent=2))
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from ..scenario.presets import PRESETS

    width = max(len(name) for name in PRESETS)
    for name, (text, _) in PRESETS.items():
        print(f"{name:<{width}}  {text}")
    return 0


# -- the parser --------------------------------------------------------------------------
def _scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="a scenario in a .toml or .json file")
    parser.add_argument("--preset", metavar="NAME",
                        help="a named scenario (see `simcache presets`)")
    parser.add_argument("--set", action="append", metavar="PATH=VALUE",
                        help="change one field, e.g. tiers.0.capacity=500, tiers.0.ttl_s=30, "
                             "tiers=[] (values are TOML; `none` clears an optional field); "
                             "repeatable")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def build_parser() -> argparse.ArgumentParser:
    from .traces import add_commands as add_trace_commands  # replay, mrc
    from .traces import count
    parser = _Parser(prog="simcache", description="Simulate application caches: hit ratio, "
                     "database load and latency for a scenario.")
    parser.add_argument("--version", action="version", version=f"simcache {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("run", help="run one scenario and print its summary")
    _scenario_options(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("sweep", help="run one scenario across values of one field")
    _scenario_options(p)
    p.add_argument("--vary", required=True, action="append", metavar="PATH=V1,V2,...",
                   help="the field to vary and its values, e.g. tiers.0.capacity=100,500,2000; "
                        "repeat it for a grid (every combination)")
    p.add_argument("--columns", default=",".join(SWEEP_COLUMNS), metavar="KEY,KEY",
                   help=f"summary keys to show (default {','.join(SWEEP_COLUMNS)})")
    p.add_argument("--replications", type=count, default=1, metavar="R",
                   help="runs per point with independent seeds; R >= 2 shows each figure's "
                        "mean and 95%% confidence interval (default 1)")
    p.add_argument("--workers", type=count, default=None, metavar="N",
                   help="run on N local worker processes (default: one, this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (needs the scale "
                        "extra: pip install 'simcache[scale]')")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("doctor", help="versions, widget support and which Redis the course uses")
    p.set_defaults(func=cmd_doctor)
    add_trace_commands(sub)
    for name, text in (("policies", "list the eviction policies"),
                       ("strategies", "list the read and write strategies"),
                       ("protections", "list the protections (scenario: protections = [...])"),
                       ("faults", "list the faults (scenario: faults = [...])")):
        sub.add_parser(name, help=text).set_defaults(func=cmd_list)
    p = sub.add_parser("metrics", help="list every reported figure: unit, Redis name, meaning")
    p.set_defaults(func=cmd_metrics)
    p = sub.add_parser("presets", help="list the named scenarios")
    p.set_defaults(func=cmd_presets)
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    p.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``simcache`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv or ["run"])  # no arguments: the default run
        status = args.func(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader went away (`simcache run | head`): stop quietly, as `cat` would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except (UsageError, ValueError, OSError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"simcache: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("simcache: error: the scenario needs more memory than this machine has: "
              "fewer keys or a larger metrics.interval_s", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("simcache: interrupted", file=sys.stderr)
        return 130
