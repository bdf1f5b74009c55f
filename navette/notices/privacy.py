"""Notices sent to a patron: exported with the patron's data, and forgotten on the loan
schedule (a notice's key names the loan, hence the copy)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from navette.circulation.privacy import anonymise_cutoff
from navette.core.privacy import PatronData, Row
from navette.notices.models import SentNotice


def notices_anonymise(*, now: dt.datetime, months: int | None = None) -> int:
    """Detach notices sent before the loans' anonymisation cutoff from their patron (the
    row stays: it is what keeps a notice from going out twice). Idempotent."""
    cutoff = anonymise_cutoff(now, months)
    with transaction.atomic():
        return SentNotice.objects.filter(claimed_at__lt=cutoff, patron__isnull=False).update(
            patron=None
        )


def _notices(patron: Any) -> list[Row]:
    return [
        {"type": n.get_kind_display(), "envoye_le": n.sent_at}
        for n in SentNotice.objects.filter(patron=patron).order_by("-sent_at")
    ]


PATRON_DATA = [PatronData("avis_envoyes", [SentNotice], _notices)]
