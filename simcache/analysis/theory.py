"""Closed-form results the simulator is checked against (see DESIGN.md, Fidelity)."""

from __future__ import annotations

import math

import numpy as np

from ..protections import bloom


def _solve_increasing(f, target: float, lo: float = 1e-12, hi: float = 1.0) -> float:
    """x with f(x) = target for increasing f, by bisection on a log scale."""
    while f(hi) < target:
        hi *= 2.0
        if hi > 1e300:
            raise ValueError("no solution: target exceeds what the function reaches")
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1 + 1e-12:
            break
    return math.sqrt(lo * hi)


def che_lru_hit_ratio(p: np.ndarray, capacity: int) -> float:
    """LRU hit ratio under independent requests: Che's approximation (Che et al., 2002).

    Solve Σᵢ (1 − e^(−pᵢ·T)) = C for the characteristic time T; hit ratio is
    Σᵢ pᵢ(1 − e^(−pᵢ·T)).
    """
    p = np.asarray(p, dtype=float)
    if capacity >= len(p):
        return 1.0
    if capacity <= 0:
        return 0.0
    t = _solve_increasing(lambda x: float(np.sum(-np.expm1(-p * x))), capacity)
    return float(np.sum(p * -np.expm1(-p * t)))


def lru_capacity_for(p: np.ndarray, target_hit_ratio: float) -> int:
    """The smallest LRU capacity whose Che hit ratio reaches ``target_hit_ratio``."""
    p = np.asarray(p, dtype=float)
    if not 0.0 <= target_hit_ratio <= 1.0:
        raise ValueError(f"target_hit_ratio = {target_hit_ratio!r}: must be between 0 and 1")
    lo, hi = 0, len(p)  # che(lo) < target <= che(hi)
    if che_lru_hit_ratio(p, lo) >= target_hit_ratio:
        return 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if che_lru_hit_ratio(p, mid) >= target_hit_ratio:
            hi = mid
        else:
            lo = mid
    return hi


def fifo_random_hit_ratio(p: np.ndarray, capacity: int) -> float:
    """FIFO or RANDOM hit ratio under independent requests (Gelenbe 1973; Fricker et al. 2012).

    Solve Σᵢ pᵢT/(1 + pᵢT) = C; hit ratio is Σᵢ pᵢ · pᵢT/(1 + pᵢT).
    """
    p = np.asarray(p, dtype=float)
    if capacity >= len(p):
        return 1.0
    if capacity <= 0:
        return 0.0
    t = _solve_increasing(lambda x: float(np.sum(p * x / (1 + p * x))), capacity)
    return float(np.sum(p * (p * t / (1 + p * t))))


def static_lfu_hit_ratio(p: np.ndarray, capacity: int) -> float:
    """The best any policy can do under independent requests: keep the C most popular keys."""
    p = np.sort(np.asarray(p, dtype=float))[::-1]
    return float(p[:max(0, capacity)].sum())


def ttl_hit_ratio(p: np.ndarray, rate_rps: float, ttl_s: float) -> float:
    """Hit ratio of an unbounded cache whose entries live ``ttl_s`` after a miss.

    Key i is requested at Poisson rate λᵢ = pᵢ·rate. Each miss starts a window of length T
    in which every request hits, so a key's hit probability is λᵢT/(1 + λᵢT).
    """
    lam_t = np.asarray(p, dtype=float) * rate_rps * ttl_s
    return float(np.sum(np.asarray(p) * lam_t / (1 + lam_t)))


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival must wait in an M/M/c queue (Erlang C).

    ``offered_load`` is a = λ/μ in Erlangs; requires a < c.
    """
    c, a = servers, offered_load
    if a >= c:
        return 1.0
    term, total = 1.0, 1.0  # running a^k/k!, summed for k < c
    for k in range(1, c):
        term *= a / k
        total += term
    top = term * a / c * (c / (c - a))  # a^c/c! · c/(c−a)
    return top / (total + top)


def mmc_mean_wait_s(arrival_rps: float, service_s: float, servers: int) -> float:
    """Mean queueing delay Wq = C(c, a)/(cμ − λ) of an M/M/c queue, in seconds."""
    mu = 1.0 / service_s
    if arrival_rps >= servers * mu:
        return math.inf
    return erlang_c(servers, arrival_rps / mu) / (servers * mu - arrival_rps)


def ttl_staleness(p: np.ndarray, read_rps: float, write_rps: float,
                  ttl_s: float) -> tuple[float, float]:
    """Hit ratio and stale share of reads of a cache kept fresh by its TTL alone.

    Each key i is read at Poisson rate λᵢ = pᵢ·read_rps and written at μᵢ = pᵢ·write_rps;
    an entry loaded at a miss lives ``ttl_s`` (T) and writes do not touch it (write-around,
    or a cache nobody invalidates). Its hit probability is λᵢT/(1 + λᵢT); a hit s seconds
    into the entry's life is stale if a write has committed since (1 - e^(-μᵢs)), and hits
    fall uniformly over the life, so a hit is stale with probability
    1 - (1 - e^(-μᵢT))/(μᵢT). Returns (Σ pᵢ·hitᵢ, Σ pᵢ·hitᵢ·staleᵢ).
    """
    p = np.asarray(p, dtype=float)
    lam_t = p * read_rps * ttl_s
    mu_t = p * write_rps * ttl_s
    hit = lam_t / (1 + lam_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        stale = np.where(mu_t > 1e-12, 1 - (-np.expm1(-mu_t)) / mu_t, mu_t / 2)
    return float(np.sum(p * hit)), float(np.sum(p * hit * stale))


# -- stampedes, penetration, hot nodes ---------------------------------------------------

def stampede_reads_per_reload(rate_rps: float, reload_s: float, servers: int = 1,
                              coalesced: bool = False) -> float:
    """Database reads per expiry of a key read at Poisson rate ``rate_rps`` whose reload
    takes ``reload_s``: the first miss plus every read arriving during the reload
    (1 + λδ) without protection; with loads coalesced per app server (single-flight),
    one per server that sees a read meanwhile: 1 + (S − 1)(1 − e^(−λδ/S)); a lock or a
    lease across servers is ``servers = 1, coalesced = True``: exactly 1."""
    if not coalesced:
        return 1.0 + rate_rps * reload_s
    return 1.0 + (servers - 1) * -math.expm1(-rate_rps * reload_s / servers)


def xfetch_recomputations_per_expiry(beta: float) -> float:
    """XFetch's recomputations per expiry at high request rates: e^(1/β) (Vattani,
    Chierichetti and Lowenstein, "Optimal Probabilistic Cache Stampede Prevention",
    VLDB 2015)."""
    return math.exp(1.0 / beta)


#: A Bloom filter's false-positive rate (1 − e^(−k·n/m))^k (Bloom, CACM 1970).
bloom_false_positive_ratio = bloom.false_positive_ratio


def md1_wait_s(rate_rps: float, ops_per_s: float) -> float:
    """Mean queueing wait at one node serving ``ops_per_s`` lookups a second in constant
    time, with Poisson arrivals (M/D/1, Pollaczek-Khinchine): ρ / (2μ(1 − ρ))."""
    rho = rate_rps / ops_per_s
    if rho >= 1.0:
        return math.inf
    return rho / (2.0 * ops_per_s * (1.0 - rho))
