"""Concurrency on PostgreSQL: real threads, one connection each, row locks and constraints."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from navette.catalogue.models import Item, ItemStatus
from navette.circulation.errors import CirculationError
from navette.circulation.models import Hold, HoldStatus, Loan, Transit, TransitStatus
from navette.circulation.services import hold_place, loan_checkin, loan_checkout, loan_renew
from navette.core.clock import PARIS

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True, params=["plain", "prepared"])
def statements(request, monkeypatch):  # type: ignore[no-untyped-def]
    """Each race twice: with the application's default connections, and with prepared
    statements, as the SIP2 server runs (NAVETTE_DB_PREPARED: every thread's connection)."""
    if request.param == "prepared":
        from django.conf import settings

        connection.close()
        for option, value in settings.NAVETTE_DB_PREPARED_OPTIONS.items():
            monkeypatch.setitem(connection.settings_dict["OPTIONS"], option, value)
    yield request.param
    connection.close()


def _race(fns):
    """Run the callables at once (a barrier releases them together); return results or errors."""
    barrier = threading.Barrier(len(fns))

    def run(fn):
        try:
            barrier.wait()
            return fn()
        except Exception as exc:  # collected and asserted by the test
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(len(fns)) as pool:
        return list(pool.map(run, fns))


def test_twenty_desks_lend_one_copy(libs, make_patron, make_item, actor):
    """20 threads lend the same copy to 20 patrons: exactly one loan, 19 clear refusals."""
    item = make_item()
    patrons = [make_patron() for _ in range(20)]
    libraries = list(libs.values())
    results = _race(
        [
            (
                lambda p=p, i=i: loan_checkout(
                    item=item, patron=p, library=libraries[i % len(libraries)], actor=actor, now=NOW
                )
            )
            for i, p in enumerate(patrons)
        ]
    )
    loans = [r for r in results if isinstance(r, Loan)]
    refusals = [r for r in results if isinstance(r, CirculationError)]
    assert len(loans) == 1 and len(refusals) == 19, results
    assert {r.code for r in refusals} == {"item_on_loan"}
    assert {r.message for r in refusals} == {"Document déjà en prêt : il doit d'abord être rendu."}
    assert Loan.objects.filter(item=item, returned_at__isnull=True).count() == 1
    assert Item.objects.get(pk=item.pk).status == ItemStatus.ON_LOAN


def test_mixed_returns_renewals_and_holds_stay_consistent(libs, make_patron, make_item, actor):
    """Concurrent returns at two desks, renewals and holds on the same copies leave one coherent state:
    each copy returned once, trapped at most once, every hold trapped at most once."""
    items = [make_item(owner="Harnes") for _ in range(4)]
    borrowers = [make_patron() for _ in items]
    loans = [
        loan_checkout(item=it, patron=p, library=libs["Harnes"], actor=actor, now=NOW)
        for it, p in zip(items, borrowers, strict=True)
    ]
    waiting = [make_patron() for _ in range(4)]
    later = NOW + dt.timedelta(days=3)
    fns = []
    for it, loan in zip(items, loans, strict=True):
        fns.append(
            lambda it=it: loan_checkin(item=it, library=libs["Avion"], actor=actor, now=later)
        )
        fns.append(
            lambda it=it: loan_checkin(item=it, library=libs["Lens"], actor=actor, now=later)
        )
        fns.append(lambda loan=loan: loan_renew(loan=loan, actor=actor, now=later))
    for i, p in enumerate(waiting):
        rec = items[i].record
        fns.append(
            lambda p=p, rec=rec: hold_place(
                patron=p, record=rec, pickup_library=libs["Lens"], actor=actor, now=later
            )
        )
    results = _race(fns)
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, CirculationError)
    ]
    assert not unexpected, unexpected
    for it in items:
        it.refresh_from_db()
        assert Loan.objects.filter(item=it, returned_at__isnull=True).count() == 0
        traps = Hold.objects.filter(
            trapped_item=it, status__in=[HoldStatus.IN_TRANSIT, HoldStatus.READY]
        )
        transits = Transit.objects.filter(item=it, status=TransitStatus.IN_TRANSIT)
        assert traps.count() <= 1 and transits.count() <= 1
        hold = Hold.objects.filter(record=it.record).first()
        assert hold is not None
        if hold.status == HoldStatus.WAITING:
            # the returns came first: the copy went home (or stays) untrapped
            assert it.status in (ItemStatus.IN_TRANSIT, ItemStatus.AVAILABLE)
        else:
            assert hold.trapped_item_id == it.pk
            assert it.status in (ItemStatus.IN_TRANSIT, ItemStatus.ON_HOLD_SHELF)
