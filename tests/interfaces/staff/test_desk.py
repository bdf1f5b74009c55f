"""Desk pages over HTTP: scan a card and copies, return screen instructions, navette receipt."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Loan
from navette.circulation.services import hold_place
from navette.core.clock import PARIS
from navette.core.models import User

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, libs, clock_at):
    clock_at(NOW)
    user = User.objects.create_user("bib", password="x", role="librarian")
    user.libraries.add(libs["Avion"], libs["Lens"])
    client.force_login(user)
    return client


def test_lend_then_return_says_navette_vers_lens(desk, libs, make_patron, make_item, actor):
    """Scanning a card then a copy lends it; returning it at Avion says 'navette vers Lens' for a hold."""
    patron, item = make_patron(), make_item(owner="Harnes")
    page = desk.get(
        "/personnel/circulation/pret/",
        {"carte": patron.card_number, "bibliotheque": libs["Avion"].code},
    )
    assert b"autofocus" in page.content and patron.full_name.encode() in page.content
    resp = desk.post(
        "/personnel/circulation/pret/",
        {"carte": patron.card_number, "exemplaire": item.barcode},
        follow=True,
    )
    lent = f"« {item.record.title} » prêté à {patron.full_name}, à rendre le 25/03/2025."
    assert lent in resp.content.decode()
    assert Loan.objects.get().library == libs["Avion"]
    again = desk.post(
        "/personnel/circulation/pret/",
        {"carte": make_patron().card_number, "exemplaire": item.barcode},
        follow=True,
    )
    assert "Document déjà en prêt" in again.content.decode()
    hold_place(
        patron=make_patron(), record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    resp = desk.post("/personnel/circulation/retour/", {"exemplaire": item.barcode}, follow=True)
    assert "navette vers Lens" in resp.content.decode()
    resp = desk.get("/personnel/circulation/navette/")
    assert item.barcode in resp.content.decode()
    resp = desk.post(
        "/personnel/circulation/navette/",
        {"exemplaire": item.barcode, "bibliotheque": libs["Lens"].code},
        follow=True,
    )
    assert "étagère des réservations" in resp.content.decode()


def test_desk_needs_a_librarian(client, libs):
    assert client.get("/personnel/circulation/retour/").status_code == 302
    User.objects.create_user("stat", password="x", role="statistician")
    client.login(username="stat", password="x")
    assert client.get("/personnel/circulation/retour/").status_code == 403


def test_desk_renews_one_loan_or_all_and_says_why_one_is_refused(
    desk, libs, make_patron, make_item, actor, clock_at
):
    """At the desk, 'Prolonger' renews one loan under the lending library's rules; 'Tout
    prolonger' renews the others and says, per title, why a loan someone waits for is not."""
    from navette.circulation.services import loan_checkout

    patron = make_patron()
    free, wanted = make_item(), make_item()
    loans = [
        loan_checkout(item=it, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
        for it in (free, wanted)
    ]
    hold_place(
        patron=make_patron(), record=wanted.record, pickup_library=libs["Lens"], actor=actor,
        now=NOW,
    )  # fmt: skip
    page = desk.get("/personnel/circulation/pret/", {"carte": patron.card_number}).content.decode()
    assert "Tout prolonger" in page and f'name="pret" value="{loans[0].pk}"' in page
    clock_at(NOW + dt.timedelta(days=7))  # a week later, the patron asks for more time
    one = desk.post(
        "/personnel/circulation/prolonger/",
        {"carte": patron.card_number, "pret": loans[0].pk},
        follow=True,
    ).content.decode()
    due = Loan.objects.get(pk=loans[0].pk).due_on
    assert due > loans[0].due_on
    assert f"prolongé jusqu&#x27;au {due:%d/%m/%Y}" in one
    every = desk.post(
        "/personnel/circulation/prolonger/", {"carte": patron.card_number, "tout": "1"}, follow=True
    ).content.decode()
    assert "Prolongation refusée" in every and "réserv" in every.split("Prolongation refusée")[1]
    renewals = sorted(Loan.objects.filter(patron=patron).values_list("item_id", "renewals"))
    assert renewals == [(free.pk, 2), (wanted.pk, 0)]


def test_desk_cancels_a_hold_for_the_patron(desk, libs, make_patron, make_item, actor):
    from navette.circulation.models import Hold, HoldStatus

    patron, item = make_patron(), make_item()
    hold = hold_place(
        patron=patron, record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    other = make_patron()
    refused = desk.post(
        "/personnel/circulation/annuler-reservation/",
        {"carte": other.card_number, "reservation": hold.pk},
        follow=True,
    ).content.decode()
    assert "plus active" in refused  # a hold is cancelled only on its patron's card
    done = desk.post(
        "/personnel/circulation/annuler-reservation/",
        {"carte": patron.card_number, "reservation": hold.pk},
        follow=True,
    ).content.decode()
    assert f"Réservation de « {item.record.title} » annulée pour {patron.full_name}." in done
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.CANCELLED


def test_staff_record_page_places_a_hold_for_a_patron_and_lists_the_queue(
    desk, libs, make_patron, make_item
):
    """A librarian reserves a title for a patron who phoned: the portal's rules apply, the
    queue is listed on the staff record page, a refusal says why."""
    from navette.circulation.models import Hold

    item = make_item(owner="Harnes")
    first, second = make_patron(), make_patron()
    url = f"/personnel/catalogue/notices/{item.record_id}/"
    page = desk.get(url).content.decode()
    assert "Réserver pour un lecteur" in page and '<h2 id="reservations">0 réservation' in page
    unknown = desk.post(
        url + "reserver/", {"carte": "0000", "retrait": libs["Lens"].pk}, follow=True
    )
    assert "Carte inconnue : 0000." in unknown.content.decode()
    for patron in (first, second):
        done = desk.post(
            url + "reserver/",
            {"carte": patron.card_number, "retrait": libs["Lens"].pk},
            follow=True,
        ).content.decode()
        assert f"Réservé pour {patron.full_name}, à retirer à Lens." in done
    again = desk.post(
        url + "reserver/", {"carte": first.card_number, "retrait": libs["Lens"].pk}, follow=True
    ).content.decode()
    assert "déjà réservé par ce lecteur" in again
    assert Hold.objects.filter(record_id=item.record_id).count() == 2
    queue = again.split("2 réservations en cours")[1]
    assert queue.index(first.full_name) < queue.index(second.full_name)


def test_overdue_transit_declared_lost_from_the_navette_page(
    desk, libs, make_patron, make_item, actor, clock_at
):
    """A copy sent by the navette that never arrives is listed as overdue; declaring it lost
    marks the copy lost and puts its hold back in the queue."""
    from navette.catalogue.models import ItemStatus
    from navette.circulation.models import Hold, HoldStatus, Transit, TransitStatus
    from navette.circulation.services import loan_checkin

    item = make_item(owner="Avion")
    hold = hold_place(
        patron=make_patron(), record=item.record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    loan_checkin(item=item, library=libs["Avion"], actor=actor, now=NOW)  # pulled: to Lens
    transit = Transit.objects.get(item=item, status=TransitStatus.IN_TRANSIT)
    clock_at(NOW + dt.timedelta(days=30))
    page = desk.get("/personnel/circulation/navette/", {"bibliotheque": libs["Avion"].code})
    overdue = page.content.decode().split('id="transits-en-retard"')[1].split("<h2")[0]
    assert item.barcode in overdue and "Déclarer perdu" in overdue
    done = desk.post(
        "/personnel/circulation/navette/perdu/", {"transit": transit.pk}, follow=True
    ).content.decode()
    assert f"{item.barcode} déclaré perdu en transit." in done
    item.refresh_from_db()
    assert item.status == ItemStatus.LOST
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.WAITING
    again = desk.post(
        "/personnel/circulation/navette/perdu/", {"transit": transit.pk}, follow=True
    ).content.decode()
    assert "déjà clos" in again
