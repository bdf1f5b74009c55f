"""Demo circulation: harmonised loan rules for the whole network, a few loans and holds.

Idempotent: rules are get_or_create'd; loans and holds are made only when the
demo copies have none yet.
"""

from __future__ import annotations

import datetime as dt

from navette.catalogue.models import Item, ItemStatus
from navette.circulation.errors import CirculationError
from navette.circulation.models import CirculationSettings, Hold, Loan, LoanRule
from navette.circulation.services import hold_place, loan_checkout
from navette.core import clock
from navette.core.actors import Actor
from navette.network.models import Library, Network
from navette.patrons.models import Patron, PatronCategory

CATEGORIES = [
    ("adulte", "Adulte", 12),
    ("jeune", "Jeune (moins de 18 ans)", 12),
    ("etudiant", "Étudiant", 12),
    ("collectivite", "Collectivité", 12),
]

#: (category code or "", doc type or "", parameters) — the network rules, shared by the 27 libraries
NETWORK_RULES: list[tuple[str, str, dict[str, object]]] = [
    ("", "", {"loan_days": 21, "max_renewals": 2, "renew_when_waiting": False, "max_loans": 20,
              "holds_allowed": True, "max_holds": 10, "hold_shelf_days": 7}),
    ("", "video", {"max_loans": 5}),
    ("", "video_game", {"max_loans": 2, "loan_days": 14}),
    ("", "magazine", {"loan_days": 14, "holds_allowed": False}),
    ("jeune", "", {"max_loans": 15}),
    ("collectivite", "", {"max_loans": 60, "loan_days": 42, "max_renewals": 1}),
]  # fmt: skip


def load(ctx) -> None:  # type: ignore[no-untyped-def]
    network = Network.current()
    CirculationSettings.objects.get_or_create(network=network)
    categories = {}
    for code, label, months in CATEGORIES:
        categories[code], _ = PatronCategory.objects.get_or_create(
            code=code, defaults={"label": label, "membership_months": months}
        )
    for cat, doc_type, params in NETWORK_RULES:
        LoanRule.objects.get_or_create(
            library=None, patron_category=categories.get(cat), doc_type=doc_type, defaults=params
        )
    ctx.log(f"Circulation : {LoanRule.objects.count()} règles de prêt harmonisées pour le réseau")
    _demo_activity(ctx)


def _demo_activity(ctx) -> None:  # type: ignore[no-untyped-def]
    items = list(
        Item.objects.filter(is_demo=True, status=ItemStatus.AVAILABLE).select_related("record")[:40]
    )
    patrons = list(Patron.objects.order_by("pk")[:6])
    if not items or len(patrons) < 2 or Loan.objects.filter(item__is_demo=True).exists():
        return
    actor = Actor.system("demo")
    now = clock.now()
    libraries = {lib.pk: lib for lib in Library.objects.all()}
    made = holds = 0
    for n, item in enumerate(items[:10]):
        patron = patrons[n % len(patrons)]
        try:
            loan_checkout(item=item, patron=patron, library=libraries[item.owning_library_id], actor=actor,
                          now=now - dt.timedelta(days=n))  # fmt: skip
            made += 1
        except CirculationError as exc:
            ctx.log(f"  prêt de démonstration refusé : {exc}")
    for n, loan in enumerate(Loan.objects.filter(item__is_demo=True, returned_at__isnull=True)[:4]):
        patron = patrons[(n + 3) % len(patrons)]
        if (
            Hold.objects.filter(patron=patron, record_id=loan.item.record_id).exists()
            or loan.patron_id == patron.pk
        ):
            continue
        try:
            hold_place(
                patron=patron,
                record=loan.item.record,
                pickup_library=patron.home_library,
                actor=actor,
                now=now,
            )
            holds += 1
        except CirculationError as exc:
            ctx.log(f"  réservation de démonstration refusée : {exc}")
    ctx.log(f"Circulation : {made} prêts et {holds} réservations de démonstration")
