"""Routing: which agreement(s) a request goes to, by category and county.

A route matches when one of its category patterns covers the request's category (exactly, by a
``branch.*`` prefix, or ``*``) and, if it names counties, the request's county is one of them.
Among matching agreements the most specific match wins (exact category over branch over ``*``,
county-restricted over province-wide), then the highest ``priority``; agreements still tied each
get a referral (a joint case). No match sends the request to the triage queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.agreements.model import Agreement, Route


def _category_specificity(pattern: str, category: str) -> int | None:
    if pattern == category:
        return 1000
    if pattern == "*":
        return 0
    if pattern.endswith(".*"):
        prefix = pattern[:-2]
        if category.startswith(prefix + "."):
            return prefix.count(".") + 1
    return None


def _route_score(route: Route, category: str, county: str) -> int | None:
    if route.counties and county not in route.counties:
        return None
    scores = [s for p in route.categories if (s := _category_specificity(p, category)) is not None]
    if not scores:
        return None
    return max(scores) * 2 + (1 if route.counties else 0)


def route(
    agreements: Iterable[Agreement], category: str, county: str, exclude: Iterable[str] = ()
) -> list[Agreement]:
    """The agreements this request goes to: empty means triage."""
    excluded = set(exclude)
    ranked: list[tuple[tuple[int, int], Agreement]] = []
    for agreement in agreements:
        if not agreement.enabled or agreement.id in excluded:
            continue
        scores = [
            s for r in agreement.routes if (s := _route_score(r, category, county)) is not None
        ]
        if scores:
            ranked.append(((max(scores), agreement.priority), agreement))
    if not ranked:
        return []
    best = max(score for score, _ in ranked)
    return sorted((a for score, a in ranked if score == best), key=lambda a: a.id)
