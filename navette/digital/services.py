"""Writes of the online media library: spend and refund tokens, and every way into a
vendor (portal launch, CAS login, OpenID Connect authorization), decided in one place
(``access_decide``) and charged when the vendor confirms (``access_complete``).

A title is charged when the vendor validates the ticket or code, not when it is issued:
a launch the vendor never completes (unreachable site, closed tab) costs nothing and
leaves nothing to refund, and no job has to run for the patron to be treated fairly.
A relaunch of a title within its access window costs nothing.

Counters move only through conditional UPDATEs (``spent + cost <= allowance``
in the WHERE clause), in one fixed order: the patron's month, then the
network's month, then the network's year. A refusal at any step raises and
rolls the whole transaction back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation

from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.clock import local
from navette.core.errors import ValidationFailed
from navette.core.mail import build_mail
from navette.core.models import Role, User
from navette.digital import policies
from navette.digital.cas import (
    Validation,
    cas_ticket_consume,
    cas_ticket_issue,
    patron_attributes,
)
from navette.digital.errors import (
    AccessRefused,
    AlreadyRefunded,
    InsufficientTokens,
    NetworkCapReached,
    NotRefundable,
)
from navette.digital.models import (
    CapPeriod,
    CasTicket,
    EntryKind,
    NetworkTokenPeriod,
    OidcCode,
    PatronTokenMonth,
    Resource,
    ServiceProtocol,
    ServiceRegistration,
    TokenEntry,
    TokenSettings,
    UsageFact,
    VendorTitle,
)
from navette.digital.oidc import (
    AuthorizeRequest,
    OidcError,
    oidc_code_issue,
    oidc_code_redeem,
    oidc_tokens_issue,
)
from navette.digital.selectors import (
    network_room,
    pairwise_id,
    patron_access_decision,
    patron_allowance,
    patron_balance,
    patron_card_decision,
    title_cost,
    title_covering_spend,
    title_paid_until,
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
    # administrators have no language of their own: the site's (build_mail's default)
    with translation.override(django_settings.LANGUAGE_CODE):
        context = {
            "monthly": period == CapPeriod.MONTH, "key": key, "percent": percent,
            "spent_halves": spent, "cap_halves": cap,
        }  # fmt: skip
        build_mail("digital/token_cap_alert", context, None, to=recipients).send()


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
            raise _cap_reached(period)
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


def _insufficient(*, left: int, cost: int, allowance: int, title: VendorTitle,
                  now: dt.datetime) -> InsufficientTokens:  # fmt: skip
    return InsufficientTokens(left=left, cost=cost, allowance=allowance, title=title.title,
                              renews_on=_first_of_next_month(now))  # fmt: skip


def _cap_reached(period: str) -> NetworkCapReached:
    return NetworkCapReached(period=str(period))


def _title_unavailable() -> AccessRefused:
    return AccessRefused(reason="title_unavailable")


def _refuse_unless_allowed(patron: Patron, resource: Resource, now: dt.datetime) -> None:
    decision = patron_access_decision(patron, resource, now)
    if not decision.allowed:
        raise AccessRefused(reason=decision.code, **decision.data)


def _charge(
    *, patron: Patron, title: VendorTitle, actor: Actor, now: dt.datetime
) -> tuple[TokenEntry, bool]:
    """Pay for ``title`` now: ``(spend, True)`` when charged, ``(covering spend, False)``
    when a spend within the title's access window already paid for it. Either way the
    launch is counted. Raises like ``tokens_spend``."""
    resource = title.resource
    _refuse_unless_allowed(patron, resource, now)
    if not (title.is_active and resource.is_active):
        raise _title_unavailable()
    ts = token_settings()
    cost = title_cost(title, now, ts)
    allowance = patron_allowance(patron, ts)
    month = policies.month_key(now)
    with transaction.atomic():
        _ensure_patron_month(patron.pk, month)
        # The patron's month row is the lock under which a paid window is looked for: two
        # validations of one title at once cannot both find it unpaid and both charge.
        list(
            PatronTokenMonth.objects.select_for_update()
            .filter(patron_id=patron.pk, month=month)
            .values_list("pk", flat=True)
        )
        covering = title_covering_spend(patron, title, now)
        if covering is not None:
            _usage(patron=patron, resource=resource, title=title, now=now, tokens=0)
            return covering, False
        spent_ok = PatronTokenMonth.objects.filter(
            patron_id=patron.pk, month=month, spent_halves__lte=allowance - cost
        ).update(spent_halves=F("spent_halves") + cost)
        if not spent_ok:
            spent = (
                PatronTokenMonth.objects.filter(patron_id=patron.pk, month=month)
                .values_list("spent_halves", flat=True)
                .get()
            )
            raise _insufficient(
                left=max(0, allowance - spent), cost=cost, allowance=allowance, title=title,
                now=now,
            )  # fmt: skip
        _spend_network(ts.network_id, cost, now, ts)
        entry = TokenEntry.objects.create(
            kind=EntryKind.SPEND, at=now, month=month, patron=patron, title=title,
            resource=resource, amount_halves=cost, actor_label=actor.label[:150],
            library_id=patron.home_library_id, category_code=patron.category.code,
        )  # fmt: skip
        _usage(patron=patron, resource=resource, title=title, now=now, tokens=cost)
        audit_record(
            actor=actor, action=AuditAction.TOKEN_SPEND, now=now, obj=entry,
            data={"title": title.pk, "cost_halves": cost, "month": month},
        )  # fmt: skip
    return entry, True


def tokens_spend(
    *, patron: Patron, title: VendorTitle, actor: Actor, now: dt.datetime
) -> TokenEntry:
    """Pay for ``title``: debit its cost from the patron's month and the network's caps,
    unless a spend on the same title within its access window (``Resource.access_hours``)
    already paid for it. Returns the spend that pays for this launch (a new one, or the
    earlier one); either way the launch is counted in the usage statistics.

    Raises ``AccessRefused`` (expired or blocked card, category, age, title withdrawn),
    ``InsufficientTokens`` or ``NetworkCapReached``; on a refusal nothing changes.
    Side effect: an e-mail to network administrators, after commit, the first
    time a cap passes its alert threshold.
    """
    entry, _charged = _charge(patron=patron, title=title, actor=actor, now=now)
    return entry


def tokens_refund(*, entry: TokenEntry, reason: str, actor: Actor, now: dt.datetime) -> TokenEntry:
    """Give back a spend to the patron's month and to the network's counters.

    Raises ``ValidationFailed`` without a reason, ``NotRefundable`` for a refund
    line, ``AlreadyRefunded`` when the spend was already refunded.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(code="refund_reason_missing", field="reason")
    if entry.kind != EntryKind.SPEND:
        raise NotRefundable()
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
            raise AlreadyRefunded() from None
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
            actor=actor, action=AuditAction.TOKEN_REFUND, now=now, obj=refund,
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


# --- every way into a vendor -----------------------------------------------------------------


@dataclass(frozen=True)
class AccessGrant:
    """What a patron may open at a vendor, decided once by ``access_decide``.

    ``title`` is None for a resource's home page. ``cost_halves`` is what opening
    the title will cost when the vendor confirms it (0: free resource, or a title
    still in its paid access window); ``paid_until`` is the end of that window.
    """

    resource: Resource | None
    title: VendorTitle | None
    cost_halves: int
    paid_until: dt.datetime | None = None


def access_decide(
    *, patron: Patron, resources: Sequence[Resource], title: VendorTitle | None,
    now: dt.datetime,
) -> AccessGrant:  # fmt: skip
    """The one decision for every way into a vendor (portal launch, CAS login, OpenID
    Connect authorization): may ``patron`` open ``title`` (or, without a title, every one
    of ``resources``), and what will it cost?

    Nothing is written: the cost is charged when the vendor validates the ticket or
    code (``access_complete``), or at once for a resource without single sign-on.
    Raises ``AccessRefused`` (card expired or blocked, category, age, title withdrawn),
    ``InsufficientTokens`` or ``NetworkCapReached`` (what the patron could pay now).
    """
    decision = patron_card_decision(patron, now)
    if not decision.allowed:
        raise AccessRefused(reason=decision.code, **decision.data)
    if title is not None:
        resources = [title.resource]
        if not (title.is_active and title.resource.is_active):
            raise _title_unavailable()
    for each in resources:
        _refuse_unless_allowed(patron, each, now)
    # several resources behind one service and no title named: the ticket names none
    resource = resources[0] if len(resources) == 1 else None
    if title is None or not title.resource.uses_tokens:
        return AccessGrant(resource=resource, title=title, cost_halves=0)
    paid_until = title_paid_until(patron, title, now)
    if paid_until is not None:
        return AccessGrant(resource=resource, title=title, cost_halves=0, paid_until=paid_until)
    ts = token_settings()
    cost = title_cost(title, now, ts)
    balance = patron_balance(patron, now, ts)
    if balance.left < cost:
        raise _insufficient(
            left=balance.left, cost=cost, allowance=balance.allowance, title=title, now=now
        )
    room = network_room(now, ts)
    if room is not None and room[1] < cost:
        raise _cap_reached(room[0])
    return AccessGrant(resource=resource, title=title, cost_halves=cost)


def access_complete(
    *, patron: Patron, resource: Resource | None, title: VendorTitle | None, actor: Actor,
    now: dt.datetime,
) -> TokenEntry | None:  # fmt: skip
    """The vendor confirmed a launch (validated its ticket or code), or a resource without
    single sign-on was opened: count the launch and, for a title paid in tokens, charge it
    (``tokens_spend``: nothing more within its access window). Returns the spend that paid
    for the title, or None. Raises what ``tokens_spend`` raises (the card is checked again:
    it may have been blocked since)."""
    decision = patron_card_decision(patron, now)
    if not decision.allowed:
        raise AccessRefused(reason=decision.code, **decision.data)
    if title is not None and title.resource.uses_tokens:
        return tokens_spend(patron=patron, title=title, actor=actor, now=now)
    resource = title.resource if title is not None else resource
    if resource is not None:
        _refuse_unless_allowed(patron, resource, now)
        _usage(patron=patron, resource=resource, title=title, now=now, tokens=0)
    return None


@dataclass(frozen=True)
class Launch:
    """Where to send the patron. ``entry`` is the spend when the title was charged at
    once (no single sign-on); ``oidc_title`` is the title the vendor's coming OpenID
    Connect authorization opens (the portal keeps it for that request)."""

    url: str
    entry: TokenEntry | None
    grant: AccessGrant
    oidc_title: VendorTitle | None = None


def _access_url(resource: Resource, title: VendorTitle | None) -> str:
    ref = quote(title.vendor_ref, safe="") if title else ""
    return resource.access_url.replace(policies.REF, ref)


def _with_ticket(url: str, ticket: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}ticket={ticket}"


def _launch(
    *, patron: Patron, resource: Resource, title: VendorTitle | None, actor: Actor,
    now: dt.datetime,
) -> Launch:  # fmt: skip
    grant = access_decide(patron=patron, resources=[resource], title=title, now=now)
    url = _access_url(resource, title)
    service = resource.sso_service
    with transaction.atomic():
        if service is not None and service.protocol == ServiceProtocol.CAS:
            ticket = cas_ticket_issue(
                registration=service, service=url, patron=patron, now=now, resource=resource,
                title=title, cost_halves=grant.cost_halves,
            )  # fmt: skip
            return Launch(url=_with_ticket(url, ticket.ticket), entry=None, grant=grant)
        if service is not None and service.protocol == ServiceProtocol.OIDC:
            return Launch(url=url, entry=None, grant=grant, oidc_title=title)
        # no single sign-on: the vendor will never confirm, so this is the launch
        entry = access_complete(patron=patron, resource=resource, title=title, actor=actor,
                                now=now)  # fmt: skip
    return Launch(url=url, entry=entry, grant=grant)


def title_start(*, patron: Patron, title: VendorTitle, actor: Actor, now: dt.datetime) -> Launch:
    """Start a title from the portal: decide (``access_decide``) and return the vendor URL
    to send the patron to, with a CAS service ticket naming the title when the resource
    uses CAS. Its tokens are charged when the vendor validates the ticket (or the OpenID
    Connect code); at once for a resource without single sign-on.

    Raises what ``access_decide`` raises.
    """
    return _launch(patron=patron, resource=title.resource, title=title, actor=actor, now=now)


def resource_open(*, patron: Patron, resource: Resource, actor: Actor, now: dt.datetime) -> Launch:
    """Open a resource's home page on the vendor's site (no title: no token spent)."""
    return _launch(patron=patron, resource=resource, title=None, actor=actor, now=now)


def cas_title_named(
    *, registration: ServiceRegistration, service: str
) -> tuple[list[Resource], VendorTitle | None]:
    """The resources a CAS ``service`` URL may open and the title it names, read with each
    resource's access URL template.

    Raises ``AccessRefused`` when it names two titles, or a title of a resource paid in
    tokens that is not in the catalogue (it could not be priced).
    """
    resources = list(registration.resources.filter(is_active=True).prefetch_related(
        "allowed_categories"))  # fmt: skip
    for resource in resources:
        refs = policies.title_refs_in_url(resource.access_url, service)
        if not refs:
            continue
        if len(set(refs)) > 1:
            raise AccessRefused(reason="ambiguous_title")
        title = (
            VendorTitle.objects.select_related("resource")
            .filter(resource=resource, vendor_ref=refs[0])
            .first()
        )
        if title is None and resource.uses_tokens:
            raise _title_unavailable()
        return [resource], title
    return resources, None


def cas_login_grant(
    *, registration: ServiceRegistration, service: str, patron: Patron, now: dt.datetime
) -> str:
    """A vendor sent the patron to /cas/login: decide as a portal launch would
    (``access_decide``, with the title the service URL names), issue a ticket recording
    the grant, and return the URL to send the patron back to (``service`` with
    ``ticket``). The launch is counted, and its title charged, when the vendor validates.

    Raises what ``access_decide`` and ``cas_title_named`` raise.
    """
    resources, title = cas_title_named(registration=registration, service=service)
    grant = access_decide(patron=patron, resources=resources, title=title, now=now)
    ticket = cas_ticket_issue(
        registration=registration, service=service, patron=patron, now=now,
        resource=grant.resource, title=grant.title, cost_halves=grant.cost_halves,
    )  # fmt: skip
    return _with_ticket(service, ticket.ticket)


def _title_facts(title: VendorTitle | None, entry: TokenEntry | None) -> dict[str, str]:
    if title is None:
        return {}
    facts = {"title": title.vendor_ref}
    if entry is not None and title.resource.access_hours:
        until = policies.access_until(entry.at, title.resource.access_hours)
        facts["accessUntil"] = until.astimezone(dt.UTC).isoformat()
    return facts


def cas_ticket_validate(*, ticket: str, service: str, now: dt.datetime) -> Validation:
    """A vendor validates a service ticket: consume it, then complete the launch it grants
    (``access_complete``: count it, charge its title). A refusal there (card blocked since,
    tokens spent meanwhile) fails the validation with nothing charged."""
    st, failure = cas_ticket_consume(ticket=ticket, service=service, now=now)
    if failure is not None:
        return failure
    assert st is not None  # no failure: a ticket
    patron = st.patron
    try:
        entry = access_complete(
            patron=patron, resource=st.resource, title=st.title, actor=Actor.patron(patron.pk),
            now=now,
        )  # fmt: skip
    except (AccessRefused, InsufficientTokens, NetworkCapReached) as exc:
        return Validation(False, "INVALID_TICKET", f"Access refused ({exc.code})")
    if entry is not None:
        CasTicket.objects.filter(pk=st.pk).update(entry=entry)
    return Validation(
        True, user=pairwise_id(patron.pk, st.registration),
        attributes=patron_attributes(patron, now) | _title_facts(st.title, entry),
    )  # fmt: skip


def oidc_authorize_grant(
    *, request: AuthorizeRequest, patron: Patron, title: VendorTitle | None, now: dt.datetime
) -> str:
    """A vendor sent the patron to /oidc/authorize: decide as a portal launch would
    (``access_decide``, for ``title`` when the patron started one of the client's titles
    from the portal just before, else for every resource of the client), and issue a
    code recording the grant. Charged when the vendor redeems the code.

    Raises what ``access_decide`` raises.
    """
    resources = list(request.client.resources.filter(is_active=True))
    if title is not None and title.resource.sso_service_id != request.client.pk:
        title = None  # a title of another vendor: this authorization does not open it
    grant = access_decide(patron=patron, resources=resources, title=title, now=now)
    return oidc_code_issue(
        request=request, patron=patron, now=now, resource=grant.resource, title=grant.title,
        cost_halves=grant.cost_halves,
    )  # fmt: skip


def oidc_token_exchange(
    *, params: dict[str, str], client_id: str, client_secret: str | None, issuer: str,
    now: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    """A vendor redeems an authorization code: consume it, complete the launch it grants
    (``access_complete``), then issue the tokens. Raises ``OidcError`` (a refusal at
    completion is ``invalid_grant``, with nothing charged)."""
    grant = oidc_code_redeem(
        params=params, client_id=client_id, client_secret=client_secret, now=now
    )
    patron = grant.patron
    try:
        entry = access_complete(
            patron=patron, resource=grant.resource, title=grant.title,
            actor=Actor.patron(patron.pk), now=now,
        )  # fmt: skip
    except (AccessRefused, InsufficientTokens, NetworkCapReached) as exc:
        raise OidcError("invalid_grant", f"Access refused ({exc.code})") from exc
    if entry is not None:
        OidcCode.objects.filter(pk=grant.pk).update(entry=entry)
    facts = _title_facts(grant.title, entry)
    claims = {"title": facts["title"]} if "title" in facts else {}
    if "accessUntil" in facts:
        claims["access_until"] = facts["accessUntil"]
    return oidc_tokens_issue(grant=grant, issuer=issuer, now=now, extra_claims=claims)
