"""Pure rules of the online media library: months, costs, allowances, access.

No I/O: every function takes plain values and returns a value or a decision.
Amounts are integers counting half-tokens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from navette.core.clock import local

#: Default cost rule: [max years since release, cost in half-tokens].
#: Less than 1 year: 2 tokens; up to 3 years: 1.5; up to 10 years: 1; older: 0.5.
DEFAULT_COST_BANDS: list[list[int]] = [[0, 4], [3, 3], [10, 2]]
DEFAULT_OLDEST_COST = 1
DEFAULT_MONTHLY_ALLOWANCE = 8


def month_key(now: dt.datetime) -> str:
    """The token month of an instant: ``YYYY-MM`` in Paris time (renews on the 1st)."""
    day = local(now).date()
    return f"{day.year:04d}-{day.month:02d}"


def year_key(now: dt.datetime) -> str:
    return f"{local(now).year:04d}"


def token_cost(
    release_year: int | None,
    today: dt.date,
    bands: Sequence[Sequence[int]] | None = None,
    oldest: int = DEFAULT_OLDEST_COST,
) -> int:
    """The cost in half-tokens of a title released in ``release_year``.

    ``bands`` is ``[[max_years, cost], ...]`` sorted by ``max_years``: the first band
    whose ``max_years`` is >= the years since release applies (a title of unknown
    year is treated as new, the dearest band). Older than every band: ``oldest``.
    """
    bands = DEFAULT_COST_BANDS if not bands else bands
    if release_year is None:
        return int(bands[0][1])
    years = max(0, today.year - release_year)
    for max_years, cost in sorted(bands, key=lambda b: b[0]):
        if years <= max_years:
            return int(cost)
    return int(oldest)


def monthly_allowance(default: int, overrides: dict[str, int], category_code: str) -> int:
    """The category's allowance if configured, else the network's."""
    return overrides.get(category_code, default)


def alert_threshold(cap: int, percent: int) -> int:
    """The amount at which the administrators are alerted (rounded up)."""
    return -(-cap * percent // 100)


@dataclass(frozen=True)
class AccessDecision:
    """``allowed``, or a refusal's ``code`` (``card_expired``, ``card_blocked``,
    ``category_not_allowed``, ``too_young``) with its ``data`` (``expired_on``,
    ``minimum_age``): worded by ``digital.messages``."""

    allowed: bool
    code: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


def access_decision(
    *,
    today: dt.date,
    membership_expires_on: dt.date,
    blocked: bool,
    category_code: str,
    allowed_categories: Iterable[str],
    age: int | None,
    minimum_age: int,
) -> AccessDecision:
    """May this card open the resource? Expired or blocked cards never may."""
    if membership_expires_on < today:
        return AccessDecision(False, "card_expired", {"expired_on": membership_expires_on})
    if blocked:
        return AccessDecision(False, "card_blocked")
    categories = set(allowed_categories)
    if categories and category_code not in categories:
        return AccessDecision(False, "category_not_allowed")
    if minimum_age and (age is None or age < minimum_age):
        return AccessDecision(False, "too_young", {"minimum_age": minimum_age})
    return AccessDecision(True)


REF = "{ref}"


def title_refs_in_url(template: str, url: str) -> list[str]:
    """The vendor title references that ``url`` names where ``template`` (a
    resource's access URL) puts ``{ref}`` in its query string.

    Returns ``[]`` when the template names no title, or ``url`` is another
    address (scheme, host and path compared as CAS does) or does not carry the
    parameter; one reference per occurrence of the parameter otherwise, so that
    a caller can refuse a URL naming two titles (a vendor may read either one).
    """
    if REF not in template:
        return []
    t, u = urlsplit(template), urlsplit(url)
    if (t.scheme.lower(), t.netloc.lower(), t.path or "/") != (
        u.scheme.lower(), u.netloc.lower(), u.path or "/"
    ):  # fmt: skip
        return []
    found: list[str] = []
    for key, value in parse_qsl(t.query, keep_blank_values=True):
        if REF not in value:
            continue
        prefix, _sep, suffix = value.partition(REF)
        for got_key, got in parse_qsl(u.query, keep_blank_values=True):
            if got_key != key:
                continue
            if got.startswith(prefix) and got.endswith(suffix) and len(got) > len(prefix + suffix):
                found.append(got[len(prefix) : len(got) - len(suffix)])
            else:
                found.append(got)  # the parameter is there but malformed: still a title named
    return found


def access_until(paid_at: dt.datetime, access_hours: int) -> dt.datetime:
    """When a title paid at ``paid_at`` must be paid again."""
    return paid_at + dt.timedelta(hours=access_hours)
