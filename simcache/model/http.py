"""What an HTTP cache may do with a content class's responses: RFC 9111, read once per class.

Browser and CDN tiers look a decision up per request, so it is worked out once per
content class and kind of cache (shared or private) from the class's ``Cache-Control``:

- stored or not: ``no-store`` is stored nowhere (RFC 9111 §5.2.2.5); ``private`` never in
  a shared cache (§5.2.2.7); any other 200 response may be stored (§3);
- freshness lifetime (§4.2.1): ``s-maxage`` in a shared cache, else ``max-age``, else 0
  (no ``Expires`` and no heuristics: the classes give explicit lifetimes);
- every reuse revalidated: ``no-cache`` (§5.2.2.4), or a lifetime of 0 (stale at once,
  §4.2);
- stale reuse forbidden (§4.2.4): ``must-revalidate`` (§5.2.2.2), ``no-cache``, and in a
  shared cache ``proxy-revalidate`` (§5.2.2.8) or any ``s-maxage`` (which carries
  proxy-revalidate's meaning there, §5.2.2.10); they switch ``stale-while-revalidate``
  off;
- extensions: ``immutable`` (RFC 8246: not revalidated while fresh, even on a reload) and
  ``stale-while-revalidate=N`` (RFC 5861 §3: served up to N s past freshness while one
  revalidation runs in the background).

The simulator's core may not import hishel (importing it loads redis-py), so these few
rules are written here, and ``tests/test_http_rules.py`` checks that they agree with
hishel's RFC 9111 state machine (:func:`simcache.http_lab.rules.decide`) on a table of
header cases and on every content class the course uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Decision:
    """What one kind of cache (shared or private) does with a content class."""

    stored: bool            # may it keep the response at all?
    fresh_s: float          # seconds a stored copy is served without asking the origin
    revalidate_always: bool  # every reuse needs a conditional request (no-cache)
    immutable: bool         # never revalidated while fresh, even on a reload (RFC 8246)
    stale_while_revalidate_s: float  # served stale this long while one refresh runs


NOT_STORED = Decision(False, 0.0, False, False, 0.0)


def directives(cache_control: str) -> dict[str, str]:
    """The directives of a ``Cache-Control`` value: lower-case names to their arguments
    ("" for none; a quoted argument unquoted), the first of a repeated name kept."""
    out: dict[str, str] = {}
    for part in cache_control.split(","):
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        if name and name not in out:
            out[name] = value.strip().strip('"')
    return out


def seconds(value: str | None) -> float | None:
    """A delta-seconds argument (RFC 9111 §1.2.2), None when absent or not a number."""
    if value is None or not value.isdigit():
        return None
    return float(value)


def stale_while_revalidate_s(cache_control: str) -> float:
    """RFC 5861 §3: how long past freshness a stale copy may be served while it is
    revalidated (0 when the directive is absent)."""
    return seconds(directives(cache_control).get("stale-while-revalidate")) or 0.0


def no_stale_reuse(named: dict[str, str], shared: bool) -> bool:
    """Whether these directives forbid serving a stale copy (RFC 9111 §4.2.4), and so
    ``stale-while-revalidate``."""
    return ("must-revalidate" in named or "no-cache" in named
            or (shared and ("proxy-revalidate" in named or "s-maxage" in named)))


@cache
def decide(cache_control: str, shared: bool) -> Decision:
    """The decision of a shared (CDN, proxy) or private (browser) cache for a 200 response
    carrying ``cache_control`` and an ETag."""
    d = directives(cache_control)
    if "no-store" in d or (shared and "private" in d):
        return NOT_STORED
    lifetime = seconds(d.get("s-maxage")) if shared else None
    if lifetime is None:
        lifetime = seconds(d.get("max-age"))
    fresh_s = lifetime or 0.0
    no_stale = no_stale_reuse(d, shared)
    return Decision(stored=True, fresh_s=fresh_s,
                    revalidate_always="no-cache" in d or fresh_s == 0,
                    immutable="immutable" in d,
                    stale_while_revalidate_s=0.0 if no_stale
                    else stale_while_revalidate_s(cache_control))
