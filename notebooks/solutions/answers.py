"""Solution values for the course's self-checking exercises.

``tests/test_notebooks_meta.py`` runs every exercise cell (a code cell tagged ``exercise``)
three times: as committed (its answers are ``None``, so the check must ask to fill them
in), with the ``solution`` values (the check must pass) and with the ``wrong`` values (the
check must fail), and with each of the optional ``also_wrong`` values (each must fail too:
more mistakes worth catching, such as a number copied from earlier output). Keys are
(notebook file name without ``.ipynb``, exercise cell id); the inner dicts map each
``name = None  # your answer`` line of the cell to a value.

Solutions are the values a learner would type, written as literals on purpose: if the
simulator changes enough to move an expected value out of its tolerance, the test says so
and the worked solutions (the ``*-solutions.md`` files next to this one) need a look.
"""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object] | list[dict[str, object]]]] = {
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
    # 01: the smallest capacity that reaches 90 % at Zipf 0.9 is about 3,280 entries; the
    # check is one-sided (at least that, at most 10 % more). 2,650 is the Zipf 1.0 answer
    # printed in section 4; 3,000 (printed in section 6 at Zipf 1) reaches only about 88 %
    # at Zipf 0.9; 4,000 reaches 90 % but is far more than the smallest.
    ("01-measure-why-caching-pays", "exercise-capacity"): {
        "solution": {"answer": 3_300},
        "wrong": {"answer": 2_650},
        "also_wrong": [{"answer": 3_000}, {"answer": 4_000}],
    },
    # 01: 2,400 × (1 − 0.92) = 192; 2,208 counts the hits instead of the misses.
    ("01-measure-why-caching-pays", "exercise-db-reads"): {
        "solution": {"answer": 192},
        "wrong": {"answer": 2_208},
    },
    # 01: the hit ratio that keeps 8 connections of 10 ms at most 70 % busy at 4,000
    # reads/s: 1 − 0.7 × 8 / (4,000 × 0.010) = 0.86. The wrong ones are copied from
    # section 5's printout (0.44 at 1,000 reads/s, 0.72 at 2,000) or section 4's 90 % example.
    # The check is one-sided: 0.855, just under the target, leaves the pool over 70 % busy.
    ("01-measure-why-caching-pays", "exercise-target"): {
        "solution": {"answer": 0.86},
        "wrong": {"answer": 0.44},
        "also_wrong": [{"answer": 0.72}, {"answer": 0.9}, {"answer": 86}, {"answer": 0.855}],
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
    # 07: a bio of exactly hash-max-listpack-value bytes (64 by default) is not over the
    # limit: the hash stays compact, listpack (ziplist before Redis 7). hashtable is what
    # the demo above shows for a value one byte longer; raw is the JSON string's encoding.
    ("07-use-redis-data-structures", "exercise-encoding"): {
        "solution": {"answer": "listpack"},
        "wrong": {"answer": "hashtable"},
        "also_wrong": [{"answer": "raw"}],
    },
    # 07: alice, carol and bob; adding bob twice does not count him twice.
    ("07-use-redis-data-structures", "exercise-online"): {
        "solution": {"answer": 3},
        "wrong": {"answer": 5},
    },
    # 07: ines 2350, mira 2300, tom 1850, raj 1400: ines overtakes mira, who is second,
    # rank 1 from 0. 0 is mira's rank before the win; 2 is her place counted from 1 (and
    # the rank the demo above prints for ines).
    ("07-use-redis-data-structures", "exercise-rank"): {
        "solution": {"answer": 1},
        "wrong": {"answer": 0},
        "also_wrong": [{"answer": 2}],
    },
    # 07: a 1 ms round trip each: 3,000 one by one wait 3,000 ms; 3,000 / 200 = 15 batches
    # wait 15 ms; saved 2,985 ms. 3,000 forgets that the pipeline still waits once a batch.
    ("07-use-redis-data-structures", "exercise-round-trips"): {
        "solution": {"answer": 2_985},
        "wrong": {"answer": 3_000},
        "also_wrong": [{"answer": 15}, {"answer": 1_996}],  # the pipeline's wait; section 5's
    },
    # 07: without the re-check after acquiring, each of the 6 waiters loads in its turn:
    # 6 loads. 1 is the count with the re-check, shown in the table above the exercise.
    ("07-use-redis-data-structures", "exercise-lock"): {
        "solution": {"answer": 6},
        "wrong": {"answer": 1},
    },
    # 07: B3 missed the message (at-most-once delivery) and still has its local copy: it
    # serves the old price. The new price is the tempting answer.
    ("07-use-redis-data-structures", "exercise-pubsub"): {
        "solution": {"answer": "10.00"},
        "wrong": {"answer": "12.50"},
    },
    # 07: 2,396 of the 3,000 reads hit (seed 7); each hit now makes two successful
    # lookups (EXISTS, GET): 4,792. 2,396 is the count in the INFO table above.
    ("07-use-redis-data-structures", "exercise-misses"): {
        "solution": {"answer": 4_792},
        "wrong": {"answer": 2_396},
        "also_wrong": [{"answer": 604}, {"answer": 3_000}],  # the misses; the requests
    },
    # 07: only keys with an expiry may go (volatile-*), by recency (lru). allkeys-lru would
    # evict sessions too.
    ("07-use-redis-data-structures", "exercise-policy"): {
        "solution": {"answer": "volatile-lru"},
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
