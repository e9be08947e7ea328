"""Solution values for notebook 04's exercises (gathered by ``answers.py``)."""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object]]] = {
    # 04: flushes at 24 s and 26 s; the crash at 25.5 s finds 1.5 s of writes waiting:
    # 200/s × 1.5 s = 300 (the run loses about 290). 400 is a whole flush interval.
    ("04-choose-a-write-strategy", "exercise-lost-writes"): {
        "solution": {"answer": 300},
        "wrong": {"answer": 400},
    },
    # 04: Zipf 0.6, flush every 1 s: about 12 % of writes coalesce away (the formula gives
    # 12.1 %). 0.41 is the Zipf 1.0 saving shown in section 3.
    ("04-choose-a-write-strategy", "exercise-coalescing"): {
        "solution": {"answer": 0.12},
        "wrong": {"answer": 0.41},
    },
    # 04: write-through waits for the 8 ms query (no queue at this load) and the 2 ms set:
    # 10 ms. 8 forgets the cache in the write path.
    ("04-choose-a-write-strategy", "exercise-write-p50"): {
        "solution": {"answer": 10.0},
        "wrong": {"answer": 8.0},
    },
}
