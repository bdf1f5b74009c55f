"""The staff workspace over HTTP: its own layout, refusals as alerts, the desk's library
chosen once, actions offered only where they can succeed, confirmation pages for what
cannot be undone, printed slips (PDF read back with pypdf), crates leaving, and the warning
when an event falls on a day its library is closed."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from navette.circulation.models import Crate, Hold, HoldStatus, Transit, TransitStatus
from navette.circulation.services import hold_place, loan_checkin, loan_checkout, loan_renew
from navette.core.clock import PARIS
from navette.core.models import AuditEvent, User
from navette.events.models import Event

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db
CHECKOUT = "/personnel/circulation/pret/"


@pytest.fixture
def librarian(libs, clock_at):
    clock_at(NOW)
    user = User.objects.create_user("bib", password="x", role="librarian", first_name="Anne",
                                    last_name="Leroy")  # fmt: skip
    user.libraries.add(libs["Avion"], libs["Lens"])
    return user


@pytest.fixture
def desk(client, librarian):
    client.force_login(librarian)
    return client


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_staff_pages_have_their_own_layout_and_refusals_are_alerts(
    desk, libs, make_patron, make_item
):
    """Staff pages open in the workspace's layout (its menu, no portal menu); a loan said
    with its title and the patron's name is a status, a refusal an alert (role=alert,
    red with a cross)."""
    patron, item = make_patron(first_name="Jeanne", last_name="Martin"), make_item(owner="Lens")
    page = desk.get(CHECKOUT, {"bibliotheque": libs["Lens"].code}).content.decode()
    assert 'class="staff-menu"' in page and 'class="main-nav"' not in page
    assert "Préférences" in page

    page = desk.post(CHECKOUT, {"carte": patron.card_number, "exemplaire": item.barcode},
                     follow=True).content.decode()  # fmt: skip
    said = f"« {item.record.title} » prêté à Jeanne Martin, à rendre le 25/03/2025."
    assert 'role="status">' in page and said in page
    assert 'role="alert"' not in page

    other = make_patron()
    page = desk.post(CHECKOUT, {"carte": other.card_number, "exemplaire": item.barcode},
                     follow=True).content.decode()  # fmt: skip
    alert = page[page.index('class="alert alert-error') :].split("</p>")[0]
    assert 'role="alert"' in alert and 'class="alert-icon"' in alert
    assert f"« {item.record.title} » ({item.barcode}) : Document déjà en prêt" in alert


def test_a_return_names_the_title_and_the_borrower(desk, libs, make_patron, make_item, actor):
    """Returning a lent copy says '« Titre » rendu par Jeanne Martin' and what to do."""
    patron, item = make_patron(first_name="Jeanne", last_name="Martin"), make_item(owner="Lens")
    loan_checkout(item=item, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    page = desk.post("/personnel/circulation/retour/",
                     {"exemplaire": item.barcode, "bibliotheque": libs["Lens"].code},
                     follow=True).content.decode()  # fmt: skip
    assert f"« {item.record.title} » rendu par Jeanne Martin : à ranger en rayon." in page


def test_the_desk_library_is_chosen_once(client, librarian, libs):
    """Choosing Lens in the desk's menu is remembered with the account: a new session (the
    next morning) opens the desk at Lens, not at the first library in French order (Avion);
    the preferences page changes it too, and refuses a library the account does not work at."""
    client.force_login(librarian)
    client.get(CHECKOUT, {"bibliotheque": libs["Lens"].code})
    librarian.refresh_from_db()
    assert librarian.desk_library == libs["Lens"]
    client.logout()
    client.force_login(librarian)
    assert "<h1>Prêt — Lens</h1>" in client.get(CHECKOUT).content.decode()

    page = client.post("/personnel/preferences/", {"bibliotheque": libs["Avion"].code, "son": "1"},
                       follow=True).content.decode()  # fmt: skip
    assert "Préférences enregistrées." in page and 'data-alert-sound="on"' in page
    librarian.refresh_from_db()
    assert (librarian.desk_library, librarian.alert_sound) == (libs["Avion"], True)
    assert AuditEvent.objects.filter(action="staff.preferences_change").count() == 1
    page = client.post("/personnel/preferences/",
                       {"bibliotheque": libs["Harnes"].code}, follow=True).content.decode()  # fmt: skip
    assert f"Bibliothèque inconnue : {libs['Harnes'].code}." in page
    librarian.refresh_from_db()
    assert (librarian.desk_library, librarian.alert_sound) == (libs["Avion"], True)


def test_renew_is_offered_only_where_it_can_succeed(desk, libs, make_patron, make_item, actor):
    """A loan renewed twice (the rules allow 2) shows no 'Prolonger' button but 'limite de
    prolongations atteinte'; a loan someone else reserved says so; a free loan keeps its
    button; 'Tout prolonger' is offered while one loan can be renewed."""
    patron = make_patron()
    used, wanted, free = make_item(), make_item(), make_item()
    loans = [loan_checkout(item=it, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
             for it in (used, wanted, free)]  # fmt: skip
    for _ in range(2):
        loan_renew(loan=loans[0], actor=actor, now=NOW)
    hold_place(patron=make_patron(), record=wanted.record, pickup_library=libs["Lens"],
               actor=actor, now=NOW)  # fmt: skip
    page = desk.get(CHECKOUT, {"carte": patron.card_number}).content.decode()
    rows = {loan.pk: page.split(f"<td>{loan.item.barcode}</td>")[1].split("</tr>")[0]
            for loan in loans}  # fmt: skip
    assert "Non prolongeable : limite de prolongations atteinte" in rows[loans[0].pk]
    assert 'name="pret"' not in rows[loans[0].pk]
    assert "Non prolongeable : réservé par un autre lecteur" in rows[loans[1].pk]
    assert f'name="pret" value="{loans[2].pk}"' in rows[loans[2].pk]
    assert "Tout prolonger" in page


def test_cancelling_a_hold_asks_for_confirmation_first(desk, libs, make_patron, make_item, actor):
    """'Annuler…' leads to a confirmation page (a plain link and form: no JavaScript needed)
    naming the title and the patron; nothing is cancelled until it is confirmed."""
    patron, item = make_patron(first_name="Jeanne", last_name="Martin"), make_item()
    hold = hold_place(patron=patron, record=item.record, pickup_library=libs["Lens"],
                      actor=actor, now=NOW)  # fmt: skip
    page = desk.get(CHECKOUT, {"carte": patron.card_number}).content.decode()
    link = f"/personnel/circulation/annuler-reservation/?carte={patron.card_number}&amp;reservation={hold.pk}"
    assert link in page
    confirm = desk.get(link.replace("&amp;", "&")).content.decode()
    assert f"Annuler la réservation de « {item.record.title} » pour Jeanne Martin ?" in confirm
    assert "Confirmer l'annulation" in confirm
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.WAITING
    done = desk.post("/personnel/circulation/annuler-reservation/",
                     {"carte": patron.card_number, "reservation": hold.pk},
                     follow=True).content.decode()  # fmt: skip
    assert f"Réservation de « {item.record.title} » annulée pour Jeanne Martin." in done
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.CANCELLED


def test_declaring_a_transit_lost_asks_for_confirmation_first(
    desk, libs, make_patron, make_item, actor
):
    """'Déclarer perdu…' shows a confirmation page; the copy is lost only once confirmed."""
    item = make_item(owner="Lens")
    hold_place(patron=make_patron(home="Avion"), record=item.record, pickup_library=libs["Avion"],
               actor=actor, now=NOW)  # fmt: skip
    loan_checkin(item=item, library=libs["Lens"], actor=actor, now=NOW)
    transit = Transit.objects.get(item=item)
    confirm = desk.get("/personnel/circulation/navette/perdu/", {"transit": transit.pk})
    assert "Confirmer la perte" in confirm.content.decode()
    assert Transit.objects.get(pk=transit.pk).status == TransitStatus.IN_TRANSIT
    desk.post("/personnel/circulation/navette/perdu/", {"transit": transit.pk})
    assert Transit.objects.get(pk=transit.pk).status == TransitStatus.LOST


def test_loan_receipt_prints_from_the_desk_as_a_pdf(desk, libs, make_patron, make_item, actor):
    """The desk links to the patron's loan receipt; its PDF names the library, the patron,
    each title with its barcode and due day."""
    patron = make_patron(first_name="Jeanne", last_name="Martin")
    items = [make_item(owner="Lens"), make_item(owner="Lens")]
    for item in items:
        loan_checkout(item=item, patron=patron, library=libs["Lens"], actor=actor, now=NOW)
    page = desk.get(CHECKOUT, {"carte": patron.card_number, "bibliotheque": libs["Lens"].code})
    link = f"/personnel/circulation/recu.pdf?carte={patron.card_number}"
    assert link in page.content.decode()
    printable = desk.get("/personnel/circulation/recu/", {"carte": patron.card_number})
    assert "data-print" in printable.content.decode()

    text = _pdf_text(desk.get(link))

    assert "Reçu de prêt" in text and "Jeanne Martin" in text and patron.card_number in text
    assert str(libs["Lens"]) in text and "2 documents empruntés" in text
    for item in items:
        assert item.barcode in text
    assert text.count("25/03/2025") == 2


def test_crate_slip_prints_as_a_pdf_and_the_crate_leaves(desk, libs, make_patron, make_item, actor):
    """Lens's navette page groups the copies for Avion into one crate with its slip; the
    slip's PDF lists them; 'Caisse … partie' records the crate (its slip stays printable)
    and the copies are no longer to send."""
    items = [make_item(owner="Lens"), make_item(owner="Lens")]
    for item in items:
        hold_place(patron=make_patron(home="Avion", last_name="Durand"), record=item.record,
                   pickup_library=libs["Avion"], actor=actor, now=NOW)  # fmt: skip
        loan_checkin(item=item, library=libs["Lens"], actor=actor, now=NOW)
    code = libs["Avion"].code
    page = desk.get("/personnel/circulation/navette/", {"bibliotheque": libs["Lens"].code})
    page = page.content.decode()
    assert f"Caisse pour {libs['Avion']} : 2 documents" in page
    assert f"/personnel/circulation/navette/bordereau/{code}.pdf" in page

    text = _pdf_text(desk.get(f"/personnel/circulation/navette/bordereau/{code}.pdf"))

    assert "Bordereau de navette" in text and f"Pour : {libs['Avion']}" in text
    assert f"De {libs['Lens']}" in text and "2 documents" in text
    for item in items:
        assert item.barcode in text
    assert text.count("Réservation (DURAND)") == 2

    ids = list(Transit.objects.values_list("pk", flat=True))
    said = desk.post("/personnel/circulation/navette/caisse-partie/",
                     {"vers": code, "transit": ids}, follow=True).content.decode()  # fmt: skip
    assert f"Caisse pour {libs['Avion']} partie avec 2 documents." in said
    crate = Crate.objects.get()
    assert set(crate.transits.values_list("pk", flat=True)) == set(ids)
    assert "Rien à envoyer." in said
    sent = _pdf_text(desk.get(f"/personnel/circulation/navette/caisses/{crate.pk}.pdf"))
    assert f"Caisse n° {crate.pk}" in sent and items[0].barcode in sent


def test_an_event_on_a_closed_day_is_saved_only_once_confirmed(desk, libs):
    """Lens is closed on Mondays: an event planned on Monday 10 March 2025 is not saved but
    the form warns (role=alert) and asks for a confirmation; confirmed, it is saved. A
    Tuesday needs no confirmation."""
    form = {
        "title": "Atelier", "description": "", "library": str(libs["Lens"].pk), "place_name": "",
        "place_address": "", "starts_at": "2025-03-10T14:00", "ends_at": "2025-03-10T16:00",
        "audience": "adultes", "theme": "", "programme": "", "is_free": "on", "price": "",
        "accessibility": "", "capacity": "", "image_alt": "", "registration_opens_at": "",
        "registration_closes_at": "", "repeat_until": "",
    }  # fmt: skip
    page = desk.post("/personnel/evenements/nouveau/", form).content.decode()
    assert 'role="alert" id="fermeture"' in page
    assert "est fermée ce jour-là" in page and "lundi 10 mars 2025" in page
    assert Event.objects.count() == 0
    resp = desk.post("/personnel/evenements/nouveau/", {**form, "malgre_fermeture": "1"})
    assert resp.status_code == 302 and Event.objects.count() == 1
    tuesday = {**form, "starts_at": "2025-03-11T14:00", "ends_at": "2025-03-11T16:00"}
    assert desk.post("/personnel/evenements/nouveau/", tuesday).status_code == 302
