"""A batch withdrawal racing check-outs of the same copies, on PostgreSQL: real threads,
one connection each. Each copy ends either lent or withdrawn, never both."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from navette.catalogue import batches
from navette.catalogue.models import Batch, BatchAction, Item, ItemStatus
from navette.circulation.models import Loan
from navette.circulation.services import loan_checkout
from navette.core.actors import Actor
from tests.catalogue.factories import make_item, make_record
from tests.circulation.conftest import NOW

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_batch_withdrawal_races_checkouts(libs, make_patron):
    """Ten desks lend ten copies while a batch withdraws all twenty: every lent copy is
    refused by the batch (copy_circulating) or refused at the desk (withdrawn); no copy
    is both; the batch's lines are exactly the withdrawn copies."""
    lens = libs["Lens"]
    record = make_record(title="Course")
    items = [make_item(library=lens, record=record, barcode=f"C{i:02d}") for i in range(20)]
    patrons = [make_patron(home="Lens") for _ in range(10)]
    actor = Actor.system("race")
    selection = batches.select_by_barcodes("\n".join(it.barcode for it in items))
    barrier = threading.Barrier(11)

    def withdraw():
        try:
            barrier.wait()
            return batches.batch_apply(selection=selection, actor=actor, now=NOW,
                                       change=batches.Change(action=BatchAction.WITHDRAW))  # fmt: skip
        finally:
            connection.close()

    def lend(n):
        try:
            barrier.wait()
            return loan_checkout(item=items[n], patron=patrons[n], library=lens, actor=actor,
                                 now=NOW)  # fmt: skip
        except Exception as exc:  # a refusal, asserted below
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(11) as pool:
        futures = [pool.submit(withdraw)] + [pool.submit(lend, n) for n in range(10)]
        results = [f.result() for f in futures]
    batch = results[0]
    assert isinstance(batch, Batch)
    lent = set(Loan.objects.values_list("item__barcode", flat=True))
    withdrawn = set(Item.objects.filter(status=ItemStatus.WITHDRAWN).values_list("barcode",
                                                                                 flat=True))  # fmt: skip
    assert not lent & withdrawn
    assert lent | withdrawn == {it.barcode for it in items}
    assert set(batch.lines.values_list("barcode", flat=True)) == withdrawn
    assert {r["barcode"] for r in batch.refused} == lent
    assert all(r["code"] == "copy_circulating" for r in batch.refused)
    assert Item.objects.filter(status=ItemStatus.ON_LOAN).count() == len(lent)
