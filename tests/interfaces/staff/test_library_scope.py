"""Staff pages act only where the account works: an Avion librarian is refused (403, audited,
nothing changed) each action on Lens data; a Lens librarian and a network administrator do it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password

from navette.catalogue.models import Item, ItemStatus
from navette.circulation.models import Transit, TransitStatus
from navette.circulation.services import hold_place, loan_checkin
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.models import AuditEvent
from navette.desk.patrons import desk_patron_register
from navette.network.scope import OutOfScope
from navette.patrons.models import Patron, PatronCategory
from navette.patrons.services import ContactDetails

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db
WHO = ["avion", "lens", "admin"]


@pytest.fixture
def login(client, staff_user, clock_at):
    clock_at(NOW)

    def as_(who: str):  # type: ignore[no-untyped-def]
        client.force_login(staff_user(who))
        return client

    return as_


def _refused(resp, action: str) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == 403
    event = AuditEvent.objects.get(action="scope.refused")
    assert event.data["attempted"] == action and event.actor_label == "bib-avion"


def _edit_form(item: Item, **override) -> dict:  # type: ignore[no-untyped-def]
    return {
        "barcode": item.barcode, "owning_library": item.owning_library_id, "call_number": "R ROM",
        "shelving_location": "", "doc_type_override": "", "circulates": "on", "acquired_on": "",
        "notes": "", "status": ItemStatus.AVAILABLE, **override,
    }  # fmt: skip


@pytest.mark.parametrize("who", WHO)
def test_editing_a_lens_copy(login, who, make_item):
    """Only staff working at the copy's owning library (or everywhere) edit it."""
    item = make_item(owner="Lens")
    resp = login(who).post(
        f"/personnel/catalogue/exemplaires/{item.pk}/modifier/", _edit_form(item)
    )
    item.refresh_from_db()
    if who == "avion":
        _refused(resp, "item.update")
        assert item.call_number == ""
    else:
        assert resp.status_code == 302 and item.call_number == "R ROM"


@pytest.mark.parametrize("who", WHO)
def test_transferring_a_lens_copy(login, who, libs, make_item):
    """Moving a copy to another owning library is an edit at its current owner."""
    item = make_item(owner="Lens")
    form = _edit_form(item, owning_library=libs["Avion"].pk)
    resp = login(who).post(f"/personnel/catalogue/exemplaires/{item.pk}/modifier/", form)
    item.refresh_from_db()
    if who == "avion":
        _refused(resp, "item.update")
        assert item.owning_library == libs["Lens"]
    else:
        assert resp.status_code == 302 and item.owning_library == libs["Avion"]


@pytest.mark.parametrize("who", WHO)
def test_withdrawing_a_lens_copy(login, who, make_item):
    """Only staff working at the copy's owning library withdraw it."""
    item = make_item(owner="Lens")
    resp = login(who).post(f"/personnel/catalogue/exemplaires/{item.pk}/retirer/", {"reason": "x"})
    item.refresh_from_db()
    if who == "avion":
        _refused(resp, "item.withdraw")
        assert item.status == ItemStatus.AVAILABLE
    else:
        assert resp.status_code == 302 and item.status == ItemStatus.WITHDRAWN


@pytest.mark.parametrize("who", WHO)
def test_declaring_lost_a_lens_to_harnes_transit(login, who, libs, make_item, make_patron, actor):
    """A transit is declared lost by staff of the library it left or was going to, whatever
    library the desk names."""
    item = make_item(owner="Lens")
    hold_place(patron=make_patron(home="Harnes"), record=item.record,
               pickup_library=libs["Harnes"], actor=actor, now=NOW)  # fmt: skip
    loan_checkin(item=item, library=libs["Lens"], actor=actor, now=NOW)  # pulled: to Harnes
    transit = Transit.objects.get(item=item, status=TransitStatus.IN_TRANSIT)
    resp = login(who).post(
        "/personnel/circulation/navette/perdu/",
        {"transit": transit.pk, "bibliotheque": libs["Avion"].code},
    )
    transit.refresh_from_db()
    item.refresh_from_db()
    if who == "avion":
        _refused(resp, "transit.lost")
        assert transit.status == TransitStatus.IN_TRANSIT and item.status == ItemStatus.IN_TRANSIT
    else:
        assert resp.status_code == 302
        assert transit.status == TransitStatus.LOST and item.status == ItemStatus.LOST


@pytest.mark.parametrize("who", WHO)
def test_setting_a_lens_patrons_pin(login, who, make_patron):
    """Only staff working at the patron's home library (or everywhere) set the PIN."""
    patron = make_patron(home="Lens")
    resp = login(who).post(f"/personnel/lecteurs/{patron.pk}/code/", {"pin": "4821"})
    patron.refresh_from_db()
    if who == "avion":
        _refused(resp, "patron.set_pin")
        assert not check_password("4821", patron.pin_hash)
    else:
        assert resp.status_code == 302 and check_password("4821", patron.pin_hash)


@pytest.mark.parametrize("who", WHO)
def test_renewing_a_lens_patrons_membership(login, who, make_patron):
    """Only staff working at the patron's home library (or everywhere) renew the membership."""
    patron = make_patron(home="Lens")
    before = patron.membership_expires_on
    resp = login(who).post(f"/personnel/lecteurs/{patron.pk}/renouveler/")
    patron.refresh_from_db()
    if who == "avion":
        _refused(resp, "patron.renew")
        assert patron.membership_expires_on == before
    else:
        assert resp.status_code == 302 and patron.membership_expires_on > before


@pytest.mark.parametrize("who", WHO)
def test_replacing_a_lens_patrons_card(login, who, make_patron):
    """Only staff working at the patron's home library (or everywhere) replace the card."""
    patron = make_patron(home="Lens")
    old = patron.card_number
    resp = login(who).post(f"/personnel/lecteurs/{patron.pk}/carte/",
                           {"new_number": "99887766", "reason": "perdue"})  # fmt: skip
    patron.refresh_from_db()
    if who == "avion":
        _refused(resp, "patron.replace_card")
        assert patron.card_number == old
    else:
        assert resp.status_code == 302 and patron.card_number == "99887766"


@pytest.mark.parametrize("who", WHO)
def test_registering_a_patron_at_lens(login, who, libs, staff_user):
    """The desk refuses an Avion librarian registering a patron at Lens even when the form's
    list of libraries is bypassed; a Lens librarian and an administrator register."""
    category = PatronCategory.objects.get_or_create(code="adulte", defaults={"label": "Adulte"})[0]

    def register():  # type: ignore[no-untyped-def]
        return desk_patron_register(
            first_name="Zoé", last_name="Lens", birth_date=dt.date(1990, 1, 1),
            contact=ContactDetails(), category=category, home_library=libs["Lens"],
            card_number="55512345", allow_duplicate=False, actor=Actor.staff(staff_user(who)),
            now=NOW,
        )  # fmt: skip

    if who == "avion":
        with pytest.raises(OutOfScope):
            register()
        assert AuditEvent.objects.get(action="scope.refused").data["attempted"] == "patron.register"
        assert not Patron.objects.filter(card_number="55512345").exists()
    else:
        outcome = register()
        assert outcome.ok and outcome.data["patron"].home_library == libs["Lens"]


@pytest.mark.parametrize("who", WHO)
def test_reading_lens_statistics(login, who, libs):
    """Statistics by library: an Avion librarian asking for Lens's is refused (403, audited);
    a Lens librarian and a network administrator read them."""
    resp = login(who).get("/personnel/statistiques/", {"bibliotheque": libs["Lens"].code})
    if who == "avion":
        _refused(resp, "stats.read")
    else:
        assert resp.status_code == 200 and resp.context["library"] == libs["Lens"]


def test_a_librarian_reads_the_statistics_of_the_account_libraries_only(login, libs):
    """Without a library named, a librarian reads the account's library: the per-library
    table and the choices hold it alone, and the network's totals are not offered."""
    resp = login("avion").get("/personnel/statistiques/")
    assert resp.status_code == 200 and resp.context["library"] == libs["Avion"]
    assert [r.library for r in resp.context["by_library"]] == [libs["Avion"]]
    assert list(resp.context["libraries"]) == [libs["Avion"]]
    assert "Tout le réseau" not in resp.content.decode()
