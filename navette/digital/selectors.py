"""Reads of the online media library: balances, costs, access, usage statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.crypto import salted_hmac

from navette.core.clock import local
from navette.core.links import link_for
from navette.digital import policies
from navette.digital.models import (
    CapPeriod,
    EntryKind,
    NetworkTokenPeriod,
    PatronTokenMonth,
    Resource,
    ServiceRegistration,
    TokenEntry,
    TokenSettings,
    UsageFact,
    VendorTitle,
)
from navette.network.models import Network
from navette.patrons.models import Patron, PatronBlock


def token_settings() -> TokenSettings:
    """The network's token rules, created with the defaults on first use."""
    network = Network.current()
    ts, _created = TokenSettings.objects.get_or_create(
        network=network,
        defaults={
            "monthly_allowance_halves": policies.DEFAULT_MONTHLY_ALLOWANCE,
            "cost_bands": policies.DEFAULT_COST_BANDS,
            "oldest_cost_halves": policies.DEFAULT_OLDEST_COST,
        },
    )
    return ts


def patron_allowance(patron: Patron, ts: TokenSettings) -> int:
    overrides = {
        c.category.code: c.allowance_halves for c in ts.categories.select_related("category")
    }
    return policies.monthly_allowance(ts.monthly_allowance_halves, overrides, patron.category.code)


def title_cost(title: VendorTitle, now: dt.datetime, ts: TokenSettings) -> int:
    return policies.token_cost(
        title.release_year, local(now).date(), ts.cost_bands, ts.oldest_cost_halves
    )


@dataclass(frozen=True)
class Balance:
    allowance: int
    spent: int

    @property
    def left(self) -> int:
        return max(0, self.allowance - self.spent)


def patron_balance(patron: Patron, now: dt.datetime, ts: TokenSettings | None = None) -> Balance:
    """The patron's allowance and spending for the month of ``now`` (Paris)."""
    ts = ts or token_settings()
    spent = (
        PatronTokenMonth.objects.filter(patron=patron, month=policies.month_key(now))
        .values_list("spent_halves", flat=True)
        .first()
    )
    return Balance(allowance=patron_allowance(patron, ts), spent=spent or 0)


def title_covering_spend(patron: Patron, title: VendorTitle, now: dt.datetime) -> TokenEntry | None:
    """The patron's unrefunded spend on ``title`` whose access window is still open at
    ``now`` (a relaunch it covers costs nothing), or None."""
    hours = title.resource.access_hours
    if not hours:
        return None
    return (
        TokenEntry.objects.filter(
            patron=patron,
            title=title,
            kind=EntryKind.SPEND,
            refund__isnull=True,
            at__gt=now - dt.timedelta(hours=hours),
            at__lte=now,
        )  # fmt: skip
        .order_by("-at", "-pk")
        .first()
    )


def title_paid_until(patron: Patron, title: VendorTitle, now: dt.datetime) -> dt.datetime | None:
    """Until when the patron may relaunch ``title`` at no cost, or None."""
    spend = title_covering_spend(patron, title, now)
    return None if spend is None else policies.access_until(spend.at, title.resource.access_hours)


def network_room(now: dt.datetime, ts: TokenSettings) -> tuple[str, int] | None:
    """The first network cap (``"month"`` or ``"year"``) and what is left under it, for the
    cap that leaves least; None when the network has no cap."""
    least: tuple[str, int] | None = None
    for usage in network_cap_usage(now, ts):
        if usage.cap and (least is None or usage.cap - usage.spent < least[1]):
            least = (usage.period, max(0, usage.cap - usage.spent))
    return least


def tokens_apply() -> bool:
    """Whether any active resource is paid in tokens (else no balance is shown anywhere)."""
    return Resource.objects.filter(is_active=True, uses_tokens=True).exists()


def patron_is_blocked(patron: Patron) -> bool:
    return PatronBlock.objects.filter(patron=patron, lifted_at__isnull=True).exists()


def patron_card_decision(patron: Patron, now: dt.datetime) -> policies.AccessDecision:
    """May this card sign in to vendors at all (not expired, not blocked)?"""
    today = local(now).date()
    return policies.access_decision(
        today=today, membership_expires_on=patron.membership_expires_on,
        blocked=patron_is_blocked(patron), category_code=patron.category.code,
        allowed_categories=(), age=patron.age_on(today), minimum_age=0,
    )  # fmt: skip


def patron_access_decision(
    patron: Patron, resource: Resource, now: dt.datetime
) -> policies.AccessDecision:
    today = local(now).date()
    return policies.access_decision(
        today=today, membership_expires_on=patron.membership_expires_on,
        blocked=patron_is_blocked(patron), category_code=patron.category.code,
        allowed_categories=[c.code for c in resource.allowed_categories.all()],
        age=patron.age_on(today), minimum_age=resource.minimum_age,
    )  # fmt: skip


def pairwise_id(patron_id: int, registration: ServiceRegistration) -> str:
    """The patron's opaque id for one vendor service: stable, and unlinkable across services."""
    return salted_hmac(
        "navette.digital.pairwise", f"{registration.pk}:{patron_id}", algorithm="sha256"
    ).hexdigest()[:40]


def active_resources() -> list[Resource]:
    return list(
        Resource.objects.filter(is_active=True)
        .select_related("vendor")
        .prefetch_related("allowed_categories")
        .annotate(title_count=Count("titles", filter=Q(titles__is_active=True)))
    )


@dataclass(frozen=True)
class OnlineAccess:
    title_id: int
    resource_name: str
    #: the resource's kind (``digital.messages.action_label`` words what a patron does)
    kind: str
    url: str


def online_access_for_records(record_ids: Iterable[int]) -> dict[int, OnlineAccess]:
    """For search results: how to open each online record (its kind and page URL).

    Records without a vendor title are absent from the result.
    """
    titles = VendorTitle.objects.filter(
        record_id__in=list(record_ids), is_active=True
    ).select_related("resource")
    return {
        t.record_id: OnlineAccess(
            title_id=t.pk,
            resource_name=t.resource.name,
            kind=t.resource.kind,
            url=link_for("digital_title", t.pk),
        )
        for t in titles
    }


def patron_entries(patron: Patron, limit: int = 20) -> list[TokenEntry]:
    return list(
        TokenEntry.objects.filter(patron=patron).select_related("title", "resource", "refund")[
            :limit
        ]
    )


@dataclass(frozen=True)
class CapUsage:
    period: str
    key: str
    spent: int
    cap: int

    @property
    def percent(self) -> int:
        return 0 if not self.cap else self.spent * 100 // self.cap


def network_cap_usage(now: dt.datetime, ts: TokenSettings | None = None) -> list[CapUsage]:
    ts = ts or token_settings()
    out = []
    for period, key, cap in (
        (CapPeriod.MONTH, policies.month_key(now), ts.monthly_cap_halves),
        (CapPeriod.YEAR, policies.year_key(now), ts.yearly_cap_halves),
    ):
        spent = (
            NetworkTokenPeriod.objects.filter(network_id=ts.network_id, period=period, key=key)
            .values_list("spent_halves", flat=True)
            .first()
        )
        out.append(CapUsage(str(period), key, spent or 0, cap))
    return out


@dataclass(frozen=True)
class UsageRow:
    month: str
    resource: str
    library: str
    launches: int
    tokens_halves: int


def usage_by_month_resource_library(*, month_from: str = "", month_to: str = "") -> list[UsageRow]:
    """Launches and tokens per month, resource and patron's home library.

    Built from ``UsageFact`` alone, so deleting or anonymising patrons leaves
    the counts unchanged.
    """
    qs = UsageFact.objects.all()
    if month_from:
        qs = qs.filter(month__gte=month_from)
    if month_to:
        qs = qs.filter(month__lte=month_to)
    rows = (
        qs.values("month", "resource__name", "library__name")
        .annotate(launches=Sum("launches"), tokens=Sum("tokens_halves"))
        .order_by("month", "resource__name", "library__name")
    )
    return [
        UsageRow(
            r["month"],
            r["resource__name"],
            r["library__name"] or "",
            r["launches"] or 0,
            r["tokens"] or 0,
        )  # fmt: skip
        for r in rows
    ]


def patron_digital_summary(patron: Patron, now: dt.datetime) -> dict[str, Any]:
    """Context for ``portal/digital/_account.html`` on the patron's account page:
    this month's balance (only when some resource is paid in tokens) and the last token
    movements."""
    return {
        "digital_balance": patron_balance(patron, now) if tokens_apply() else None,
        "digital_entries": patron_entries(patron, 5),
    }
