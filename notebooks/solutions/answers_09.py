"""Solution values for notebook 09's exercises (gathered by ``answers.py``)."""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object]]] = {
    # 09: a full cache evicts one entry per miss: 2,000 reads/s × (1 − 0.887) ≈ 226/s.
    # The tempting mistake multiplies by the hit ratio: 2,000 × 0.887 ≈ 1,774/s.
    ("09-monitor-your-cache", "exercise-evictions"): {
        "solution": {"answer": 226},
        "wrong": {"answer": 1_774},
    },
    # 09: smallest_capacity_for(SHOP, 0.90, "redis") is about 2,720 entries. The tempting
    # mistake is 90 % of the 5,000 keys; under Zipf popularity far fewer suffice.
    ("09-monitor-your-cache", "exercise-capacity"): {
        "solution": {"answer": 2_700},
        "wrong": {"answer": 4_500},
    },
    # 09: λ = 2,000 × (1 − 0.942) ≈ 115.5/s, μ = 400/s, ×5 slower for 20 s: backlog
    # (115.5 − 80) × 20 ≈ 710 queries, drained at 400 − 115.5 ≈ 284.5/s: about 2.5 s.
    # The tempting mistake drains at the full 400/s (1.8 s), forgetting new misses.
    ("09-monitor-your-cache", "exercise-drain"): {
        "solution": {"answer": 2.5},
        "wrong": {"answer": 1.8},
    },
    # 09: Δhits 36,000, Δmisses 9,000: 36,000 / 45,000 = 0.80. The tempting mistake is the
    # ratio of the raw counters, 48,246,377 / 50,785,495 ≈ 0.95 (the average since restart).
    ("09-monitor-your-cache", "exercise-info"): {
        "solution": {"answer": 0.80},
        "wrong": {"answer": 0.95},
    },
}
