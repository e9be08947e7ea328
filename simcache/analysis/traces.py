"""Key traces on disk: libCacheSim's plain-text and CSV formats, and `redis-cli MONITOR`.

Formats (``format=`` or from the file name):

- ``text`` (``.txt``): one key per line, as libCacheSim's ``txt`` trace type reads it.
- ``csv`` (``.csv``): a header ``time,obj_id,obj_size`` and one request per line, which
  libCacheSim's ``csv`` reader takes with
  ``-t "time-col=1, obj-id-col=2, obj-size-col=3, delimiter=,, has-header=true"``
  (its fields are numbered from 1). On reading, a header names the columns (``obj_id``,
  ``obj-id``, ``id`` or ``key``); without one, the key is field 2, as above; other
  columns are ignored.
- ``monitor`` (``.monitor``, ``.log``): what ``redis-cli MONITOR`` prints, one command a
  line: ``1700000000.123456 [0 127.0.0.1:6379] "GET" "key:1"``. Reads of a key's value
  (see :data:`READS`) become one request per key read: ``MGET a b`` is two. Writes
  (:data:`WRITES`: ``SET``, ``DEL``, ``HSET``, ...) are skipped by default, since an
  eviction-only replay models what readers look up; ``writes="count"`` adds one
  request per key written, as a trace of every access would. Other commands (``PING``,
  ``INFO``, ``SCAN``, ``EVAL``, ...) are skipped; so is the ``OK`` line that starts a
  capture. The database number is ignored: key ``a`` in db 0 and db 1 is one key.

A line that cannot be read raises :class:`TraceError`, naming the file and the line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Hashable, Iterable
from pathlib import Path

FORMATS = ("text", "csv", "monitor")
_SUFFIXES = {".txt": "text", ".csv": "csv", ".monitor": "monitor", ".log": "monitor"}
_ID_COLUMNS = ("obj_id", "obj-id", "id", "key")

#: Commands counted as reads, and which arguments are their keys: ``1`` the first
#: argument, ``"all"`` every argument.
READS: dict[str, int | str] = {
    **dict.fromkeys(("GET", "GETEX", "GETDEL", "STRLEN", "GETRANGE", "HGET", "HMGET",
                     "HGETALL", "HEXISTS", "HLEN", "HKEYS", "HVALS", "HSTRLEN", "LRANGE",
                     "LINDEX", "LLEN", "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD",
                     "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZSCORE", "ZMSCORE", "ZRANK",
                     "ZREVRANK", "ZCARD", "ZCOUNT"), 1),
    **dict.fromkeys(("MGET", "EXISTS"), "all"),
}
#: Commands counted as writes (only with ``writes="count"``): ``1`` the first argument,
#: ``"all"`` every argument, ``"pairs"`` every other argument from the first (``MSET``).
WRITES: dict[str, int | str] = {
    **dict.fromkeys(("SET", "SETEX", "PSETEX", "SETNX", "SETRANGE", "APPEND", "GETSET",
                     "INCR", "INCRBY", "INCRBYFLOAT", "DECR", "DECRBY", "HSET", "HSETNX",
                     "HMSET", "HDEL", "HINCRBY", "HINCRBYFLOAT", "LPUSH", "RPUSH", "LPOP",
                     "RPOP", "LTRIM", "SADD", "SREM", "ZADD", "ZREM", "ZINCRBY", "EXPIRE",
                     "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST"), 1),
    **dict.fromkeys(("DEL", "UNLINK"), "all"),
    **dict.fromkeys(("MSET", "MSETNX"), "pairs"),
}
_MONITOR_LINE = re.compile(r'(\d+(?:\.\d+)?) \[(\d+) ([^\]]*)\] (.*)')
_ARGUMENT = re.compile(r'"((?:[^"\\]|\\.)*)"(?: |$)')
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", '"': '"', "\\": "\\"}


class TraceError(ValueError):
    """A trace file cannot be read; ``str(error)`` is one line: ``FILE:LINE: problem``."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


def trace_format(path: str | Path, format: str | None = None) -> str:
    """The format to use for ``path``: ``format`` if given, else from its suffix."""
    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"format = {format!r}: must be one of {', '.join(FORMATS)}")
        return format
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise TraceError(path, None, f"cannot tell the format from the suffix {suffix!r}; "
                         f"name it (.txt, .csv, .monitor) or give the format: "
                         f"{', '.join(FORMATS)}")
    return _SUFFIXES[suffix]


def _key(text: str) -> Hashable:
    """A key as written: a whole number becomes an int (libCacheSim's numeric ids)."""
    return int(text) if text.isascii() and text.isdigit() and str(int(text)) == text else text


def read_trace(path: str | Path, format: str | None = None, writes: str = "skip") -> list:
    """The keys requested in a trace file, in order (see the module docstring).

    Keys made only of digits become ints, others stay strings. ``writes`` applies to
    ``monitor`` captures: ``"skip"`` (default) or ``"count"``.
    """
    kind = trace_format(path, format)
    if writes not in ("skip", "count"):
        raise ValueError(f"writes = {writes!r}: must be 'skip' or 'count'")
    try:
        handle = open(path, encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
    except OSError as err:
        raise TraceError(path, None, f"cannot be read ({err.strerror or err})") from None
    with handle:
        try:
            if kind == "text":
                return _read_text(path, handle)
            if kind == "csv":
                return _read_csv(path, handle)
            return _read_monitor(path, handle, writes == "count")
        except UnicodeDecodeError as err:
            raise TraceError(path, None, f"is not UTF-8 text ({err.reason})") from None


def _read_text(path, handle) -> list:
    keys = []
    for number, line in enumerate(handle, 1):
        text = line.strip()
        if not text:
            continue
        if any(c.isspace() for c in text):
            raise TraceError(path, number, f"expected one key per line, got {text[:60]!r}")
        keys.append(_key(text))
    return keys


def _read_csv(path, handle) -> list:
    rows = csv.reader(handle)
    keys = []
    column = 1  # obj_id is the second field when there is no header
    for number, row in enumerate(rows, 1):
        if not row or not "".join(row).strip():
            continue
        if number == 1 and not any(cell.strip().replace(".", "", 1).isdigit()
                                   for cell in row):
            names = [cell.strip().lower() for cell in row]
            found = [names.index(n) for n in _ID_COLUMNS if n in names]
            if not found:
                raise TraceError(path, number, f"header {','.join(row)!r} has no key column; "
                                 f"name one of {', '.join(_ID_COLUMNS)}")
            column = found[0]
            continue
        if len(row) <= column or not row[column].strip():
            raise TraceError(path, number, f"expected a key in field {column + 1}, got "
                             f"{','.join(row)[:60]!r}")
        keys.append(_key(row[column].strip()))
    return keys


def _unescape(text: str) -> str:
    """Undo redis-cli's quoting of one argument (``\\"``, ``\\\\``, ``\\n``, ``\\xNN``)."""
    if "\\" not in text:
        return text
    return re.sub(r'\\(x[0-9a-fA-F]{2}|.)',
                  lambda m: chr(int(m[1][1:], 16)) if m[1][0] == "x" and len(m[1]) == 3
                  else _ESCAPES.get(m[1], m[1]), text)


def parse_monitor_line(line: str) -> tuple[float, int, list[str]] | None:
    """``(time_s, db, [command, arg, ...])`` of one MONITOR line; None if it is not one."""
    match = _MONITOR_LINE.fullmatch(line)
    if not match:
        return None
    rest = match[4]
    args, at = [], 0
    while at < len(rest):
        arg = _ARGUMENT.match(rest, at)
        if not arg:
            return None
        args.append(_unescape(arg[1]))
        at = arg.end()
    if not args:
        return None
    return float(match[1]), int(match[2]), args


def _keys_of(args: list[str], rule: int | str) -> list[str]:
    if rule == "all":
        return args
    if rule == "pairs":
        return args[::2]
    return args[:1]


def _read_monitor(path, handle, count_writes: bool) -> list:
    keys: list = []
    for number, line in enumerate(handle, 1):
        text = line.rstrip("\r\n")
        if not text.strip() or (number == 1 and text.strip() == "OK"):
            continue
        parsed = parse_monitor_line(text)
        if parsed is None:
            raise TraceError(path, number, 'expected a redis-cli MONITOR line such as '
                             '1700000000.123456 [0 127.0.0.1:6379] "GET" "key:1", got '
                             f"{text[:60]!r}")
        command, *args = parsed[2]
        command = command.upper()
        rule = READS.get(command)
        if rule is None and count_writes:
            rule = WRITES.get(command)
        if rule is None:
            continue
        found = _keys_of(args, rule)
        if not found:
            raise TraceError(path, number, f"{command} without a key")
        keys.extend(found)
    return keys


def write_trace(keys: Iterable[Hashable], path: str | Path, format: str | None = None) -> int:
    """Write ``keys`` as a ``text`` or ``csv`` trace that libCacheSim reads; returns how
    many requests were written. In CSV each request has time = its index and size 1."""
    kind = trace_format(path, format)
    if kind == "monitor":
        raise ValueError("format = 'monitor': captures come from redis-cli MONITOR; "
                         "write 'text' or 'csv'")
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        if kind == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["time", "obj_id", "obj_size"])
        for count, key in enumerate(keys, 1):
            text = str(key)
            if not text or any(c.isspace() for c in text) or (kind == "csv" and "," in text):
                raise ValueError(f"key {key!r} (request {count}): keys written to a trace "
                                 "must be non-empty, without spaces"
                                 + (" or commas" if kind == "csv" else ""))
            if kind == "csv":
                writer.writerow([count - 1, text, 1])
            else:
                out.write(text + "\n")
    return count
