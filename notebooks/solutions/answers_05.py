"""Solution values for notebook 05's exercises (gathered by ``answers.py``)."""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object]]] = {
    # 05: 1 − (1 − e^(−0.4))/0.4 ≈ 0.176 of the hits. The tempting mistake is the chance
    # that a write lands at some point during the entry's 2 s life, 1 − e^(−0.4) ≈ 0.33.
    ("05-invalidate-correctly", "exercise-stale-share"): {
        "solution": {"answer": 0.176},
        "wrong": {"answer": 0.33},
    },
    # 05: with write_ratio 0.10 the stale share crosses 5 % of reads at a TTL of about
    # 0.17 s (theory; a sweep finds about 0.16 s). 0.29 s is section 1's answer for 5 %
    # writes, read off the notebook without doubling μ.
    ("05-invalidate-correctly", "exercise-longest-ttl"): {
        "solution": {"answer": 0.17},
        "wrong": {"answer": 0.29},
    },
    # 05: with the version check only the write gap is left: one 2 ms Redis round trip.
    # 20 ms is the database's mean query time, which the check takes out of the picture.
    ("05-invalidate-correctly", "exercise-version-bound"): {
        "solution": {"answer": 2.0},
        "wrong": {"answer": 20.0},
    },
    # 05: 800 entries − 500 reloaded keys = 300 orphans that nothing needs to evict.
    # The tempting answer is 0 ("LRU evicts them"): LRU evicts only when the tier is full.
    ("05-invalidate-correctly", "exercise-orphans"): {
        "solution": {"answer": 300},
        "wrong": {"answer": 0},
    },
}
