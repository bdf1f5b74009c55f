"""Demo kiosks: one SIP2 account per library, listed with a few copies to try them on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import ngettext

from navette.catalogue.models import Item, ItemStatus
from navette.network.models import Library
from navette.sip2.models import Kiosk


def load(ctx: Any) -> None:
    """Create (or refresh) kiosk ``borne-<library code>`` for every active library.

    Idempotent: the password of an earlier run (read back from demo-accounts.json)
    is kept; otherwise a new random one is generated.
    """
    made = 0
    for library in Library.objects.filter(is_active=True).order_by("code"):
        login = f"borne-{library.code}"[:64]
        password = ctx.secret("kiosks", "login", login, "password", 12)
        kiosk = Kiosk.objects.filter(login=login).first()
        if kiosk is None:
            kiosk = Kiosk(
                login=login, name=f"Borne de prêt — {library.name}"[:200], library=library
            )
            made += 1
        if not kiosk.check_password(password):
            kiosk.set_password(password)
        kiosk.save()
        samples = list(
            Item.objects.filter(
                current_library=library, status=ItemStatus.AVAILABLE, circulates=True
            )
            .order_by("-is_demo", "barcode")
            .values_list("barcode", flat=True)[:3]
        )
        ctx.add(
            "kiosks",
            {
                "login": login,
                "password": password,
                "library": library.name,
                "library_code": library.code,
                "sip2": f"{settings.NAVETTE_SIP2_HOST}:{settings.NAVETTE_SIP2_PORT}",
                "sample_items": samples,
            },
        )
    ctx.log(
        "SIP2 : "
        + ngettext("%(n)d automate créé", "%(n)d automates créés", made) % {"n": made}
        + f", {Kiosk.objects.count()} au total"
    )
