"""Demo circulation: harmonised loan rules for the whole network, a few loans and holds,
and a working day at the Lens desk (overdue loans, copies to pull for holds, the navette to
pack and to receive, a hold on the shelf), all made through the circulation services.

Idempotent: rules are get_or_create'd; loans and holds are made only when the
demo copies have none yet; the desk's day only while no copy is in the navette.
"""

from __future__ import annotations

import datetime as dt

from navette.catalogue.models import Item, ItemStatus
from navette.circulation.errors import CirculationError
from navette.circulation.models import CirculationSettings, Hold, Loan, LoanRule, Transit
from navette.circulation.services import hold_place, loan_checkin, loan_checkout
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


def load(ctx) -> None:
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
    _desk_day(ctx)


def _demo_activity(ctx) -> None:
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
    for n, loan in enumerate(Loan.objects.open().filter(item__is_demo=True)[:4]):
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


def _copies_only_at(library: Library, exclude: set[int], n: int) -> list[Item]:
    """``n`` available demo copies at ``library``, one per title, of titles with no copy
    available in any other library (so a hold on them is pulled here)."""
    free = Item.objects.filter(is_demo=True, status=ItemStatus.AVAILABLE, circulates=True)
    elsewhere = free.exclude(current_library=library).values("record_id")
    picked: dict[int, Item] = {}
    for item in (
        free.filter(current_library=library)
        .exclude(record_id__in=elsewhere)
        .exclude(record_id__in=exclude)
        .select_related("record")
        .order_by("pk")
        .iterator(chunk_size=200)
    ):
        picked.setdefault(item.record_id, item)
        if len(picked) == n:
            break
    return list(picked.values())


def _desk_day(ctx) -> None:
    """What the Lens librarian finds in the morning (staff home and navette page)."""
    libraries = {lib.code: lib for lib in Library.objects.all()}
    lens, harnes = libraries.get("lens"), libraries.get("harnes")
    lievin, avion = libraries.get("lievin-desrousseaux"), libraries.get("avion-emile-zola")
    patrons = list(Patron.objects.order_by("pk")[:8])
    if None in (lens, harnes, lievin, avion) or len(patrons) < 8:
        return
    assert lens is not None and harnes is not None and lievin is not None and avion is not None
    others = [lievin, avion]
    if Transit.objects.filter(item__is_demo=True).exists():
        return
    actor = Actor.system("demo")
    now = clock.now()
    used: set[int] = set(Hold.objects.values_list("record_id", flat=True))
    picked = _copies_only_at(lens, used, 8)
    if len(picked) < 8:
        return
    done = []

    def attempt(label: str, action) -> None:
        try:
            action()
            done.append(label)
        except CirculationError as exc:
            ctx.log(f"  {label} refusé : {exc}")

    # two loans lent a month ago at Lens, now overdue
    for n, item in enumerate(picked[:2]):
        attempt("prêt en retard", lambda item=item, n=n: loan_checkout(
            item=item, patron=patrons[n + 2], library=lens, actor=actor,
            now=now - dt.timedelta(days=30 + n)))  # fmt: skip
    # three titles whose only copy is on Lens's shelves, held by patrons of other libraries
    for n, item in enumerate(picked[2:5]):
        attempt("réservation à sortir des rayons", lambda item=item, n=n: hold_place(
            patron=patrons[4 + n], record=item.record, pickup_library=others[n % 2],
            actor=actor, now=now - dt.timedelta(hours=n + 1)))  # fmt: skip
    # a copy pulled yesterday for a Lens patron, now on the hold shelf
    ready = picked[5]
    attempt("réservation sur l'étagère", lambda: hold_place(
        patron=patrons[7], record=ready.record, pickup_library=lens, actor=actor,
        now=now - dt.timedelta(days=1)))  # fmt: skip
    attempt("mise de côté", lambda: loan_checkin(
        item=ready, library=lens, actor=actor, now=now - dt.timedelta(hours=20)))  # fmt: skip
    # a copy held for a patron of Avion, pulled at Lens: it waits for the navette
    sent = picked[6]
    attempt("réservation pour Avion", lambda: hold_place(
        patron=patrons[1], record=sent.record, pickup_library=others[1], actor=actor,
        now=now - dt.timedelta(hours=3)))  # fmt: skip
    attempt("navette vers Avion", lambda: loan_checkin(
        item=sent, library=lens, actor=actor, now=now - dt.timedelta(hours=2)))  # fmt: skip
    # a Harnes copy lent at Harnes and returned at Lens: it goes home by the navette,
    # and Harnes expects it
    home = next(iter(_copies_only_at(harnes, used, 1)), None)
    if home is not None:
        attempt("prêt à Harnes", lambda: loan_checkout(
            item=home, patron=patrons[0], library=harnes, actor=actor,
            now=now - dt.timedelta(days=6)))  # fmt: skip
        attempt("retour à Lens", lambda: loan_checkin(
            item=home, library=lens, actor=actor, now=now - dt.timedelta(hours=1)))  # fmt: skip
    ctx.log(f"Circulation : journée de démonstration au poste de Lens ({len(done)} opérations)")
