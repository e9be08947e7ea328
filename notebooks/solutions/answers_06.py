"""Solution values for notebook 06's exercises (gathered by ``answers.py``)."""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object]]] = {
    # 06: with room for 3, the calls a(4th), a(7th) and a(10th) hit: 3 hits, 7 misses.
    # 6 is the count of a cache that never evicts (10 calls − 4 distinct arguments).
    ("06-apply-everyday-patterns", "exercise-lru-hits"): {
        "solution": {"answer": 3},
        "wrong": {"answer": 6},
    },
    # 06: hits at 4, 9 and 15; the item stored at 0 expires at 10 (expiry <= timer() is
    # expired), the one stored at 10 at 20, so 21 misses. 5 assumes reads extend the life.
    ("06-apply-everyday-patterns", "exercise-ttl-hits"): {
        "solution": {"answer": 3},
        "wrong": {"answer": 5},
    },
    # 06: Σ 1 − (1 − pᵢ)^12 over 300 keys, Zipf 1.0: about 10.05 distinct keys per page.
    # 12 assumes no key ever repeats within a page.
    ("06-apply-everyday-patterns", "exercise-distinct"): {
        "solution": {"answer": 10.0},
        "wrong": {"answer": 12},
    },
    # 06: the smallest K whose top-K share reaches 60 % of reads over 50,000 keys at Zipf 0.8
    # is 5,402. 30,000 is 60 % of the keys, ignoring the skew.
    ("06-apply-everyday-patterns", "exercise-top-k"): {
        "solution": {"answer": 5_400},
        "wrong": {"answer": 30_000},
    },
}
