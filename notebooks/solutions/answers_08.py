"""Solution values for notebook 08's exercises (gathered by ``answers.py``)."""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object]]] = {
    # 08: each of 6 servers sees 500 reads/s, 20 during a 40 ms reload, so all 6 load:
    # 1 + 5(1 − e^(−20)) ≈ 6. The tempting mistake is 1 + λδ = 121 (no coalescing at all);
    # 1 would be a lock or a lease across servers.
    ("08-survive-failure-modes", "exercise-single-flight"): {
        "solution": {"answer": 6},
        "wrong": {"answer": 121},
    },
    # 08: e^(1/β) <= 1.5 needs β >= 1/ln 1.5 ≈ 2.47. ln 1.5 ≈ 0.41 inverts the relation
    # (a smaller β means more recomputations, not fewer).
    ("08-survive-failure-modes", "exercise-xfetch-beta"): {
        "solution": {"answer": 2.47},
        "wrong": {"answer": 0.41},
    },
    # 08: λ = 2 reads/s per id, T = 2 s: 1/(1 + λT) = 0.2 still misses. 0.8 is the share
    # the negative cache answers.
    ("08-survive-failure-modes", "exercise-negative-share"): {
        "solution": {"answer": 0.2},
        "wrong": {"answer": 0.8},
    },
    # 08: with k = 7, 9 bits per key give 1.35 % and 10 bits 0.82 %: 10. The tempting 9
    # rounds down the 9.6 bits per key that 1 % needs with the best k.
    ("08-survive-failure-modes", "exercise-bloom-bits"): {
        "solution": {"answer": 10},
        "wrong": {"answer": 9},
    },
    # 08: key 0 gets 13.4 % of 8,000 reads/s, 267/s per server; each server misses it
    # λ/(1 + λT) ≈ 0.996 times a second (the 100-entry local tier never evicts it before its
    # TTL): about 4/s in all. 1,069/s is key 0's whole read rate (no local tier); 1 forgets
    # that every server has its own copy.
    ("08-survive-failure-modes", "exercise-local-lookups"): {
        "solution": {"answer": 4},
        "wrong": {"answer": 1},
    },
}
