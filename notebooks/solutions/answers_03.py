"""Solution values for notebook 03's exercises (gathered by ``answers.py``)."""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object]]] = {
    # 03: cache-aside through two tiers: 0.05 + 0.5 (lookups) + 8 (query) + 0.05 + 0.5
    # (write-backs) = 9.1 ms. 8.55 forgets the write-backs (it is read-through's miss).
    ("03-choose-a-read-strategy", "exercise-miss-latency"): {
        "solution": {"answer": 9.1},
        "wrong": {"answer": 8.55},
    },
    # 03: read-through loads each key once: DB reads = distinct keys among the first 3,000
    # reads (772 with seed 3; the expectation sum(1 - (1 - p)**3000) is about 826).
    # 1,073 is what cache-aside sends for the same cold start.
    ("03-choose-a-read-strategy", "exercise-cold-burst"): {
        "solution": {"answer": 772},
        "wrong": {"answer": 1_073},
    },
    # 03: 10 s TTL, refresh_fraction 0.3: 1,047 refreshes of 1,342 DB reads = 0.78.
    # 0.044 divides the refreshes by all reads instead of by the database's reads.
    ("03-choose-a-read-strategy", "exercise-refresh-share"): {
        "solution": {"answer": 0.78},
        "wrong": {"answer": 0.044},
    },
}
