"""A patron registered in two libraries before go-live, merged at import: either card works at
the desk and at a kiosk, and the loans of both sources are in one account."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password

from navette.circulation.models import Hold, HoldStatus, Loan
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.models import AuditEvent
from navette.desk.identifiers import kiosk_patron_by_card, patron_by_card
from navette.desk.loans import desk_checkout
from navette.golive.engine import NetworkImport
from navette.golive.mapping import mapping_from_dict
from navette.golive.services import MergeRefused, patron_merge
from navette.network.scope import OutOfScope
from navette.patrons.models import Patron, PatronBlock, PatronCard
from tests.interfaces.sip2.conftest import NOW, PIN
from tests.interfaces.sip2.test_handlers import B, T, logged_in, talk

SYSTEM = Actor.system("tests")


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


@pytest.fixture
def merged(world, tmp_path):
    """Camille Dupont-Martin has card 7001 at Lens (a loan of 31000001) and, written
    "DUPONT MARTIN", card 8001 at Liévin (a loan of 31000002)."""
    pin = make_password(PIN)
    header = "card,last_name,first_name,birth_date,category,library,pin_hash\n"
    write(
        tmp_path,
        "patrons.lens.csv",
        header + f"7001,Dupont-Martin,Camille,1980-05-04,adulte,lens,{pin}\n",
    )
    write(
        tmp_path,
        "patrons.lievin.csv",
        header + f"8001,DUPONT MARTIN,Camille,04/05/1980,adulte,lievin,{pin}\n",
    )
    write(
        tmp_path,
        "loans.lens.csv",
        "card,barcode,loaned_on,due_on\n7001,31000001,2026-02-20,2026-03-20\n",
    )
    write(
        tmp_path,
        "loans.lievin.csv",
        "card,barcode,loaned_on,due_on\n8001,31000002,2026-02-25,2026-03-25\n",
    )
    report = NetworkImport(tmp_path, mapping_from_dict({"patrons": {"merge": "exact"}}),
                           apply=True, now=NOW).run()  # fmt: skip
    assert report.counts["patrons.merged"] == 1
    return Patron.objects.get(card_number="7001")


def test_either_card_borrows_at_the_desk_and_at_a_kiosk(merged, world, django_assert_num_queries):
    """The alias card finds the merged patron at the desk and at a kiosk; a loan with each
    card lands in the one account, with the loans of both sources."""
    assert patron_by_card("8001") == merged
    assert kiosk_patron_by_card("80 01") == merged
    with django_assert_num_queries(1):  # a current card: the alias is never read
        assert kiosk_patron_by_card("7001") == merged
    outcome = desk_checkout(card="8001", barcode="31000003", library=world.lens, actor=SYSTEM,
                            now=NOW)  # fmt: skip
    assert outcome.ok, outcome.code
    session = logged_in()
    assert "BLY|CQY|" in talk(session, f"23000{T}AOrelire|AA8001|AC|AD{PIN}|")
    answer = talk(session, f"11YN{T}{B}AOrelire|AA8001|AB31000004|AC|")
    assert answer.startswith("121"), answer
    assert "BLY|CQY|" in talk(session, f"23000{T}AOrelire|AA7001|AC|AD{PIN}|")
    answer = talk(session, f"11YN{T}{B}AOrelire|AA7001|AB31000005|AC|")
    assert answer.startswith("121"), answer
    loans = Loan.objects.open().filter(patron=merged)
    assert sorted(loans.values_list("item__barcode", flat=True)) == [
        f"3100000{n}" for n in range(1, 6)
    ]
    info = talk(session, f"63000{T}  Y       AOrelire|AA8001|AD{PIN}|")
    assert "BLY|CQY|" in info
    assert all(f"AU3100000{n}|" in info for n in range(1, 6)), info


def test_patron_merge_moves_everything_and_keeps_the_queue(world, clock_at):
    """Merging two existing patrons: loans, holds (the first placed keeps its place; the
    duplicate on one title is cancelled) and cards move; the other card works as an alias;
    the merge is audited and refused to the same patron."""
    keep, other = world.patron, world.other
    record = world.items[0].record
    first = Hold.objects.create(patron=other, record=record, pickup_library=world.lens,
                                placed_at=NOW - dt.timedelta(days=3))  # fmt: skip
    someone = Patron.objects.create(
        card_number="29009999", first_name="A", last_name="B", category=keep.category,
        home_library=world.lens, membership_expires_on=dt.date(2027, 1, 1),
    )  # fmt: skip
    middle = Hold.objects.create(patron=someone, record=record, pickup_library=world.lens,
                                 placed_at=NOW - dt.timedelta(days=2))  # fmt: skip
    late = Hold.objects.create(patron=keep, record=record, pickup_library=world.lens,
                               placed_at=NOW - dt.timedelta(days=1))  # fmt: skip
    Loan.objects.create(item=world.items[1], patron=other, library=world.lens, doc_type="book",
                        loaned_at=NOW, due_on=NOW.date())  # fmt: skip
    PatronBlock.objects.create(patron=other, reason="Carte perdue", created_at=NOW)
    with pytest.raises(MergeRefused):
        patron_merge(keep=keep, other=keep, actor=SYSTEM, now=NOW)
    patron_merge(keep=keep, other=other, actor=SYSTEM, now=NOW)
    assert not Patron.objects.filter(pk=other.pk).exists()
    assert Loan.objects.get(item=world.items[1]).patron == keep
    assert PatronBlock.objects.get().patron == keep
    queue = list(Hold.objects.active().filter(record=record).order_by("placed_at"))
    assert queue == [first, middle]
    assert queue[0].patron == keep
    late.refresh_from_db()
    assert late.status == HoldStatus.CANCELLED
    assert PatronCard.objects.get(number="29000002").is_alias
    assert patron_by_card("29000002") == keep
    assert AuditEvent.objects.filter(action=AuditAction.PATRON_MERGE).count() == 1


def test_only_network_administrators_merge(world, django_user_model):
    """A librarian may not merge patrons (a network-wide act): refused before any change."""
    user = django_user_model.objects.create_user(username="bib", password="x", role="librarian")
    with pytest.raises(OutOfScope):
        patron_merge(keep=world.patron, other=world.other, actor=Actor.staff(user), now=NOW)
    assert Patron.objects.filter(pk=world.other.pk).exists()
