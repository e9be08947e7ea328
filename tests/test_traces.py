"""Trace files: libCacheSim's text and CSV formats round trip, MONITOR captures parse, a bad
line is one error naming the file and line; and the ``replay`` and ``mrc`` commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simcache as sc
from simcache.analysis.traces import parse_monitor_line
from simcache.cli.main import main

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "redis-monitor-sample.monitor"
KEYS = [5, 17, 5, 3, 17, 5, 99, 3]


@pytest.mark.parametrize("name", ["t.txt", "t.csv"])
def test_round_trip_of_integer_keys(tmp_path, name):
    path = tmp_path / name
    assert sc.write_trace(KEYS, path) == len(KEYS)
    assert sc.read_trace(path) == KEYS


@pytest.mark.parametrize("fmt", ["text", "csv"])
def test_round_trip_of_string_keys_with_an_explicit_format(tmp_path, fmt):
    keys = ["user:1", "user:2", "user:1", "007", "7", "ü"]
    path = tmp_path / "trace.data"
    sc.write_trace(keys, path, format=fmt)
    assert sc.read_trace(path, format=fmt) == ["user:1", "user:2", "user:1", "007", 7, "ü"]


def test_csv_has_libcachesims_header_and_columns(tmp_path):
    path = tmp_path / "t.csv"
    sc.write_trace(np.array([4, 2]), path)
    assert path.read_text().splitlines() == ["time,obj_id,obj_size", "0,4,1", "1,2,1"]


def test_csv_without_a_header_or_with_other_column_order(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("10,7,100\n11,8,100\n12,7,100\n")
    assert sc.read_trace(plain) == [7, 8, 7]
    named = tmp_path / "named.csv"
    named.write_text("key,size\na,1\nb,1\n")
    assert sc.read_trace(named) == ["a", "b"]


def test_libcachesim_reads_what_we_write(tmp_path):
    libcachesim = pytest.importorskip("libcachesim", reason="libcachesim is not installed")
    rng = np.random.default_rng(8)
    keys = (rng.zipf(1.3, 5_000) % 500 + 1).tolist()
    path = tmp_path / "t.csv"
    sc.write_trace(keys, path)
    params = libcachesim.ReaderInitParam(has_header=True, delimiter=",")
    params.time_field, params.obj_id_field, params.obj_size_field = 1, 2, 3
    reader = libcachesim.TraceReader(trace=str(path), trace_type=libcachesim.TraceType.CSV_TRACE,
                                     reader_init_params=params)
    assert reader.get_num_of_req() == len(keys)
    miss_ratio, _ = libcachesim.LRU(40).process_trace(reader)
    assert sc.replay(sc.read_trace(path), "lru", 40).misses == round(miss_ratio * len(keys))


@pytest.mark.parametrize("name, text, line, expected", [
    ("t.txt", "a\nb\nc d\n", 3, "one key per line"),
    ("t.csv", "time,obj_id,obj_size\n0,1,1\n1\n", 3, "expected a key in field 2"),
    ("t.csv", "when,what\n0,1\n", 1, "no key column"),
    ("t.monitor", 'OK\n1.5 [0 127.0.0.1:1] "GET" "a"\n1.6 [0 x] "GET "a"\n', 3,
     "expected a redis-cli MONITOR line"),
    ("t.monitor", '1.5 [0 lua] "GET"\n', 1, "GET without a key"),
    ("t.monitor", "garbage\n", 1, "MONITOR line"),
])
def test_a_malformed_line_is_one_error_naming_file_and_line(tmp_path, name, text, line,
                                                            expected):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(sc.TraceError, match=expected) as info:
        sc.read_trace(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ") and "\n" not in message
    assert info.value.line == line


def test_unreadable_files_and_unknown_formats(tmp_path):
    with pytest.raises(sc.TraceError, match="cannot be read"):
        sc.read_trace(tmp_path / "missing.txt")
    (tmp_path / "t.bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(sc.TraceError, match="suffix"):
        sc.read_trace(tmp_path / "t.bin")
    with pytest.raises(sc.TraceError, match="UTF-8"):
        sc.read_trace(tmp_path / "t.bin", format="text")
    with pytest.raises(ValueError, match="format"):
        sc.read_trace(tmp_path / "t.bin", format="parquet")
    with pytest.raises(ValueError, match="spaces"):
        sc.write_trace(["a b"], tmp_path / "x.txt")


def test_monitor_lines_and_their_quoting():
    assert parse_monitor_line('1700000000.123456 [0 127.0.0.1:6379] "GET" "key:1"') == (
        1700000000.123456, 0, ["GET", "key:1"])
    assert parse_monitor_line(r'1.0 [3 unix:/tmp/r.sock] "SET" "a\"b" "x\\y\n\x41"') == (
        1.0, 3, ["SET", 'a"b', "x\\y\nA"])
    assert parse_monitor_line('1.0 [0 lua] "MGET" "" "b"')[2] == ["MGET", "", "b"]
    assert parse_monitor_line("OK") is None


def test_which_commands_count(tmp_path):
    path = tmp_path / "c.monitor"
    path.write_text("\n".join([
        "OK",
        '1.0 [0 127.0.0.1:1] "PING"',
        '1.1 [0 127.0.0.1:1] "GET" "a"',
        '1.2 [0 127.0.0.1:1] "MGET" "a" "b" "c"',
        '1.3 [0 127.0.0.1:1] "hget" "h" "field"',
        '1.4 [0 127.0.0.1:1] "SET" "a" "1" "EX" "60"',
        '1.5 [0 127.0.0.1:1] "MSET" "x" "1" "y" "2"',
        '1.6 [0 127.0.0.1:1] "DEL" "a" "b"',
        '1.7 [1 lua] "GET" "a"',
        '1.8 [0 127.0.0.1:1] "EVALSHA" "abc" "1" "a"',
    ]) + "\n")
    assert sc.read_trace(path) == ["a", "a", "b", "c", "h", "a"]
    assert sc.read_trace(path, writes="count") == [
        "a", "a", "b", "c", "h", "a", "x", "y", "a", "b", "a"]
    with pytest.raises(ValueError, match="writes"):
        sc.read_trace(path, writes="maybe")


def test_the_shipped_sample_capture():
    """Recorded by examples/record_monitor_sample.py: the real-Redis lab's cache-aside
    replay of 600 Zipf reads (a Lua script: EVALSHA, then its GET and SET on a miss), then
    MGET of three keys, HSET, HGET and DEL of a hash."""
    assert SAMPLE.stat().st_size < 200_000
    reads = sc.read_trace(SAMPLE)
    assert len(reads) == 600 + 3 + 1
    assert all(isinstance(k, str) and ":item:" in k or ":user:" in k for k in reads)
    prefix = reads[0].split("item:")[0]
    assert reads[-4:] == [f"{prefix}item:{k}" for k in (0, 1, 2)] + [f"{prefix}user:1"]
    every = sc.read_trace(SAMPLE, writes="count")
    sets = sum('"SET"' in line for line in SAMPLE.read_text().splitlines())
    assert len(every) == len(reads) + sets + 2  # + each SET, HSET and DEL
    # The lab's cache had room for every key, so its misses are the cold ones.
    frame = sc.mrc(reads[:600])
    assert frame["hit_ratio"].iloc[-1] * 600 == 600 - len(set(reads[:600]))


# -- the commands ------------------------------------------------------------------------
def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simcache: error: "), stderr
    return lines[0]


def test_replay_command_prints_hits_and_misses(tmp_path, capsys):
    path = tmp_path / "t.txt"
    sc.write_trace(KEYS, path)
    assert main(["replay", "--trace", str(path), "--policy", "lru", "--capacity", "2"]) == 0
    out = capsys.readouterr().out
    expected = sc.replay(KEYS, "lru", 2)
    assert f"hits      {expected.hits}" in out and f"misses    {expected.misses}" in out
    assert f"hit ratio {expected.hit_ratio:.2%}" in out


def test_mrc_command_table_and_csv(tmp_path, capsys):
    assert main(["mrc", "--trace", str(SAMPLE), "--capacities", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "604 requests" in lines[0] and lines[1].split() == ["capacity", "hit", "ratio"]
    assert len(lines) == 2 + 4
    out = tmp_path / "mrc.csv"
    assert main(["mrc", "--trace", str(SAMPLE), "--csv", str(out)]) == 0
    written = pd.read_csv(out)
    exact = sc.mrc(sc.read_trace(SAMPLE))
    pd.testing.assert_frame_equal(written, exact, check_dtype=False)
    assert main(["mrc", "--trace", str(SAMPLE), "--sample-rate", "0.5"]) == 0
    assert "SHARDS sample rate 0.5" in capsys.readouterr().out


def test_format_flag_overrides_the_suffix(tmp_path, capsys):
    path = tmp_path / "capture.data"
    path.write_text('1.0 [0 lua] "GET" "a"\n1.1 [0 lua] "GET" "a"\n')
    assert main(["replay", "--trace", str(path), "--format", "monitor", "--capacity", "1"]) == 0
    assert "hits      1" in capsys.readouterr().out


@pytest.mark.parametrize("args, expected", [
    (["mrc", "--trace", "BAD"], "bad.monitor:2: expected a redis-cli MONITOR line"),
    (["mrc", "--trace", "/no/such.txt"], "cannot be read"),
    (["mrc", "--trace", "x.parquet"], "cannot tell the format"),
    (["mrc", "--trace", "EMPTY"], "holds no requests"),
    (["mrc", "--trace", "x.txt", "--capacities", "5", "--sample-rate", "0.1"],
     "not allowed with"),
    (["mrc", "--trace", "x.txt", "--sample-rate", "2"], "must be in (0, 1]"),
    (["replay", "--trace", "x.txt", "--capacity", "-1"], "expected a whole number >= 1, got -1"),
    (["replay", "--trace", "x.txt", "--capacity", "10", "--policy", "arc"], "invalid choice"),
    (["replay", "--trace", "x.txt"], "--capacity"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, expected):
    bad = tmp_path / "bad.monitor"
    bad.write_text('1.0 [0 lua] "GET" "a"\nnot a monitor line\n')
    empty = tmp_path / "empty.monitor"
    empty.write_text('OK\n1.0 [0 lua] "SET" "a" "1"\n')
    args = [str(bad) if a == "BAD" else str(empty) if a == "EMPTY" else a for a in args]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert expected in _one_error_line(captured.err)
    assert captured.out == ""
