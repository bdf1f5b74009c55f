"""The circulation store: the fast path (FastStore: prebuilt statements, psycopg's pipeline
on PostgreSQL) leaves exactly the rows the ORM implementation (OrmStore, plain QuerySets)
leaves, scenario by scenario; and it refuses to run while a model it writes has signal
receivers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.signals import post_save

from navette.catalogue.models import Item, ItemStatus
from navette.circulation import store
from navette.circulation.errors import CirculationError
from navette.circulation.models import CirculationSettings, Fine, Hold, Loan, Transit
from navette.circulation.services import hold_place, loan_checkin, loan_checkout
from navette.circulation.services._common import clear_cache
from navette.core.clock import PARIS
from navette.core.models import AuditEvent, RecordChange
from navette.patrons.models import Patron, PatronBlock
from navette.stats.models import CirculationFact
from tests.circulation.conftest import NOW

pytestmark = pytest.mark.django_db

#: the tables a check-out or a return writes, compared row by row
TABLES: tuple[type[models.Model], ...] = (
    Loan, Hold, Transit, Fine, Item, Patron, AuditEvent, CirculationFact, RecordChange,
)  # fmt: skip
#: rows created by a scenario: their keys differ from one run to the other (sequences are
#: not rolled back), so they are named by their order of creation
CREATED = (Loan, Hold, Transit, Fine)
#: rows only ever appended (nothing refers to them): compared in order, without their keys
APPENDED = (AuditEvent, CirculationFact, RecordChange)
LATE = dt.datetime(2025, 3, 29, 11, tzinfo=PARIS)  # 4 days after a loan of NOW is due


@dataclass
class Desk:
    """The scenario's world: libraries, patrons, copies, and what each step answered."""

    libs: dict[str, Any]
    actor: Any
    patrons: dict[str, Patron] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    answers: list[Any] = field(default_factory=list)

    def lend(self, item: str, patron: str, at: str = "Lens", now: dt.datetime = NOW) -> None:
        try:
            loan = loan_checkout(item=self.items[item], patron=self.patrons[patron],
                                 library=self.libs[at], actor=self.actor, now=now)  # fmt: skip
            self.answers.append(("lent", item, patron, loan.due_on))
        except CirculationError as exc:
            self.answers.append(("refused", item, patron, exc.code))

    def give_back(self, item: str, at: str = "Lens", now: dt.datetime = NOW) -> None:
        result = loan_checkin(item=self.items[item], library=self.libs[at], actor=self.actor,
                              now=now)  # fmt: skip
        self.answers.append((
            "returned", item, str(result.action),
            result.destination.pk if result.destination else None,
            result.hold_patron.pk if result.hold_patron else None,
            result.days_late, str(result.kind), result.suspended_until, result.fine_cents,
        ))  # fmt: skip

    def hold(self, patron: str, item: str, pickup: str = "Lens") -> None:
        hold_place(patron=self.patrons[patron], record=self.items[item].record,
                   pickup_library=self.libs[pickup], actor=self.actor,
                   now=NOW - dt.timedelta(hours=1))  # fmt: skip


def _lend(d: Desk) -> None:
    d.lend("a", "p")


def _lend_and_return(d: Desk) -> None:
    d.lend("a", "p")
    d.give_back("a")


def _return_elsewhere_goes_home(d: Desk) -> None:
    d.lend("h", "p", at="Harnes")
    d.give_back("h", at="Lens")


def _hold_trapped_on_return_here(d: Desk) -> None:
    d.lend("a", "p")
    d.hold("q", "a", pickup="Lens")
    d.give_back("a", at="Lens")
    d.lend("a", "q")  # the hold is fulfilled


def _hold_trapped_on_return_elsewhere(d: Desk) -> None:
    d.lend("a", "p")
    d.hold("q", "a", pickup="Avion")
    d.give_back("a", at="Lens")  # into the navette, to Avion
    d.lend("a", "p")  # in transit for someone else: refused
    d.give_back("a", at="Avion")  # received at Avion: on the hold shelf
    d.lend("a", "q", at="Avion")


def _trapped_copy_lent_to_its_patron_on_the_way(d: Desk) -> None:
    d.lend("a", "p")
    d.hold("q", "a", pickup="Avion")
    d.give_back("a", at="Lens")
    d.lend("a", "q", at="Lens")  # the transit is closed with the loan


def _refused_max_loans(d: Desk) -> None:
    for n in range(6):  # 5 videos at most
        d.lend(f"v{n}", "p")


def _refused_blocked_patron(d: Desk) -> None:
    PatronBlock.objects.create(patron=d.patrons["p"], reason="carte perdue", created_at=NOW)
    d.lend("a", "p")


def _refused_already_on_loan(d: Desk) -> None:
    d.lend("a", "p")
    d.lend("a", "q")
    d.lend("a", "p")


def _late_return_suspends(d: Desk) -> None:
    d.lend("a", "p")
    d.give_back("a", now=LATE)
    d.lend("b", "p", now=LATE)  # suspended


def _late_return_fines_then_blocks(d: Desk) -> None:
    CirculationSettings.objects.update(penalty="fine", fines_block_cents=50)
    d.lend("a", "p")
    d.lend("b", "p")
    d.give_back("a", now=LATE + dt.timedelta(days=30))
    d.lend("c", "p", now=LATE + dt.timedelta(days=30))  # the fine's balance blocks
    Fine.objects.update(paid_cents=80)
    d.lend("c", "p", now=LATE + dt.timedelta(days=30))  # what is left no longer does


def _return_of_a_copy_not_on_loan(d: Desk) -> None:
    d.give_back("h", at="Lens")  # not on loan, owned by Harnes: sent home
    d.give_back("h", at="Harnes")  # received at home


SCENARIOS: dict[str, Callable[[Desk], None]] = {
    "lend": _lend,
    "lend and return": _lend_and_return,
    "return elsewhere: transit home": _return_elsewhere_goes_home,
    "hold trapped on return, shelf here": _hold_trapped_on_return_here,
    "hold trapped on return, navette": _hold_trapped_on_return_elsewhere,
    "trapped copy lent on its way": _trapped_copy_lent_to_its_patron_on_the_way,
    "refused: max loans": _refused_max_loans,
    "refused: blocked patron": _refused_blocked_patron,
    "refused: already on loan": _refused_already_on_loan,
    "late return: suspension": _late_return_suspends,
    "late return: fine, balance blocks": _late_return_fines_then_blocks,
    "return of a copy not on loan": _return_of_a_copy_not_on_loan,
}


def _rows(before: dict[type[models.Model], int]) -> dict[str, list[dict[str, Any]]]:
    """Every row of the compared tables, with the keys of rows the scenario created (and the
    references to them) named by order of creation, and automatic timestamps left out."""
    names: dict[tuple[type[models.Model], Any], str] = {}
    for model in CREATED:
        new = model.objects.filter(pk__gt=before[model]).order_by("pk").values_list("pk", flat=True)
        for n, pk in enumerate(new):
            names[(model, pk)] = f"{model.__name__} #{n + 1}"
    by_name = {m._meta.model_name: m for m in CREATED}
    out: dict[str, list[dict[str, Any]]] = {}
    for model in TABLES:
        fields = [
            f for f in model._meta.concrete_fields
            if not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
            and not (f.primary_key and model in APPENDED)
        ]  # fmt: skip
        rows = []
        for row in model.objects.order_by("pk").values(*[f.attname for f in fields]):
            for f in fields:
                target = f.related_model if f.is_relation else model if f.primary_key else None
                if target in CREATED:
                    row[f.attname] = names.get((target, row[f.attname]), row[f.attname])
            if model is AuditEvent and row["object_type"] in by_name:
                key = (by_name[row["object_type"]], int(row["object_id"]))
                row["object_id"] = names.get(key, row["object_id"])
            if model is AuditEvent and row["data"].get("hold") is not None:  # the hold fulfilled
                row["data"]["hold"] = names.get((Hold, row["data"]["hold"]), row["data"]["hold"])
            rows.append(row)
        if model in CREATED:
            # rows created by the scenario, in their order; the others by key
            rows.sort(key=lambda r: (isinstance(r["id"], str), str(r["id"])))
        out[model.__name__] = rows
    return out


def _run(implementation: store.OrmStore, scenario: Callable[[Desk], None], desk: Desk) -> Any:
    """The scenario on ``implementation``, in a savepoint rolled back afterwards: its answers
    and the rows it left."""
    before = {m: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
              for m in CREATED}  # fmt: skip
    desk.answers = []
    clear_cache()
    with transaction.atomic():
        with store.use(implementation):
            scenario(desk)
        seen = (list(desk.answers), _rows(before))
        transaction.set_rollback(True)
    clear_cache()
    return seen


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_the_fast_store_leaves_the_rows_the_orm_leaves(
    scenario, libs, make_patron, make_item, make_record, actor
):
    """The scenario run through FastStore and through OrmStore (each in a savepoint rolled
    back afterwards) gives the same answers and leaves identical rows in every table a
    check-out or a return writes."""
    desk = Desk(libs=libs, actor=actor)
    desk.patrons = {name: make_patron() for name in ("p", "q")}
    desk.items = {name: make_item() for name in ("a", "b", "c")}
    desk.items["h"] = make_item(owner="Harnes")
    desk.items.update({f"v{n}": make_item(doc_type="video") for n in range(6)})
    fast = _run(store.FastStore(), SCENARIOS[scenario], desk)
    orm = _run(store.OrmStore(), SCENARIOS[scenario], desk)
    assert fast[0] == orm[0]
    for table in fast[1]:
        assert fast[1][table] == orm[1][table], table
    assert fast[0], "the scenario answered nothing"


def test_the_store_compiles_the_querysets_vocabulary():
    """The fast path's statements are the QuerySets' own SQL: the open loan is
    ``Loan.objects.open()``'s condition, the fine balance ``Fine.objects.unpaid()``'s."""
    open_sql = str(Loan.objects.open().query)
    assert '"returned_at" IS NULL' in open_sql
    assert '"returned_at" IS NULL' in store.OPEN_LOAN.sql()
    snapshot = store.snapshot_statement(fines=True, loans=True, overdue=True, checkout=True,
                                        ready=True).sql()  # fmt: skip
    balance = str(Fine.objects.unpaid().values("balance_cents").query)
    expression = balance[len("SELECT ") : balance.index(" AS ")]
    assert expression in snapshot


def test_the_fast_path_refuses_models_with_signal_receivers(libs, make_patron, make_item, actor):
    """A post_save receiver on a model the fast path writes without save() would silently
    not run: the first loan through FastStore raises ImproperlyConfigured, nothing written;
    OrmStore, which saves, still works."""

    def receiver(**kwargs: Any) -> None:
        pass

    post_save.connect(receiver, sender=Loan, dispatch_uid="test-store-receiver")
    try:
        item = make_item()
        with pytest.raises(ImproperlyConfigured, match="circulation.Loan has post_save"):
            with store.use(store.FastStore()):
                loan_checkout(item=item, patron=make_patron(), library=libs["Lens"],
                              actor=actor, now=NOW)  # fmt: skip
        assert not Loan.objects.exists()
        with store.use(store.OrmStore()):
            loan_checkout(item=item, patron=make_patron(), library=libs["Lens"], actor=actor,
                          now=NOW)  # fmt: skip
        assert Item.objects.get(pk=item.pk).status == ItemStatus.ON_LOAN
    finally:
        post_save.disconnect(receiver, sender=Loan, dispatch_uid="test-store-receiver")
