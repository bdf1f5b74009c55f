"""Sending e-mail notices: hold ready, loan due soon, overdue reminders.

Each notice is first *claimed* by inserting a ``SentNotice`` row in its own
transaction; the unique constraint lets only one run win, so a notice goes out
once even when the jobs run twice or concurrently. If the mail server refuses
the message, the claim is released so that the next run tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast

from navette.circulation.models import Hold, HoldStatus, Loan
from navette.core import clock
from navette.core.mail import build_mail
from navette.notices import conf
from navette.notices.models import NoticeKind, SentNotice
from navette.patrons.models import Patron

log = logging.getLogger("navette.notices")
OVERDUE_KINDS = (NoticeKind.OVERDUE_1, NoticeKind.OVERDUE_2, NoticeKind.OVERDUE_3)


@dataclass
class Outgoing:
    """One mail to one patron about one or more objects (already claimed)."""

    kind: NoticeKind
    patron: Patron
    claims: list[SentNotice] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


def _claim(*, kind: str, key: str, patron: Patron, now: dt.datetime) -> SentNotice | None:
    try:
        with transaction.atomic():
            return SentNotice.objects.create(kind=kind, key=key, patron=patron, claimed_at=now)
    except IntegrityError:
        return None  # already sent (or being sent) by another run


def _reachable(patron: Patron | None) -> bool:
    return bool(patron and patron.notify_by_email and patron.email)


def _send(batch: list[Outgoing], now: dt.datetime) -> int:
    if not batch:
        return 0
    sent = 0
    connection = get_connection()
    try:
        connection.open()
    except Exception:
        # No mail server: release every claim so that the next run tries again.
        SentNotice.objects.filter(pk__in=[c.pk for out in batch for c in out.claims]).delete()
        raise
    try:
        for out in batch:
            message = build_mail(
                f"notices/{out.kind}",
                {"patron": out.patron, **out.context},
                out.patron.preferred_language,
                to=[out.patron.email],
                connection=connection,
            )
            ids = [c.pk for c in out.claims]
            try:
                message.send(fail_silently=False)
            except Exception:
                log.exception("notice %s to patron %s not sent", out.kind, out.patron.pk)
                SentNotice.objects.filter(pk__in=ids).delete()  # retried next run
                continue
            SentNotice.objects.filter(pk__in=ids).update(sent_at=now)
            sent += 1
    finally:
        connection.close()
    return sent


def notices_hold_ready(*, now: dt.datetime) -> int:
    """Tell patrons a hold waits for them: pickup library and last day. Returns mails sent."""
    holds = (
        Hold.objects.filter(status=HoldStatus.READY, patron__isnull=False)
        .exclude(patron__email="")
        .filter(patron__notify_by_email=True)
        .exclude(  # cheap pre-filter; the claim is what guarantees "once"
            Exists(
                SentNotice.objects.filter(
                    kind=NoticeKind.HOLD_READY, key=Cast(OuterRef("pk"), CharField())
                )
            )
        )
        .select_related("patron", "record", "pickup_library")
    )
    batch = []
    for hold in holds:
        assert hold.patron is not None  # filtered above
        claim = _claim(kind=NoticeKind.HOLD_READY, key=str(hold.pk), patron=hold.patron, now=now)
        if claim is None:
            continue
        batch.append(
            Outgoing(
                NoticeKind.HOLD_READY, hold.patron, [claim],
                {"hold": hold, "record": hold.record, "library": hold.pickup_library,
                 "last_day": hold.shelf_expires_on},
            )
        )  # fmt: skip
    return _send(batch, now)


def overdue_level(days_late: int, reminder_days: list[int]) -> int:
    """The highest reminder (1, 2 or 3) reached after ``days_late`` days, or 0."""
    level = 0
    for index, threshold in enumerate(reminder_days, start=1):
        if days_late >= threshold:
            level = index
    return level


def notices_loans(*, now: dt.datetime) -> int:
    """ "Due soon" notices (``due_soon_days()`` ahead) and overdue reminders.

    A patron gets one mail per kind listing the loans concerned. When the jobs
    did not run for a while, only the highest reminder reached is sent.
    """
    today = clock.today(now)
    soon = today + dt.timedelta(days=conf.due_soon_days())
    reminders = conf.overdue_reminder_days()
    loans = (
        Loan.objects.open()
        .filter(patron__isnull=False, due_on__lte=soon)
        .filter(patron__notify_by_email=True)
        .exclude(patron__email="")
        .select_related("patron", "item__record", "library")
        .order_by("patron_id", "due_on")
    )
    grouped: dict[tuple[int, str], Outgoing] = {}
    for loan in loans:
        patron = loan.patron
        assert patron is not None  # filtered above
        if loan.due_on >= today:
            kind = NoticeKind.DUE_SOON
        else:
            level = overdue_level((today - loan.due_on).days, reminders)
            if level == 0:
                continue
            kind = OVERDUE_KINDS[level - 1]
        claim = _claim(
            kind=kind, key=f"{loan.pk}:{loan.due_on.isoformat()}", patron=patron, now=now
        )
        if claim is None:
            continue
        out = grouped.setdefault((patron.pk, kind), Outgoing(kind, patron, [], {"loans": []}))
        out.claims.append(claim)
        out.context["loans"].append(loan)
    return _send(list(grouped.values()), now)


def notices_send(now: dt.datetime) -> tuple[int, int]:
    """The scheduled job: every kind of notice, each once. Returns how many hold-ready and
    loan notices were sent."""
    return notices_hold_ready(now=now), notices_loans(now=now)
