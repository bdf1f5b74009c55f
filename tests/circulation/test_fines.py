"""Fines: payments and waivers at the desk, oldest fine first, never more than is due."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.errors import PatronRefused, PaymentRefused
from navette.circulation.models import CirculationSettings, Fine, FinePayment
from navette.circulation.selectors import patron_fines, patron_status
from navette.circulation.services import fines_pay, fines_waive, loan_checkout
from navette.core.clock import PARIS
from navette.core.models import AuditEvent, User
from navette.core.money import euros, parse_euros
from tests.circulation.factories import make_fine

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


@pytest.fixture
def fined(libs, make_patron, make_item):
    """A patron of Lens with two fines: 1,50 € (older) then 3,00 €; the network fines from 4 €."""
    CirculationSettings.objects.update(penalty="fine", fines_block_cents=400)
    patron = make_patron()
    fines = []
    for days, cents in ((20, 150), (10, 300)):
        at = NOW - dt.timedelta(days=days)
        fines.append(
            make_fine(
                patron=patron, library=libs["Lens"], amount_cents=cents, at=at, item=make_item()
            )
        )
    return patron, fines


@pytest.mark.parametrize(
    ("text", "cents"),
    [("2,50", 250), ("2.5", 250), ("12", 1200), ("0,05", 5), (" 3,00 € ", 300),
     ("abc", None), ("2,505", None), ("-1", None), ("", None), ("1,2,3", None)],
)  # fmt: skip
def test_parse_and_show_euros(text, cents):
    assert parse_euros(text) == cents
    if cents is not None:
        assert parse_euros(euros(cents)) == cents


def test_partial_payment_settles_the_oldest_fine_first(fined, libs, actor):
    patron, (older, newer) = fined
    result = fines_pay(
        patron=patron, amount_cents=200, method="cash", library=libs["Lens"], actor=actor, now=NOW
    )
    assert (result.amount_cents, result.due_cents, result.settled) == (200, 250, 1)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.paid_at == NOW and older.due_cents == 0
    assert newer.paid_at is None and newer.paid_cents == 50 and newer.due_cents == 250
    assert [f.pk for f in patron_fines(patron)] == [newer.pk]
    payment = FinePayment.objects.get()
    assert (payment.amount_cents, payment.method, payment.library) == (200, "cash", libs["Lens"])
    event = AuditEvent.objects.get(action="fine.pay")
    assert event.data["due_after_cents"] == 250 and event.library_id == libs["Lens"].pk
    assert patron_status(patron, NOW).fines_cents == 250


def test_paying_what_is_due_lifts_the_fines_block(fined, libs, make_item, actor):
    """4,50 € due blocks lending (limit 4 €); after paying 1 € the card borrows again."""
    patron, _ = fined
    item = make_item()
    with pytest.raises(PatronRefused) as refused:
        loan_checkout(item=item, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    assert "Amendes impayées : 4,50 €" in refused.value.message
    fines_pay(
        patron=patron, amount_cents=100, method="card", library=libs["Lens"], actor=actor, now=NOW
    )
    assert loan_checkout(item=item, patron=patron, library=libs["Lens"], actor=actor, now=NOW)


@pytest.mark.parametrize(
    ("amount", "message"),
    [(451, "Le montant (4,51 €) dépasse ce qui est dû (4,50 €)"), (0, "Montant invalide")],
)
def test_a_refused_payment_records_nothing(fined, libs, actor, amount, message):
    patron, _ = fined
    with pytest.raises(PaymentRefused) as refused:
        fines_pay(
            patron=patron, amount_cents=amount, method="cash", library=None, actor=actor, now=NOW
        )
    assert message in refused.value.message
    assert not FinePayment.objects.exists()
    assert sum(f.due_cents for f in Fine.objects.all()) == 450
    assert not AuditEvent.objects.filter(action="fine.pay").exists()


def test_nothing_due_is_said_so(libs, make_patron, actor):
    with pytest.raises(PaymentRefused) as refused:
        fines_pay(
            patron=make_patron(),
            amount_cents=100,
            method="cash",
            library=None,
            actor=actor,
            now=NOW,
        )
    assert refused.value.message == "Aucune amende à régler pour ce lecteur."


def test_waiver_needs_a_reason_and_is_audited(fined, libs, actor):
    patron, (older, newer) = fined
    with pytest.raises(ValueError):
        fines_waive(patron=patron, amount_cents=450, reason=" ", library=None, actor=actor, now=NOW)
    result = fines_waive(
        patron=patron, amount_cents=450, reason="Inondation au domicile", library=libs["Lens"],
        actor=actor, now=NOW,
    )  # fmt: skip
    assert (result.due_cents, result.settled) == (0, 2)
    assert patron_fines(patron) == []
    assert not FinePayment.objects.exists()  # a waiver is not money received
    event = AuditEvent.objects.get(action="fine.waive")
    assert event.data["reason"] == "Inondation au domicile"


def test_desk_shows_fines_and_records_a_payment(client, clock_at, fined, libs):
    clock_at(NOW)
    user = User.objects.create_user("bib", password="x", role="librarian")
    user.libraries.add(libs["Lens"])
    client.force_login(user)
    patron, _ = fined
    page = client.get(
        "/personnel/circulation/pret/", {"carte": patron.card_number}
    ).content.decode()
    assert "Amendes : 4,50 € à régler" in page
    assert 'value="4,50"' in page  # the amount field proposes what is due
    resp = client.post(
        "/personnel/circulation/amendes/",
        {"carte": patron.card_number, "montant": "2,00", "moyen": "cash", "action": "paiement"},
        follow=True,
    )
    html = resp.content.decode()
    assert "Paiement de 2,00 € enregistré ; reste dû : 2,50 €." in html
    assert FinePayment.objects.get().received_by == "bib"
    resp = client.post(
        "/personnel/circulation/amendes/",
        {"carte": patron.card_number, "montant": "9", "moyen": "cash", "action": "paiement"},
        follow=True,
    )
    assert "dépasse ce qui est dû (2,50 €)" in resp.content.decode()
    resp = client.post(
        "/personnel/circulation/amendes/",
        {"carte": patron.card_number, "montant": "deux", "moyen": "cash", "action": "paiement"},
        follow=True,
    )
    assert "Montant illisible : « deux »" in resp.content.decode()
    resp = client.post(
        "/personnel/circulation/amendes/",
        {"carte": patron.card_number, "montant": "2,50", "action": "remise", "motif": "Geste"},
        follow=True,
    )
    assert "Remise de 2,50 € enregistrée ; reste dû : 0,00 €." in resp.content.decode()
    assert (
        "à régler"
        not in client.get(
            "/personnel/circulation/pret/", {"carte": patron.card_number}
        ).content.decode()
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_paying_at_once_never_overpay(fined, libs):
    """Two desks each record 3 € against 4,50 € due at the same instant: one is refused."""
    import threading

    from django.db import connection

    from navette.core.actors import Actor

    patron, _ = fined
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay() -> None:
        try:
            barrier.wait()
            fines_pay(patron=patron, amount_cents=300, method="cash", library=None,
                      actor=Actor.system("desk"), now=NOW)  # fmt: skip
            outcomes.append("paid")
        except PaymentRefused as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[1] == "paid" and "dépasse ce qui est dû (1,50 €)" in sorted(outcomes)[0]
    assert FinePayment.objects.count() == 1
    assert sum(f.due_cents for f in Fine.objects.all()) == 150
