"""The circulation rows of a check-out and a return: the one place that reads and writes them.

Two implementations of one interface:

- ``OrmStore``: plain QuerySets (``select_for_update``, ``save``, ``create``). It runs on
  every backend and is the oracle of the differential test (tests/circulation/test_store.py).
- ``FastStore`` (the default): the same statements, built once per process from the same
  QuerySets (``Loan.objects.open()``, ``Hold.objects.waiting_for_copy()``,
  ``Fine.objects.unpaid()``, compiled with ``query.sql_with_params()``) or from the models'
  ``_meta`` (``navette.core.rows``), then run without the ORM compiling them at each call;
  on PostgreSQL a transaction's locks and reads go together, and its writes as one
  statement, through psycopg's pipeline (``navette.core.rows``), inside Django's own
  ``transaction.atomic()``.

The fast path writes rows without ``Model.save()``: model signals are not sent. It refuses to
run (``ImproperlyConfigured``, at its first use) while a receiver listens to a model it writes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import CharField, Count, F, Model, Q, QuerySet, Subquery, Value
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from navette.catalogue.models import Item
from navette.circulation import locks
from navette.circulation.models import (
    CirculationSettings,
    Fine,
    Hold,
    HoldStatus,
    Loan,
    Transit,
    TransitStatus,
)
from navette.circulation.models.loans import TRAPPED_HOLD_STATUSES
from navette.core import rows
from navette.core.models import AuditEvent, RecordChange
from navette.patrons.models import Patron, PatronBlock
from navette.stats.models import CirculationFact

# --- QuerySets compiled once ------------------------------------------------------------------

#: stand-ins for the parameters while a QuerySet is compiled: values no key or date takes
_INT_STANDIN = -7_340_000
_DATE_STANDIN = dt.date(1001, 1, 1)


class Compiled:
    """A QuerySet built by ``build(**parameters)``, compiled to SQL once per process and
    backend. Each parameter is given a stand-in value while it is compiled; the positions
    of the stand-ins in the compiled parameters are where the call's values go (the others
    are the QuerySet's own constants). ``dates`` names the date parameters."""

    def __init__(self, build: Callable[..., QuerySet[Any]], *names: str, dates: Sequence[str] = ()):
        self.build, self.names, self.dates = build, names, tuple(dates)
        self._done: dict[str, tuple[str, list[Any], list[tuple[int, str]]]] = {}
        self._lock = threading.Lock()

    def standins(self) -> dict[str, Any]:
        return {
            name: _DATE_STANDIN + dt.timedelta(days=n) if name in self.dates else _INT_STANDIN - n
            for n, name in enumerate(self.names)
        }

    def compiled(self) -> tuple[str, list[Any], list[tuple[int, str]]]:
        vendor = rows.db().vendor
        done = self._done.get(vendor)
        if done is not None:
            return done
        standins = self.standins()
        sql, params = self.build(**standins).query.sql_with_params()
        by_value = {}
        for name, value in standins.items():
            by_value[value] = name
            by_value[str(value)] = name  # a date adapted to text (SQLite)
        slots = [(i, by_value[p]) for i, p in enumerate(params) if _hashable(p) in by_value]
        missing = set(self.names) - {name for _i, name in slots}
        if missing:
            raise ImproperlyConfigured(f"parameters {sorted(missing)} not found in {sql}")
        with self._lock:
            self._done[vendor] = done = (sql, list(params), slots)
        return done

    def sql(self) -> str:
        return self.compiled()[0]

    def params(self, **values: Any) -> list[Any]:
        _sql, params, slots = self.compiled()
        out = list(params)
        ops = rows.db().ops
        for i, name in slots:
            value = values[name]
            out[i] = ops.adapt_datefield_value(value) if name in self.dates else value
        return out

    def queryset(self, **values: Any) -> QuerySet[Any]:
        """The QuerySet itself, for the ORM implementation."""
        return self.build(**values)


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return None
    return value


def _record_of(item_id: Any) -> Subquery:
    return Subquery(Item.objects.filter(pk=item_id).values("record_id")[:1])


_TEXT: CharField[str, str] = CharField()

#: the borrower of a copy: the patron of its open loan
OPEN_LOAN_BORROWER = Compiled(
    lambda item: Loan.objects.open().filter(item_id=item).values("patron_id"), "item"
)
#: whether a waiting hold can be served by the copy
HOLDS_WAITING = Compiled(
    lambda item: Hold.objects.waiting_for_copy(item, _record_of(item)).values("pk"), "item"
)
#: the open loan of a copy
OPEN_LOAN = Compiled(lambda item: Loan.objects.open().filter(item_id=item).values("pk"), "item")


def _blocks(patron: Any) -> QuerySet[Any]:
    return (
        PatronBlock.objects.filter(patron_id=patron, lifted_at__isnull=True)
        .annotate(k=Value("b"), t=F("reason"), n=F("id"))
        .values_list("k", "t", "n")
    )


def _fines(patron: Any) -> QuerySet[Any]:
    return (
        Fine.objects.unpaid()
        .filter(patron_id=patron)
        .annotate(k=Value("f"), t=Value("", output_field=_TEXT))
        .values_list("k", "t", "balance_cents")
    )


def _loans(patron: Any) -> QuerySet[Any]:
    return (
        Loan.objects.open()
        .filter(patron_id=patron)
        .values(t=F("doc_type"))
        .annotate(k=Value("l"), n=Count("pk"))
        .values_list("k", "t", "n")
    )


def _overdue(patron: Any, day: Any) -> QuerySet[Any]:
    return (
        Loan.objects.overdue(day)
        .filter(patron_id=patron)
        .values(k=Value("o"))
        .annotate(t=Value("", output_field=_TEXT), n=Count("pk"))
        .values_list("k", "t", "n")
    )


def _checkout_holds(patron: Any, item: Any) -> QuerySet[Any]:
    return (
        checkout_holds(patron, item)
        .annotate(k=Value("h"), t=Value("", output_field=_TEXT))
        .values_list("k", "t", "id")
    )


def checkout_holds(patron: Any, item: Any, record: Any = None) -> QuerySet[Hold]:
    """The holds a check-out of the copy concerns: its trap, whoever it is for, or this
    patron's waiting hold on its title."""
    return Hold.objects.filter(
        Q(trapped_item_id=item, status__in=TRAPPED_HOLD_STATUSES)
        | Q(
            patron_id=patron,
            status=HoldStatus.WAITING,
            record_id=_record_of(item) if record is None else record,
        )
    )


def _ready_holds(patron: Any) -> QuerySet[Any]:
    return (
        Hold.objects.filter(patron_id=patron, status=HoldStatus.READY)
        .annotate(k=Value("h"), t=Value("", output_field=_TEXT))
        .values_list("k", "t", "id")
    )


_snapshots: dict[tuple[bool, ...], Compiled] = {}


def snapshot_statement(
    *, fines: bool, loans: bool, overdue: bool, checkout: bool, ready: bool
) -> Compiled:
    """``patron_snapshot``'s one query (a UNION ALL of the parts asked for), compiled once
    per combination. Parameters: ``patron``, ``item`` (check-out holds), ``day`` (overdue)."""
    key = (fines, loans, overdue, checkout, ready)
    found = _snapshots.get(key)
    if found is not None:
        return found
    names = ["patron"] + (["item"] if checkout else []) + (["day"] if overdue else [])

    def build(patron: Any, item: Any = None, day: Any = None) -> QuerySet[Any]:
        parts = [_blocks(patron)]
        if fines:
            parts.append(_fines(patron))
        if loans:
            parts.append(_loans(patron))
        if overdue:
            parts.append(_overdue(patron, day))
        if checkout:
            parts.append(_checkout_holds(patron, item))
        if ready:
            parts.append(_ready_holds(patron))
        return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]

    found = _snapshots[key] = Compiled(build, *names, dates=("day",))
    return found


# --- the two implementations ------------------------------------------------------------------

#: the models the fast path writes without ``save()`` (no signal sent)
FAST_WRITTEN: tuple[type[Model], ...] = (
    Loan, Hold, Transit, Fine, Item, Patron, AuditEvent, CirculationFact, RecordChange,
)  # fmt: skip
_SIGNALS = (pre_save, post_save, pre_delete, post_delete)


def check_no_receivers() -> None:
    """Raise ``ImproperlyConfigured`` when a signal receiver listens to a model the fast
    path writes: it would silently not be called."""
    for model in FAST_WRITTEN:
        for signal in _SIGNALS:
            if signal.has_listeners(model):
                raise ImproperlyConfigured(
                    f"{model._meta.label} has {_signal_name(signal)} receivers, but the "
                    "circulation fast path (navette.circulation.store) writes it without "
                    "sending signals: move that logic into the services, or run with "
                    "OrmStore."
                )


def _signal_name(signal: Any) -> str:
    for name, candidate in (("pre_save", pre_save), ("post_save", post_save),
                            ("pre_delete", pre_delete), ("post_delete", post_delete)):  # fmt: skip
        if candidate is signal:
            return name
    return "signal"


class OrmStore:
    """Plain QuerySets: the reference implementation."""

    name = "orm"

    def atomic(self) -> AbstractContextManager[None]:
        return transaction.atomic()

    # reads (under the transaction's locks) --------------------------------------------------

    def checkout_reads(
        self, patron_id: int, item_id: int, settings: CirculationSettings
    ) -> tuple[list[Patron], list[Item], list[tuple[Any, ...]]]:
        """Lock the patron, then the copy; then read the patron's snapshot rows (blocks,
        fines, open loans by type, the holds this check-out concerns) and, where the
        database draws keys ahead, a ``('k', '', key)`` row with the new loan's key."""
        patrons = list(
            Patron.objects.select_for_update(of=("self",)).select_related("category")
            .filter(pk=patron_id)
        )  # fmt: skip
        items = list(
            Item.objects.select_for_update(of=("self",)).select_related("record")
            .filter(pk=item_id)
        )  # fmt: skip
        statement, values = _snapshot(patron_id, settings, loans=True, checkout_item=item_id)
        return patrons, items, list(statement.queryset(**values))

    def checkin_reads(self, item_id: int) -> tuple[Patron | None, Item, Loan | None]:
        """Lock the borrower (the patron of the copy's open loan), the copy, then its open
        loan, with ``holds_waiting``: whether a waiting hold can be served by the copy."""
        borrower = (
            Patron.objects.select_for_update(of=("self",)).select_related("category")
            .filter(pk__in=OPEN_LOAN_BORROWER.queryset(item=item_id)).first()
        )  # fmt: skip
        item = Item.objects.select_for_update(of=("self",)).select_related("record").get(pk=item_id)
        loan = Loan.objects.select_for_update(of=("self",)).open().filter(item_id=item_id).first()
        if loan is not None:
            loan.holds_waiting = HOLDS_WAITING.queryset(item=item_id).exists()  # type: ignore[attr-defined]
        return borrower, item, loan

    def patron_snapshot_rows(self, patron_id: int, settings: CirculationSettings,
                             **asked: Any) -> list[tuple[Any, ...]]:  # fmt: skip
        statement, values = _snapshot(patron_id, settings, **asked)
        return list(statement.queryset(**values))

    def borrower_id(self, item_id: int) -> int | None:
        return OPEN_LOAN_BORROWER.queryset(item=item_id).values_list("patron_id", flat=True).first()

    def lock_checkout_holds(self, patron_id: int, item: Item) -> list[Hold]:
        return list(
            checkout_holds(patron_id, item.pk, item.record_id)
            .select_for_update(of=("self",))
            .select_related("pickup_library")
            .order_by("pk")
        )

    def lock_waiting_holds(self, item: Item) -> list[Hold]:
        """Waiting holds the copy can serve, locked, oldest first."""
        return list(
            Hold.objects.waiting_for(item)
            .select_for_update(of=("self",))
            .order_by("placed_at", "pk")
        )

    def lock_trap(self, item_id: int) -> Hold | None:
        return (
            Hold.objects.select_for_update(of=("self",))
            .filter(trapped_item_id=item_id, status__in=TRAPPED_HOLD_STATUSES)
            .select_related("patron", "pickup_library")
            .first()
        )

    def hold_in_transit(self, hold_id: int) -> Hold | None:
        """The hold a transit carries its copy for, locked, if still on its way."""
        return (
            Hold.objects.select_for_update()
            .filter(pk=hold_id, status=HoldStatus.IN_TRANSIT)
            .first()
        )

    def open_transit(self, item_id: int, *, lock: bool = False) -> Transit | None:
        transits = Transit.objects.filter(item_id=item_id, status=TransitStatus.IN_TRANSIT)
        return (transits.select_for_update() if lock else transits).first()

    def transit_destination(self, item_id: int) -> str:
        return (
            Transit.objects.filter(item_id=item_id, status=TransitStatus.IN_TRANSIT)
            .values_list("to_library__commune", flat=True)
            .first()
            or ""
        )

    # writes ---------------------------------------------------------------------------------

    def add(self, obj: Model) -> None:
        """Insert a new row (its key is set)."""
        obj.save(force_insert=True)

    def save(self, obj: Model, fields: Sequence[str]) -> None:
        obj.save(update_fields=list(fields))

    def receive_transits(self, item_id: int, now: dt.datetime) -> None:
        """The copy's open transit arrives (a trapped copy lent on its way)."""
        Transit.objects.filter(item_id=item_id, status=TransitStatus.IN_TRANSIT).update(
            status=TransitStatus.RECEIVED, closed_at=now
        )


class FastStore(OrmStore):
    """The hot statements prebuilt (``navette.core.rows``), sent together on PostgreSQL."""

    name = "fast"

    def __init__(self) -> None:
        self._checked = False

    def atomic(self) -> AbstractContextManager[None]:
        if not self._checked:
            check_no_receivers()
            self._checked = True
        return rows.atomic_together()

    def checkout_reads(
        self, patron_id: int, item_id: int, settings: CirculationSettings
    ) -> tuple[list[Patron], list[Item], list[tuple[Any, ...]]]:
        statement, values = _snapshot(patron_id, settings, loans=True, checkout_item=item_id)
        sql, params = statement.sql(), statement.params(**values)
        next_key = rows.next_id_query(Loan)
        if next_key is not None:  # one more row of the snapshot: ('k', '', key)
            sql += f" UNION ALL SELECT 'k', '', ({next_key})"
        patrons, items, found = rows.read_together(
            (locks.PATRON_FOR_LOAN, [patron_id]), (locks.ITEM, [item_id]), (sql, params)
        )
        return patrons, items, found

    def checkin_reads(self, item_id: int) -> tuple[Patron | None, Item, Loan | None]:
        values = {"item": item_id}
        patrons, items, loans = rows.read_together(
            (_LOCK_BORROWER, OPEN_LOAN_BORROWER.params(**values)),
            (locks.ITEM, [item_id]),
            (_LOCK_OPEN_LOAN, [*HOLDS_WAITING.params(**values), *OPEN_LOAN.params(**values)]),
        )
        if not items:
            raise Item.DoesNotExist(f"Item {item_id}")
        return (patrons[0] if patrons else None), items[0], (loans[0] if loans else None)

    def patron_snapshot_rows(self, patron_id: int, settings: CirculationSettings,
                             **asked: Any) -> list[tuple[Any, ...]]:  # fmt: skip
        statement, values = _snapshot(patron_id, settings, **asked)
        (found,) = rows.read_together((statement.sql(), statement.params(**values)))
        return found

    def add(self, obj: Model) -> None:
        # a key drawn ahead (the loan's) needs nothing back; else the caller may need it at
        # once (an audit event naming the new transit): the insert is sent now
        rows.insert([obj], wait=obj.pk is None)

    def save(self, obj: Model, fields: Sequence[str]) -> None:
        rows.update(obj, fields)


#: the borrower of a copy, locked, with its category
_LOCK_BORROWER = rows.RowQuery(
    Patron, lambda: f"t.id = ({OPEN_LOAN_BORROWER.sql()})", related=("category",), lock=True,
    only=locks.LOAN_PATRON_FIELDS,
)  # fmt: skip
#: the open loan of a copy, locked, with whether a waiting hold can be served by the copy
_LOCK_OPEN_LOAN = rows.RowQuery(
    Loan, lambda: f"t.id = ({OPEN_LOAN.sql()})", lock=True,
    extra=[("holds_waiting", lambda: f"EXISTS ({HOLDS_WAITING.sql()})")],
)  # fmt: skip


def _snapshot(
    patron_id: int, settings: CirculationSettings, *, loans: bool = False,
    checkout_item: int | None = None, ready_holds: bool = False,
    overdue_before: dt.date | None = None, fines: bool = False,
) -> tuple[Compiled, dict[str, Any]]:  # fmt: skip
    statement = snapshot_statement(
        fines=settings.penalty == "fine" or fines, loans=loans,
        overdue=overdue_before is not None, checkout=checkout_item is not None, ready=ready_holds,
    )  # fmt: skip
    values: dict[str, Any] = {"patron": patron_id}
    if checkout_item is not None:
        values["item"] = checkout_item
    if overdue_before is not None:
        values["day"] = overdue_before
    return statement, values


_local = threading.local()
DEFAULT: OrmStore = FastStore()


def current() -> OrmStore:
    """The store the services use: ``FastStore`` unless ``use()`` says otherwise."""
    return getattr(_local, "store", None) or DEFAULT


@contextmanager
def use(store: OrmStore) -> Iterator[OrmStore]:
    """Run the services on ``store`` in this thread (the differential test's switch)."""
    before = getattr(_local, "store", None)
    _local.store = store
    try:
        yield store
    finally:
        _local.store = before
