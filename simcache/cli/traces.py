"""``simcache replay`` and ``simcache mrc``: a trace file through one cache, or through
every LRU capacity at once."""

from __future__ import annotations

import argparse

import numpy as np

from ..analysis.traces import FORMATS

TABLE_ROWS = 20  # capacities printed when --capacities is not given


def _trace(args: argparse.Namespace) -> list:
    from ..analysis.traces import read_trace

    keys = read_trace(args.trace, args.format, writes=args.writes)
    if not keys:
        raise ValueError(f"{args.trace}: the trace holds no requests"
                         + (" (MONITOR captures count reads only; try --writes count)"
                            if args.writes == "skip" else ""))
    return keys


def cmd_replay(args: argparse.Namespace) -> int:
    from ..analysis.replay import replay

    result = replay(_trace(args), args.policy, args.capacity)
    print(f"trace     {args.trace}")
    print(f"policy    {result.policy}, capacity {result.capacity:,}")
    print(f"requests  {result.requests:,}")
    print(f"hits      {result.hits:,}")
    print(f"misses    {result.misses:,}")
    print(f"hit ratio {result.hit_ratio:.2%}")
    return 0


def _spread(distinct: int, count: int) -> list[int]:
    """``count`` capacities from 1 to ``distinct``, evenly spread (fewer if they repeat)."""
    return sorted({int(c) for c in np.linspace(1, distinct, min(count, distinct)).round()})


def cmd_mrc(args: argparse.Namespace) -> int:
    from ..analysis.mrc import mrc

    keys = _trace(args)
    distinct = len(set(keys))
    capacities = None
    if args.capacities is not None:
        capacities = _spread(distinct, args.capacities)
    elif args.csv is None:
        capacities = _spread(distinct, TABLE_ROWS)
    frame = mrc(keys, capacities=capacities, sample_rate=args.sample_rate)
    if args.csv is not None:
        frame.to_csv(args.csv, index=False)
        print(f"{len(frame):,} capacities written to {args.csv}")
        return 0
    sampled = (f", SHARDS sample rate {args.sample_rate:g} "
               f"({frame.attrs['sampled_requests']:,} requests followed)"
               if args.sample_rate is not None and args.sample_rate < 1 else "")
    print(f"{args.trace}: {len(keys):,} requests, {distinct:,} distinct keys, LRU{sampled}")
    print(f"{'capacity':>10}  {'hit ratio':>9}")
    for capacity, ratio in zip(frame["capacity"], frame["hit_ratio"], strict=True):
        print(f"{capacity:>10,}  {ratio:>9.2%}")
    return 0


def count(text: str) -> int:
    """A whole number >= 1 (an argparse type, for every command that takes one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value:g}")
    return value


def _trace_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trace", required=True, metavar="FILE",
                        help="keys, one per line (.txt), libCacheSim CSV (.csv) or a "
                             "redis-cli MONITOR capture (.monitor, .log)")
    parser.add_argument("--format", choices=FORMATS, help="the trace's format, if its "
                        "name does not say")
    parser.add_argument("--writes", choices=("skip", "count"), default="skip",
                        help="MONITOR captures: skip writes (SET, DEL, ...; default) or "
                             "count each as a request for its key")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``replay`` and ``mrc`` on the ``simcache`` parser's subcommands."""
    from ..model.policies import POLICIES

    p = sub.add_parser("replay", help="replay a trace file through one cache: hits, misses")
    _trace_options(p)
    p.add_argument("--policy", default="lru", choices=list(POLICIES),
                   help="eviction policy (default lru)")
    p.add_argument("--capacity", type=count, required=True, metavar="N",
                   help="cache size in entries")
    p.set_defaults(func=cmd_replay)
    p = sub.add_parser("mrc", help="LRU hit ratio of a trace file at every capacity "
                                   "(one pass)")
    _trace_options(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--capacities", type=count, metavar="N",
                       help=f"show N capacities spread from 1 to the number of distinct keys "
                            f"(default {TABLE_ROWS} in the table, all of them in --csv)")
    group.add_argument("--sample-rate", type=_rate, metavar="R",
                       help="estimate from a SHARDS sample of about R of the keys, e.g. 0.01")
    p.add_argument("--csv", metavar="OUT", help="write capacity,hit_ratio to OUT instead "
                   "of printing a table")
    p.set_defaults(func=cmd_mrc)
