"""Circulation reads: a patron's loans and holds, a title's availability, the navette lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from navette.catalogue.models import Item, ItemStatus, Record
from navette.circulation.models import (
    Crate,
    Fine,
    Hold,
    HoldStatus,
    Loan,
    OfflineOutcome,
    OfflineTransaction,
    Transit,
    TransitStatus,
)
from navette.circulation.policies import (
    Decision,
    check_patron,
    check_renewal,
    hold_is_suspended,
)
from navette.circulation.services._common import (
    library_schedule,
    network_settings,
    patron_facts,
    patron_snapshot,
    rule_for,
    rule_rows,
)
from navette.core import clock
from navette.core.collation import collation_key
from navette.network.models import Library
from navette.network.selectors import in_french_order
from navette.patrons.models import Patron


def patron_loans(patron: Patron) -> QuerySet[Loan]:
    """Open loans, soonest due first, with copy, title and lending library."""
    return (
        Loan.objects.open()
        .filter(patron_id=patron.pk)
        .select_related("item__record", "item__owning_library", "library")
        .order_by("due_on", "pk")
    )


def loans_renewal(patron: Patron, loans: list[Loan], now: dt.datetime) -> dict[int, Decision]:
    """Would each of ``patron``'s open ``loans`` be renewed now? The decision ``loan_renew``
    would take (same rules, same facts), read without locks: an interface offers the action
    only where it can succeed and says the reason otherwise (the service decides again)."""
    if not loans:
        return {}
    today = clock.today(now)
    settings = network_settings(loans[0].library.network_id)
    patron_ok = check_patron(patron_facts(patron, settings), today)
    decisions: dict[int, Decision] = {}
    for loan in loans:
        holds = [
            h
            for h in Hold.objects.waiting_for(loan.item).values("suspended_from", "suspended_until")
            if not hold_is_suspended(h["suspended_from"], h["suspended_until"], today)
        ]
        lending = loan.library
        rule = rule_for(rule_rows([lending.pk]), lending.pk, patron.category_id, loan.doc_type)
        decisions[loan.pk] = check_renewal(
            patron=patron_ok, is_open=loan.returned_at is None, renewals=loan.renewals, rule=rule,
            holds_waiting=len(holds), today=today, current_due=loan.due_on,
            schedule=library_schedule(lending, today),
        )  # fmt: skip
    return decisions


def patron_active_hold(patron: Patron, hold_id: int) -> Hold | None:
    """``patron``'s active hold ``hold_id`` with its title and pickup library, or None."""
    return (
        Hold.objects.active()
        .filter(pk=hold_id, patron_id=patron.pk)
        .select_related("record", "pickup_library")
        .first()
    )


def open_transit(transit_id: int) -> Transit | None:
    """The transit ``transit_id`` if its copy is still in the navette, or None."""
    return (
        Transit.objects.filter(pk=transit_id, status=TransitStatus.IN_TRANSIT)
        .select_related("item__record", "from_library", "to_library")
        .first()
    )


@dataclass
class HoldView:
    hold: Hold
    #: 1 = next served; ``None`` once a copy is set aside
    position: int | None
    queue_length: int


def patron_holds(patron: Patron) -> list[HoldView]:
    """Active holds with their position in the title's queue (oldest first)."""
    holds = list(
        Hold.objects.active()
        .filter(patron_id=patron.pk)
        .select_related("record", "pickup_library", "item", "trapped_item")
        .order_by("placed_at", "pk")
    )
    record_ids = {h.record_id for h in holds}
    queue: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for rid, placed, pk in (
        Hold.objects.filter(record_id__in=record_ids, status=HoldStatus.WAITING)
        .values_list("record_id", "placed_at", "pk")
        .order_by("placed_at", "pk")
    ):
        queue[rid].append((placed, pk))
    views = []
    for h in holds:
        entries = queue[h.record_id]
        pos = None
        if h.status == HoldStatus.WAITING:
            pos = 1 + sum(1 for placed, pk in entries if (placed, pk) < (h.placed_at, h.pk))
        views.append(HoldView(h, pos, len(entries)))
    return views


@dataclass
class PatronStatus:
    patron: Patron
    can_borrow: Decision
    loans: int
    overdue: int
    holds_ready: int
    blocks: list[str] = field(default_factory=list)
    #: unpaid fines (whatever the network's penalty)
    fines_cents: int = 0


def patron_status(patron: Patron, now: dt.datetime) -> PatronStatus:
    """Whether the card may borrow (with the reason), and counts for the desk or a kiosk.

    One query (with the network's settings cached): blocks, fines, open and
    overdue loans and holds ready, read together.
    """
    today = clock.today(now)
    settings = network_settings(patron.home_library.network_id)
    snapshot = patron_snapshot(
        patron, settings, loans=True, overdue_before=today, fines=True, ready_holds=True
    )  # fmt: skip
    return PatronStatus(
        patron=patron,
        can_borrow=check_patron(snapshot.facts, today),
        loans=sum(snapshot.open_loans.values()),
        overdue=snapshot.overdue,
        holds_ready=snapshot.holds,
        blocks=list(snapshot.facts.block_reasons),
        fines_cents=snapshot.unpaid_fines_cents,
    )


@dataclass
class CopyView:
    item: Item
    status_label: str
    due_on: dt.date | None


@dataclass
class LibraryAvailability:
    library: Library
    total: int = 0
    available: int = 0


@dataclass
class RecordAvailability:
    copies: list[CopyView]
    libraries: list[LibraryAvailability]
    total: int
    available: int
    holds_waiting: int
    holds_active: int


def record_availability(record: Record) -> RecordAvailability:
    """Copies of ``record`` with status and due dates, counts per library, and hold counts (3 queries)."""
    items = list(
        Item.objects.filter(record_id=record.pk)
        .select_related("owning_library", "current_library")
        .order_by("owning_library__commune", "barcode")
    )
    dues = dict(
        Loan.objects.open().filter(item__record_id=record.pk).values_list("item_id", "due_on")
    )
    per_lib: dict[int, LibraryAvailability] = {}
    copies = []
    for it in items:
        copies.append(CopyView(it, it.get_status_display(), dues.get(it.pk)))
        where = it.current_library if it.status == ItemStatus.AVAILABLE else it.owning_library
        entry = per_lib.setdefault(where.pk, LibraryAvailability(where))
        entry.total += 1
        if it.status == ItemStatus.AVAILABLE and it.circulates:
            entry.available += 1
    holds = (
        Hold.objects.active()
        .filter(record_id=record.pk)
        .aggregate(active=Count("pk"), waiting=Count("pk", filter=Q(status=HoldStatus.WAITING)))
    )
    libs = sorted(per_lib.values(), key=lambda e: collation_key(e.library.commune))
    return RecordAvailability(
        copies=copies,
        libraries=libs,
        total=len(items),
        available=sum(e.available for e in libs),
        holds_waiting=holds["waiting"],
        holds_active=holds["active"],
    )


def transits_to_send(library: Library) -> QuerySet[Transit]:
    """Copies put in the navette at ``library`` and not packed in a crate that left yet:
    the list to pack."""
    return (
        Transit.objects.filter(
            from_library_id=library.pk, status=TransitStatus.IN_TRANSIT, crate__isnull=True
        )
        .select_related("item__record", "to_library", "hold__patron")
        .order_by("to_library__commune", "sent_at", "pk")
    )


@dataclass
class CrateToPack:
    """The copies ``library`` has to send to ``to_library``: one crate, one slip."""

    to_library: Library
    transits: list[Transit]


def crates_to_pack(library: Library) -> list[CrateToPack]:
    """``transits_to_send`` grouped by destination, destinations in French order
    ("Commune — Name")."""
    groups: dict[int, CrateToPack] = {}
    for transit in transits_to_send(library):
        group = groups.setdefault(transit.to_library_id, CrateToPack(transit.to_library, []))
        group.transits.append(transit)
    order = {
        lib.pk: n for n, lib in enumerate(in_french_order([g.to_library for g in groups.values()]))
    }
    return sorted(groups.values(), key=lambda g: order[g.to_library.pk])


def crate_to_pack(library: Library, to_library: Library) -> CrateToPack:
    """What ``library`` has to send to ``to_library`` (possibly nothing)."""
    return CrateToPack(
        to_library, list(transits_to_send(library).filter(to_library_id=to_library.pk))
    )


def crates_sent(library: Library, since: dt.datetime) -> QuerySet[Crate]:
    """Crates that left ``library`` since ``since``, latest first, with their copies."""
    return (
        Crate.objects.filter(from_library_id=library.pk, sent_at__gte=since)
        .select_related("to_library", "from_library")
        .prefetch_related("transits__item__record")
        .order_by("-sent_at", "-pk")
    )


def transits_incoming(library: Library) -> QuerySet[Transit]:
    return (
        Transit.objects.filter(to_library_id=library.pk, status=TransitStatus.IN_TRANSIT)
        .select_related("item__record", "from_library")
        .order_by("sent_at")
    )


def transits_overdue(now: dt.datetime, library: Library | None = None) -> QuerySet[Transit]:
    """Copies in the navette for longer than the network's ``transit_overdue_days``."""
    qs = Transit.objects.filter(status=TransitStatus.IN_TRANSIT)
    if library is not None:
        days = network_settings(library.network_id).transit_overdue_days
        qs = qs.filter(Q(from_library_id=library.pk) | Q(to_library_id=library.pk))
    else:
        first = Library.objects.order_by("pk").first()
        days = network_settings(first.network_id).transit_overdue_days if first else 5
    return (
        qs.filter(sent_at__lt=now - dt.timedelta(days=days))
        .select_related("item__record", "from_library", "to_library")
        .order_by("sent_at")
    )


def overdue_loans(library: Library, now: dt.datetime) -> QuerySet[Loan]:
    """Open loans past their due date, lent by ``library`` or of copies it owns."""
    today = clock.today(now)
    return (
        Loan.objects.overdue(today)
        .filter(Q(library_id=library.pk) | Q(item__owning_library_id=library.pk))
        .select_related("item__record", "patron", "library")
        .order_by("due_on", "pk")
    )


def hold_shelf(library: Library) -> QuerySet[Hold]:
    """Holds ready on ``library``'s hold shelf, first to expire first."""
    return (
        Hold.objects.filter(pickup_library_id=library.pk, status=HoldStatus.READY)
        .select_related("patron", "record", "trapped_item")
        .order_by("shelf_expires_on", "pk")
    )


@dataclass(frozen=True)
class PullEntry:
    """A copy to fetch from ``library``'s shelves, and the waiting hold it is fetched for."""

    item: Item
    hold: Hold


def record_hold_queue(record: Record) -> QuerySet[Hold]:
    """The title's active holds, in queue order (oldest first), with who and where."""
    return (
        Hold.objects.active()
        .filter(record=record)
        .select_related("patron", "pickup_library", "item", "trapped_item")
        .order_by("placed_at", "pk")
    )


def pull_list(library: Library, today: dt.date | None = None) -> list[PullEntry]:
    """Copies on ``library``'s shelves to fetch for waiting holds, by call number.

    Each waiting hold (oldest first; suspended ones wait) is asked of one library only,
    so that two libraries never pull copies for the same patron: a copy at the pickup
    library when there is one (no navette needed), else the lowest-numbered copy free
    for it. A hold on a given copy asks for that copy. Scanning the copy at the return
    desk traps it for the first eligible hold. Only titles with a copy free here are read.
    """
    today = today or clock.today()
    free = Item.objects.filter(status=ItemStatus.AVAILABLE, circulates=True)
    waiting = Hold.objects.filter(status=HoldStatus.WAITING)
    here = free.filter(
        current_library_id=library.pk, record_id__in=waiting.values("record_id")
    ).values("record_id")
    holds = [
        h
        for h in waiting.filter(record_id__in=here)
        .select_related("patron", "pickup_library")
        .order_by("placed_at", "pk")
        if not hold_is_suspended(h.suspended_from, h.suspended_until, today)
    ]
    copies: dict[int, list[Item]] = defaultdict(list)
    for item in (
        free.filter(record_id__in={h.record_id for h in holds})
        .select_related("record")
        .order_by("pk")
    ):
        copies[item.record_id].append(item)
    taken: set[int] = set()
    entries = []
    for hold in holds:
        candidates = [
            c
            for c in copies[hold.record_id]
            if c.pk not in taken and (hold.item_id is None or c.pk == hold.item_id)
        ]
        if not candidates:
            continue
        choice = next(
            (c for c in candidates if c.current_library_id == hold.pickup_library_id),
            candidates[0],
        )
        taken.add(choice.pk)
        if choice.current_library_id == library.pk:
            entries.append(PullEntry(item=choice, hold=hold))
    return sorted(entries, key=lambda e: (e.item.call_number, e.item.barcode))


@dataclass(frozen=True)
class DeskSummary:
    """What waits for one library's staff today: the counts on the staff home page."""

    library: Library
    to_pull: int
    to_send: int
    incoming: int
    hold_shelf: int
    hold_shelf_expired: int
    overdue_loans: int
    overdue_transits: int


def desk_summary(library: Library, now: dt.datetime) -> DeskSummary:
    today = clock.today(now)
    shelf = Hold.objects.filter(pickup_library_id=library.pk, status=HoldStatus.READY)
    return DeskSummary(
        library=library,
        to_pull=len(pull_list(library, today)),
        to_send=transits_to_send(library).count(),
        incoming=transits_incoming(library).count(),
        hold_shelf=shelf.count(),
        hold_shelf_expired=shelf.filter(shelf_expires_on__lt=today).count(),
        overdue_loans=overdue_loans(library, now).count(),
        overdue_transits=transits_overdue(now, library).count(),
    )


def patron_fines(patron: Patron) -> list[Fine]:
    """The patron's fines still (partly) due, oldest first, with the title they are for."""
    return list(
        Fine.objects.unpaid()
        .filter(patron_id=patron.pk)
        .select_related("loan__item__record")
        .order_by("created_at", "pk")
    )


def hold_queue_position(hold: Hold) -> int | None:
    """A waiting hold's place in its title's queue (1 = next served); None once a copy is
    set aside for it (the order of ``patron_holds``)."""
    if hold.status != HoldStatus.WAITING:
        return None
    return 1 + (
        Hold.objects.filter(record_id=hold.record_id, status=HoldStatus.WAITING)
        .filter(Q(placed_at__lt=hold.placed_at) | Q(placed_at=hold.placed_at, pk__lt=hold.pk))
        .count()
    )


@dataclass
class ItemCirculation:
    """Where a copy stands in circulation, for a kiosk's item information."""

    #: due day of its open loan
    due_on: dt.date | None
    #: waiting holds it could satisfy (on the copy or on its title)
    holds_waiting: int
    #: last day on the hold shelf, when set aside and ready
    shelf_expires_on: dt.date | None


def item_circulation(item: Item) -> ItemCirculation:
    """The open loan's due day, the waiting holds this copy can satisfy, the hold shelf's
    last day (three small reads)."""
    loan = Loan.objects.filter(item_id=item.pk, returned_at__isnull=True).only("due_on").first()
    ready = (
        Hold.objects.filter(trapped_item_id=item.pk, status=HoldStatus.READY)
        .values_list("shelf_expires_on", flat=True)
        .first()
    )
    return ItemCirculation(
        due_on=loan.due_on if loan is not None else None,
        holds_waiting=Hold.objects.waiting_for(item).count(),
        shelf_expires_on=ready,
    )


def offline_conflicts(library: Library) -> QuerySet[OfflineTransaction]:
    """Offline transactions replayed at ``library`` that staff must settle, newest first."""
    return OfflineTransaction.objects.filter(
        library=library, outcome=OfflineOutcome.CONFLICT
    ).order_by("-replayed_at", "-pk")
