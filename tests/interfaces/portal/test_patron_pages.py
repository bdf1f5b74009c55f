"""Account and staff patron pages through HTTP (Django test client)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core import mail

from navette.core import clock
from navette.core.models import Role, User
from navette.patrons.models import Patron
from navette.patrons.services import patron_authenticate
from navette.patrons.session import SESSION_KEY
from tests.network.factories import make_library
from tests.patrons.factories import make_category, make_patron

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=clock.PARIS)


@pytest.fixture
def now(clock_at):
    return clock_at(NOW)


def _login(client, patron, pin="1234"):
    return client.post(
        "/compte/connexion/", {"card_number": patron.card_number, "pin": pin, "next": "/compte/"}
    )


def test_account_needs_login_and_login_redirects_back(client, now):
    """/compte/ sends visitors to the login page; a good login goes to ``next``."""
    patron = make_patron(now=NOW)
    response = client.get("/compte/coordonnees/")
    assert response.status_code == 302
    assert response["Location"] == "/compte/connexion/?next=%2Fcompte%2Fcoordonnees%2F"
    response = client.post(
        "/compte/connexion/",
        {"card_number": patron.card_number, "pin": "1234", "next": "/compte/coordonnees/"},
    )
    assert response["Location"] == "/compte/coordonnees/"
    assert client.session[SESSION_KEY] == patron.pk


def test_login_refuses_foreign_next(client, now):
    """An open redirect through ``next`` is not possible."""
    patron = make_patron(now=NOW)
    response = client.post(
        "/compte/connexion/",
        {"card_number": patron.card_number, "pin": "1234", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/compte/"


def test_wrong_pin_page_says_the_same_as_unknown_card(client, now):
    """Unknown card and wrong PIN render the same message (status 401)."""
    patron = make_patron(now=NOW)
    wrong = client.post("/compte/connexion/", {"card_number": patron.card_number, "pin": "9999"})
    unknown = client.post("/compte/connexion/", {"card_number": "123", "pin": "9999"})
    assert wrong.status_code == unknown.status_code == 401
    assert "Numéro de carte ou code incorrect." in wrong.content.decode()
    assert "Numéro de carte ou code incorrect." in unknown.content.decode()


def test_pin_reset_by_mail_link_works_once(client, now, django_capture_on_commit_callbacks):
    """The reset link arrives by mail, sets a new PIN, and cannot be used twice."""
    patron = make_patron(now=NOW, email="lucie@example.org")
    with_unknown = client.post(
        "/compte/code-oublie/", {"card_number": patron.card_number, "email": "x@example.org"}
    )
    assert with_unknown.status_code == 302
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves after commit
        response = client.post(
            "/compte/code-oublie/",
            {"card_number": patron.card_number, "email": "Lucie@example.org"},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/compte/code-oublie/\S+/)", mail.outbox[0].body).group(1)
    form = {"new": "8642", "confirm": "8642"}
    assert client.post(link, form).status_code == 302
    assert patron_authenticate(card_number=patron.card_number, pin="8642", now=NOW, ip="x")
    assert client.post(link, form).status_code == 400


def test_contact_and_preferences(client, now):
    """The patron updates contact details, notices and history consent (a new e-mail
    address with the current PIN)."""
    patron = make_patron(now=NOW)
    _login(client, patron)
    response = client.post(
        "/compte/coordonnees/",
        {"email": "new@example.org", "current_pin": "1234", "phone": "03 21 00 00 00", "street": "2 rue Basly",
         "postcode": "62300", "city": "Lens", "notify_by_email": "on", "history_opt_in": "on",
         "preferred_language": "en"},
    )  # fmt: skip
    assert response.status_code == 302
    patron.refresh_from_db()
    assert (patron.email, patron.history_opt_in, patron.preferred_language) == (
        "new@example.org", True, "en",
    )  # fmt: skip
    refused = client.post(
        "/compte/coordonnees/",
        {"email": "", "current_pin": "1234", "notify_by_email": "on", "preferred_language": "fr"},
    )
    assert "Indiquez une adresse électronique" in refused.content.decode()


def test_pin_change(client, now):
    """The current PIN is required to choose a new one."""
    patron = make_patron(now=NOW)
    _login(client, patron)
    bad = client.post("/compte/code/", {"current": "0000", "new": "5555", "confirm": "5555"})
    assert "Le code actuel est incorrect." in bad.content.decode()
    ok = client.post("/compte/code/", {"current": "1234", "new": "5555", "confirm": "5555"})
    assert ok.status_code == 302
    assert patron_authenticate(card_number=patron.card_number, pin="5555", now=NOW, ip="y")


def test_data_export_downloads(client, now):
    """JSON and CSV downloads of the patron's own data; other formats are 404."""
    patron = make_patron(now=NOW, first_name="Éloïse")
    _login(client, patron)
    response = client.get("/compte/mes-donnees.json")
    assert response["Content-Disposition"] == 'attachment; filename="mes-donnees-2026-03-10.json"'
    assert json.loads(response.content)["lecteur"]["first_name"] == "Éloïse"
    csv_response = client.get("/compte/mes-donnees.csv")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert "Éloïse" in csv_response.content.decode("utf-8-sig")
    assert client.get("/compte/mes-donnees.xml").status_code == 404


def test_history_page_only_with_opt_in(client, now):
    """Without consent the history page explains that nothing is kept."""
    patron = make_patron(now=NOW)
    _login(client, patron)
    assert (
        "Vous n'avez pas choisi de conserver" in client.get("/compte/historique/").content.decode()
    )


# --- staff -----------------------------------------------------------------------------------


@pytest.fixture
def librarian(client):
    library = make_library(code="lens", name="Médiathèque de Lens")
    user = User.objects.create_user("biblio", password="x-pass-1234", role=Role.LIBRARIAN)
    user.libraries.add(library)
    client.force_login(user)
    return user


def test_staff_register_flags_duplicate_then_confirms(client, librarian, now):
    """Registration at the desk warns about a likely duplicate and needs confirmation."""
    category = make_category()
    library = librarian.libraries.get()
    form = {
        "card_number": "29007777", "last_name": "Valjean", "first_name": "Jean",
        "birth_date": "1970-05-02", "email": "", "phone": "", "street": "", "postcode": "",
        "city": "", "category": category.pk, "home_library": library.pk,
    }  # fmt: skip
    assert client.post("/personnel/lecteurs/inscrire/", form).status_code == 302
    page = client.post("/personnel/lecteurs/inscrire/", {**form, "card_number": "29007778"})
    assert page.status_code == 200
    assert "Doublon probable" in page.content.decode()
    assert Patron.objects.count() == 1
    confirmed = client.post(
        "/personnel/lecteurs/inscrire/",
        {**form, "card_number": "29007778", "confirm_not_duplicate": "on"},
    )
    assert confirmed.status_code == 302
    assert Patron.objects.count() == 2


def test_staff_renew_replace_card_set_pin(client, librarian, now):
    """The patron page renews membership, replaces the card and sets a first PIN."""
    patron = make_patron(library=librarian.libraries.get(), pin="", now=NOW)
    base = f"/personnel/lecteurs/{patron.pk}/"
    client.post(base + "renouveler/")
    client.post(base + "carte/", {"new_number": "29008888", "reason": "perdue"})
    response = client.post(base + "code/", {"pin": ""}, follow=True)
    shown = re.search(r"Code enregistré : (\d{4})", response.content.decode()).group(1)
    patron.refresh_from_db()
    assert patron.membership_expires_on == dt.date(2028, 3, 10)
    assert patron.card_number == "29008888"
    assert patron_authenticate(card_number="29008888", pin=shown, now=NOW, ip="z")
    page = client.get(base).content.decode()
    assert "perdue" in page and "en service" in page


def test_staff_pages_need_a_librarian(client, now):
    """Visitors are sent to the staff login."""
    assert client.get("/personnel/lecteurs/").status_code == 302


def test_account_shows_the_fines_left_to_pay(client, now):
    """After a partial payment at the desk, the account shows what is left, per late return."""
    from navette.catalogue.models import Item, Record
    from navette.circulation.models import Fine, Loan
    from navette.circulation.services import fines_pay
    from navette.core.actors import Actor

    patron = make_patron(now=NOW)
    assert "Amendes" not in (_login(client, patron) and client.get("/compte/").content.decode())
    record = Record.objects.create(flavour="unimarc", marc={}, title="Le Horla", doc_type="book")
    item = Item.objects.create(
        record=record, barcode="B-HORLA", owning_library=patron.home_library,
        current_library=patron.home_library,
    )  # fmt: skip
    loan = Loan.objects.create(
        item=item, patron=patron, library=patron.home_library, doc_type="book",
        loaned_at=NOW - dt.timedelta(days=40), due_on=(NOW - dt.timedelta(days=19)).date(),
        returned_at=NOW - dt.timedelta(days=9),
    )  # fmt: skip
    Fine.objects.create(patron=patron, loan=loan, amount_cents=200, created_at=loan.returned_at)
    fines_pay(patron=patron, amount_cents=80, method="cash", library=None,
              actor=Actor.system("tests"), now=NOW)  # fmt: skip
    page = client.get("/compte/").content.decode()
    assert "Amendes à régler : 1,20 €" in page
    assert "1,20 € — retour en retard de « Le Horla » le 01/03/2026" in page
