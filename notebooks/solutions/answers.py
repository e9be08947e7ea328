"""Solution values for the course's self-checking exercises.

``tests/test_notebooks_meta.py`` runs every exercise cell (a code cell tagged ``exercise``)
three times: as committed (its answers are ``None``, so the check must ask to fill them
in), with the ``solution`` values (the check must pass) and with the ``wrong`` values (the
check must fail). Keys are (notebook file name without ``.ipynb``, exercise cell id); the
inner dicts map each ``name = None  # your answer`` line of the cell to a value.

Solutions are the values a learner would type, written as literals on purpose: if the
simulator changes enough to move an expected value out of its tolerance, the test says so
and the worked solutions (the ``*-solutions.md`` files next to this one) need a look.
"""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object]]] = {
    # 00: hits / reads = 1,800 / 2,000. The tempting mistake: a percentage.
    ("00-start-here", "exercise-hit-ratio"): {
        "solution": {"answer": 0.9},
        "wrong": {"answer": 90},
    },
    # 00: the default scenario with tiers.1.capacity = 4,000 (the wrong value is the
    # default scenario's own hit ratio, i.e. forgetting to change the capacity).
    ("00-start-here", "exercise-bigger-redis"): {
        "solution": {"answer": 0.862},
        "wrong": {"answer": 0.767},
    },
    # 01: smallest_capacity_for(CACHED at Zipf 0.9, 0.90, tier="redis") is about 3,290
    # entries; 2,650 is the Zipf 1.0 answer from section 4.
    ("01-measure-why-caching-pays", "exercise-capacity"): {
        "solution": {"answer": 3_300},
        "wrong": {"answer": 2_650},
    },
    # 01: 2,400 × (1 − 0.92) = 192; 2,208 counts the hits instead of the misses.
    ("01-measure-why-caching-pays", "exercise-db-reads"): {
        "solution": {"answer": 192},
        "wrong": {"answer": 2_208},
    },
    # 01: p99 is a database read, so it roughly doubles; "unchanged" is the trap.
    ("01-measure-why-caching-pays", "exercise-p99"): {
        "solution": {"answer": 2.0},
        "wrong": {"answer": 1.0},
    },
    # 07: a plain SET replaces the value and drops the expiry: TTL -1 ("no expiry").
    # The tempting mistake: the 30 s of the first SET.
    ("07-use-redis-data-structures", "exercise-ttl"): {
        "solution": {"answer": -1},
        "wrong": {"answer": 30},
    },
    # 07: a 100-byte value is over hash-max-listpack-value (64): a real hash table
    # (listpack is the compact encoding since Redis 7, ziplist before).
    ("07-use-redis-data-structures", "exercise-encoding"): {
        "solution": {"answer": "hashtable"},
        "wrong": {"answer": "listpack"},
    },
    # 07: alice, carol and bob; adding bob twice does not count him twice.
    ("07-use-redis-data-structures", "exercise-online"): {
        "solution": {"answer": 3},
        "wrong": {"answer": 5},
    },
    # 07: ines 2350, mira 2300, tom 1850, raj 1400: tom is third, rank 2 from 0.
    ("07-use-redis-data-structures", "exercise-rank"): {
        "solution": {"answer": 2},
        "wrong": {"answer": 3},
    },
    # 07: 2,500 commands / 500 per batch = 5 round trips (2,500 without a pipeline).
    ("07-use-redis-data-structures", "exercise-round-trips"): {
        "solution": {"answer": 5},
        "wrong": {"answer": 2_500},
    },
    # 07: with the lock one thread loads and 15 wait; 16 is the count without it.
    ("07-use-redis-data-structures", "exercise-lock"): {
        "solution": {"answer": 1},
        "wrong": {"answer": 16},
    },
    # 07: PUBLISH returns the number of subscribers that got the message.
    ("07-use-redis-data-structures", "exercise-pubsub"): {
        "solution": {"answer": 3},
        "wrong": {"answer": 1},
    },
    # 07: no eviction or expiry, so misses = distinct keys requested (604 of the 1,000
    # keys appear in the 3,000 requests with seed 7); 1,000 is the whole key space.
    ("07-use-redis-data-structures", "exercise-misses"): {
        "solution": {"answer": 604},
        "wrong": {"answer": 1_000},
    },
    # 07: under stable Zipf popularity LFU keeps the hot keys; it wins both on a real
    # server and in the simulator. allkeys-lru is the usual guess.
    ("07-use-redis-data-structures", "exercise-policy"): {
        "solution": {"answer": "allkeys-lfu"},
        "wrong": {"answer": "allkeys-lru"},
    },
}


def _gather() -> None:
    """Add the entries of ``answers_NN.py`` next to this file (one per later notebook)."""
    import importlib.util
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("answers_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        SOLUTIONS.update(module.SOLUTIONS)


_gather()
