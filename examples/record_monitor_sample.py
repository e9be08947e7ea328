"""Record ``redis-monitor-sample.monitor``: the real-Redis lab's cache-aside replay of a
Zipf key sequence, captured with ``redis-cli MONITOR``.

Needs ``redis-cli``, ``stdbuf`` (GNU coreutils) and a Redis you may watch
(``SIMCACHE_REDIS_URL``, default redis://127.0.0.1:6379). Only lines that name this
session's key prefix are kept (other clients of the same server stay out of the file),
and the lab deletes its own keys at the end; nothing else on the server is touched.
Read the capture back with
``simcache mrc --trace examples/redis-monitor-sample.monitor``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from simcache.redis_lab.cache_aside import cache_aside_load, zipf_keys
from simcache.redis_lab.connection import connect

OUT = Path(__file__).with_name("redis-monitor-sample.monitor")


def main() -> int:
    url = os.environ.setdefault("SIMCACHE_REDIS_URL", "redis://127.0.0.1:6379")
    where = urlparse(url)
    lab = connect(new=True)
    # A file, not a pipe: a pipe nobody reads fills up and stalls redis-cli.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as raw:
        # stdbuf: line-buffered, or the lines still in redis-cli's buffer die with it
        monitor = subprocess.Popen(["stdbuf", "-oL", "redis-cli", "-h",
                                    where.hostname or "127.0.0.1", "-p", str(where.port or 6379),
                                    "MONITOR"], stdout=raw)
        try:
            time.sleep(0.5)  # let MONITOR attach before the replay starts
            hits = cache_aside_load(lab, zipf_keys(keys=100, requests=600), value_bytes=8)
            r = lab.client
            # A few other reads and writes, to show how each is counted.
            r.mget([lab.key(f"item:{k}") for k in (0, 1, 2)])
            r.hset(lab.key("user:1"), mapping={"name": "ada", "plan": "pro"})
            r.hget(lab.key("user:1"), "name")
            r.delete(lab.key("user:1"))
            time.sleep(0.5)
        finally:
            monitor.terminate()
            monitor.wait(timeout=10)
            lab.close(cleanup=True)
        raw.seek(0)
        captured = raw.read()
    lines = [line for line in captured.splitlines() if lab.prefix in line]
    OUT.write_text("OK\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} lines, cache-aside hits {hits} of 600, written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
