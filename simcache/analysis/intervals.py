"""Confidence intervals for the mean of a few replications (Student t, without scipy)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz's method).

    Press et al., *Numerical Recipes*, 3rd ed., section 6.4.
    """
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(log_front)
    # The continued fraction converges fast only on its own side of the mean a/(a+b).
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (``df`` > 0).

    The CDF is the regularised incomplete beta function; it is inverted by bisection on a
    bracket that always holds the answer, to about 1e-12 relative. ``t_quantile(0.975, 9)``
    is 2.262…, the factor of a 95 % interval from 10 values.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p = {p!r}: a probability strictly between 0 and 1")
    if not df > 0:
        raise ValueError(f"df = {df!r}: degrees of freedom must be > 0")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return 0.5 * (lo + hi)


def mean_interval(values: Sequence[float],
                  confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the mean of ``values`` and its Student-t confidence interval.

    NaN values are left out. With fewer than two values there is no spread to measure, so
    the bounds are NaN (the mean of none is NaN too). The interval assumes independent
    values from one distribution, as replications with independent seeds are.
    """
    xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = math.fsum(xs) / n
    if n < 2:
        return mean, math.nan, math.nan
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def paired_interval(a: Sequence[float], b: Sequence[float],
                    confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of the differences ``a[i] - b[i]``: a paired Student-t interval.

    For two designs run with common random numbers (replication i of both with the same
    seed, as :func:`simcache.sweep` does), pair the runs by replication: the luck the two
    runs share cancels in each difference, so this interval is usually much narrower than
    the two designs' own intervals, and it answers the question directly: the difference is
    shown (at ``confidence``) when the interval excludes 0. Pairs with a NaN are left out.
    """
    if len(a) != len(b):
        raise ValueError(f"paired_interval: {len(a)} and {len(b)} values; pair them one to one")
    return mean_interval([float(x) - float(y) for x, y in zip(a, b, strict=True)], confidence)
