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
}
