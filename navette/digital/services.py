"""Writes of the online media library: spend and refund tokens, start a title.

Counters move only through conditional UPDATEs (``spent + cost <= allowance``
in the WHERE clause), in one fixed order: the patron's month, then the
network's month, then the network's year. A refusal at any step raises and
rolls the whole transaction back.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial
from urllib.parse import quote

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.clock import local
from navette.core.errors import ValidationFailed
from navette.core.models import Role, User
from navette.digital import policies
from navette.digital.cas import cas_ticket_issue
from navette.digital.errors import (
    AccessRefused,
    AlreadyRefunded,
    InsufficientTokens,
    NetworkCapReached,
    NotRefundable,
)
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
from navette.digital.selectors import (
    patron_access_decision,
    patron_allowance,
    patron_card_decision,
    title_cost,
    token_settings,
)
from navette.patrons.models import Patron

log = logging.getLogger(__name__)


def _ensure_patron_month(patron_id: int, month: str) -> None:
    PatronTokenMonth.objects.bulk_create(
        [PatronTokenMonth(patron_id=patron_id, month=month)], ignore_conflicts=True
    )


def _ensure_network_period(network_id: int, period: str, key: str) -> None:
    NetworkTokenPeriod.objects.bulk_create(
        [NetworkTokenPeriod(network_id=network_id, period=period, key=key)], ignore_conflicts=True
    )


def _first_of_next_month(now: dt.datetime) -> dt.date:
    day = local(now).date()
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _alert_admins(*, period: str, key: str, spent: int, cap: int, percent: int) -> None:
    recipients = list(
        User.objects.filter(role=Role.NETWORK_ADMIN, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        log.warning("token cap alert %s %s: no network administrator has an e-mail", period, key)
        return
    label = _("mensuel") if period == CapPeriod.MONTH else _("annuel")
    subject = _("Médiathèque en ligne : %(percent)s %% du plafond %(label)s de jetons atteint (%(key)s)") % {
        "percent": percent, "label": label, "key": key,
    }  # fmt: skip
    body = _(
        "Le réseau a dépensé %(spent)s jetons sur un plafond %(label)s de %(cap)s (%(key)s).\n"
        "À 100 %% du plafond, plus aucun lecteur ne pourra lancer de titre payant "
        "jusqu'à la période suivante."
    ) % {
        "spent": policies.format_tokens(spent), "cap": policies.format_tokens(cap),
        "label": label, "key": key,
    }  # fmt: skip
    send_mail(subject, body, django_settings.DEFAULT_FROM_EMAIL, recipients)


def _spend_network(network_id: int, cost: int, now: dt.datetime, ts: TokenSettings) -> None:
    """Add ``cost`` to the network's month then year; refuse beyond a cap; alert once."""
    for period, key, cap in (
        (CapPeriod.MONTH, policies.month_key(now), ts.monthly_cap_halves),
        (CapPeriod.YEAR, policies.year_key(now), ts.yearly_cap_halves),
    ):
        _ensure_network_period(network_id, period, key)
        rows = NetworkTokenPeriod.objects.filter(network_id=network_id, period=period, key=key)
        limited = rows.filter(spent_halves__lte=cap - cost) if cap else rows
        if not limited.update(spent_halves=F("spent_halves") + cost):
            raise NetworkCapReached(
                _("La médiathèque en ligne a atteint son plafond %(label)s de jetons : aucun titre "
                  "payant ne peut être lancé avant %(when)s.")
                % {
                    "label": _("mensuel") if period == CapPeriod.MONTH else _("annuel"),
                    "when": _("le 1er du mois prochain") if period == CapPeriod.MONTH
                    else _("le 1er janvier"),
                },
                period=str(period),
            )  # fmt: skip
        if not cap:
            continue
        threshold = policies.alert_threshold(cap, ts.alert_percent)
        if rows.filter(alerted_at__isnull=True, spent_halves__gte=threshold).update(alerted_at=now):
            spent = rows.values_list("spent_halves", flat=True).get()
            transaction.on_commit(
                partial(
                    _alert_admins, period=period, key=key, spent=spent, cap=cap,
                    percent=ts.alert_percent,
                )
            )  # fmt: skip


def tokens_spend(
    *, patron: Patron, title: VendorTitle, actor: Actor, now: dt.datetime
) -> TokenEntry:
    """Debit the title's cost from the patron's month and the network's caps.

    Raises ``AccessRefused`` (expired or blocked card, category, age),
    ``InsufficientTokens`` or ``NetworkCapReached``; on a refusal nothing changes.
    Side effect: an e-mail to network administrators, after commit, the first
    time a cap passes its alert threshold.
    """
    resource = title.resource
    decision = patron_access_decision(patron, resource, now)
    if not decision.allowed:
        raise AccessRefused(decision.reason, reason=decision.code)
    ts = token_settings()
    cost = title_cost(title, now, ts)
    allowance = patron_allowance(patron, ts)
    month = policies.month_key(now)
    with transaction.atomic():
        _ensure_patron_month(patron.pk, month)
        spent_ok = PatronTokenMonth.objects.filter(
            patron_id=patron.pk, month=month, spent_halves__lte=allowance - cost
        ).update(spent_halves=F("spent_halves") + cost)
        if not spent_ok:
            spent = (
                PatronTokenMonth.objects.filter(patron_id=patron.pk, month=month)
                .values_list("spent_halves", flat=True)
                .get()
            )
            left = max(0, allowance - spent)
            raise InsufficientTokens(
                _("Il vous reste %(left)s jeton(s) ce mois-ci et « %(title)s » en coûte %(cost)s : "
                  "vous ne pouvez pas le lancer. Vos %(allowance)s jetons reviennent le %(renew)s.")
                % {
                    "left": policies.format_tokens(left), "title": title.title,
                    "cost": policies.format_tokens(cost),
                    "allowance": policies.format_tokens(allowance),
                    "renew": _first_of_next_month(now).strftime("%d/%m/%Y"),
                },
                left=left, cost=cost,
            )  # fmt: skip
        _spend_network(ts.network_id, cost, now, ts)
        entry = TokenEntry.objects.create(
            kind=EntryKind.SPEND, at=now, month=month, patron=patron, title=title,
            resource=resource, amount_halves=cost, actor_label=actor.label[:150],
            library_id=patron.home_library_id, category_code=patron.category.code,
        )  # fmt: skip
        _usage(patron=patron, resource=resource, title=title, now=now, tokens=cost)
        audit_record(
            actor=actor, action="tokens_spend", now=now, obj=entry,
            data={"title": title.pk, "cost_halves": cost, "month": month},
        )  # fmt: skip
    return entry


def tokens_refund(*, entry: TokenEntry, reason: str, actor: Actor, now: dt.datetime) -> TokenEntry:
    """Give back a spend to the patron's month and to the network's counters.

    Raises ``ValidationFailed`` without a reason, ``NotRefundable`` for a refund
    line, ``AlreadyRefunded`` when the spend was already refunded.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("Indiquez le motif du remboursement."), field="reason")
    if entry.kind != EntryKind.SPEND:
        raise NotRefundable(_("Seul un débit peut être remboursé."))
    amount = entry.amount_halves
    with transaction.atomic():
        try:
            with transaction.atomic():
                refund = TokenEntry.objects.create(
                    kind=EntryKind.REFUND, at=now, month=entry.month, patron_id=entry.patron_id,
                    title_id=entry.title_id, resource_id=entry.resource_id, amount_halves=-amount,
                    library_id=entry.library_id, category_code=entry.category_code,
                    refund_of=entry, reason=reason[:300], actor_label=actor.label[:150],
                )  # fmt: skip
        except IntegrityError:
            raise AlreadyRefunded(_("Ce débit a déjà été remboursé."))
        if entry.patron_id is not None:
            PatronTokenMonth.objects.filter(
                patron_id=entry.patron_id, month=entry.month, spent_halves__gte=amount
            ).update(spent_halves=F("spent_halves") - amount)
        network_id = token_settings().network_id
        for period, key in ((CapPeriod.MONTH, entry.month), (CapPeriod.YEAR, entry.month[:4])):
            NetworkTokenPeriod.objects.filter(
                network_id=network_id, period=period, key=key, spent_halves__gte=amount
            ).update(spent_halves=F("spent_halves") - amount)
        UsageFact.objects.create(
            at=now, month=entry.month, resource_id=entry.resource_id, title_id=entry.title_id,
            library_id=entry.library_id, category_code=entry.category_code, launches=0,
            tokens_halves=-amount,
        )  # fmt: skip
        audit_record(
            actor=actor, action="tokens_refund", now=now, obj=refund,
            data={"refund_of": entry.pk, "amount_halves": amount, "reason": reason[:300]},
        )  # fmt: skip
    return refund


def _usage(*, patron: Patron, resource: Resource, title: VendorTitle | None, now: dt.datetime,
           tokens: int) -> None:  # fmt: skip
    UsageFact.objects.create(
        at=now, month=policies.month_key(now), resource=resource, title=title,
        library_id=patron.home_library_id, category_code=patron.category.code,
        age_band=patron.age_band(local(now).date()), launches=1, tokens_halves=tokens,
    )  # fmt: skip


@dataclass(frozen=True)
class Launch:
    url: str
    entry: TokenEntry | None


def _access_url(resource: Resource, title: VendorTitle | None) -> str:
    ref = quote(title.vendor_ref, safe="") if title else ""
    return resource.access_url.replace("{ref}", ref)


def _with_ticket(url: str, ticket: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}ticket={ticket}"


def title_start(*, patron: Patron, title: VendorTitle, actor: Actor, now: dt.datetime) -> Launch:
    """Start a title: spend its tokens (if the resource is paid in tokens), record
    the launch, and return the vendor URL to send the patron to, carrying a CAS
    service ticket when the resource is registered for single sign-on.

    Raises what ``tokens_spend`` raises, or ``AccessRefused``.
    """
    resource = title.resource
    with transaction.atomic():
        entry = None
        if resource.uses_tokens:
            entry = tokens_spend(patron=patron, title=title, actor=actor, now=now)
        else:
            decision = patron_access_decision(patron, resource, now)
            if not decision.allowed:
                raise AccessRefused(decision.reason, reason=decision.code)
            _usage(patron=patron, resource=resource, title=title, now=now, tokens=0)
        url = _access_url(resource, title)
        if resource.cas_service is not None:
            ticket = cas_ticket_issue(
                registration=resource.cas_service, service=url, patron=patron, now=now
            )
            url = _with_ticket(url, ticket.ticket)
    return Launch(url=url, entry=entry)


def resource_open(*, patron: Patron, resource: Resource, actor: Actor, now: dt.datetime) -> Launch:
    """Open a resource's home page on the vendor's site (no token spent)."""
    decision = patron_access_decision(patron, resource, now)
    if not decision.allowed:
        raise AccessRefused(decision.reason, reason=decision.code)
    with transaction.atomic():
        _usage(patron=patron, resource=resource, title=None, now=now, tokens=0)
        url = _access_url(resource, None)
        if resource.cas_service is not None:
            ticket = cas_ticket_issue(
                registration=resource.cas_service, service=url, patron=patron, now=now
            )
            url = _with_ticket(url, ticket.ticket)
    return Launch(url=url, entry=None)


def cas_login_grant(
    *, registration: ServiceRegistration, service: str, patron: Patron, now: dt.datetime
) -> str:
    """A vendor sent the patron to /cas/login: check the card, issue a ticket,
    count the launch for the registration's resource, and return the URL to
    send the patron back to (``service`` with ``ticket``).

    Raises ``AccessRefused`` for an expired or blocked card.
    """
    decision = patron_card_decision(patron, now)
    if not decision.allowed:
        raise AccessRefused(decision.reason, reason=decision.code)
    with transaction.atomic():
        ticket = cas_ticket_issue(
            registration=registration, service=service, patron=patron, now=now
        )
        resource = registration.resources.filter(is_active=True).first()
        if resource is not None:
            _usage(patron=patron, resource=resource, title=None, now=now, tokens=0)
    return _with_ticket(service, ticket.ticket)
