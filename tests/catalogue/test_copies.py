"""Copies: barcode check digits per network, locations per library, price, the in-repair
status and back, shelf marks suggested from the classification and the library's own
conventions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from navette.catalogue import services
from navette.catalogue.barcodes import barcode_problem, check_digit
from navette.catalogue.models import (
    CataloguingSettings,
    Item,
    ItemStatus,
    LibraryShelving,
    Location,
)
from navette.catalogue.shelfmarks import call_number_suggest
from navette.circulation.services.loans import loan_checkout
from navette.core.actors import Actor
from navette.core.errors import ValidationFailed
from navette.core.models import AuditEvent, User
from navette.network.scope import OutOfScope
from tests.catalogue.factories import make_item, make_record
from tests.circulation.conftest import NOW

ACTOR = Actor.system("test")


@pytest.mark.parametrize(
    ("rule", "barcode", "problem"),
    [
        ("", "anything at all", None),
        ("luhn", "79927398713", None),
        ("luhn", "79927398710", ("barcode_check_digit", "3")),
        ("luhn", "7992739871A", ("barcode_not_digits", "")),
        ("gs1", "4006381333931", None),
        ("gs1", "9782070360024", None),
        ("gs1", "4006381333932", ("barcode_check_digit", "1")),
        ("gs1", "7", ("barcode_not_digits", "")),
    ],
)
def test_barcode_rules(rule, barcode, problem):
    """Luhn and GS1 check digits are computed as their standards say; no rule passes all."""
    found = barcode_problem(rule, barcode)
    assert (None if found is None else (found.code, found.expected)) == problem


def test_check_digit_completes_a_body():
    assert check_digit("luhn", "7992739871") == "3"
    assert check_digit("gs1", "400638133393") == "1"


@pytest.mark.django_db
def test_network_rule_refuses_a_bad_barcode_naming_the_rule(libs):
    """With the Luhn rule set for the network, a barcode with a wrong last digit is refused
    with a message naming the rule and the expected digit; nothing is added. A good one is
    accepted; a barcode change is checked too."""
    lens = libs["Lens"]
    CataloguingSettings.objects.create(network=lens.network, barcode_checksum="luhn")
    record = make_record(title="Contrôlé")
    with pytest.raises(ValidationFailed) as exc:
        services.item_add(record=record, barcode="79927398710", owning_library=lens,
                          actor=ACTOR, now=NOW)  # fmt: skip
    assert exc.value.code == "barcode_checksum"
    assert exc.value.message == (
        "Le code-barres 79927398710 ne respecte pas la règle du réseau (Luhn (modulo 10)) : "
        "son dernier chiffre devrait être 3."
    )
    assert not Item.objects.exists()
    item = services.item_add(record=record, barcode="79927398713", owning_library=lens,
                             actor=ACTOR, now=NOW)  # fmt: skip
    with pytest.raises(ValidationFailed) as changed:
        services.item_update(item=item, actor=ACTOR, now=NOW, barcode="ABC")
    assert "chiffres" in changed.value.message


@pytest.mark.django_db
def test_location_price_and_acquisition_date_kept(libs):
    """A copy added with a location of its library takes the location's name, its price
    and acquisition date are kept; a location of another library is refused, as is a
    negative price."""
    lens, harnes = libs["Lens"], libs["Harnes"]
    corner = Location.objects.create(library=lens, code="jeunesse", name="Espace jeunesse")
    elsewhere = Location.objects.create(library=harnes, code="adultes", name="Adultes")
    record = make_record(title="Mesuré")
    item = services.item_add(record=record, barcode="P1", owning_library=lens, location=corner,
                             price="12.5", acquired_on=dt.date(2026, 1, 15), actor=ACTOR,
                             now=NOW)  # fmt: skip
    item.refresh_from_db()
    assert (item.location, item.shelving_location, item.price, item.acquired_on) == (
        corner, "Espace jeunesse", Decimal("12.50"), dt.date(2026, 1, 15))  # fmt: skip
    with pytest.raises(ValidationFailed) as other:
        services.item_update(item=item, actor=ACTOR, now=NOW, location=elsewhere)
    assert other.value.code == "location_other_library"
    with pytest.raises(ValidationFailed) as price:
        services.item_update(item=item, actor=ACTOR, now=NOW, price="-3")
    assert price.value.code == "bad_price"
    # a transfer leaves the old library's location list
    moved = services.item_update(item=item, actor=ACTOR, now=NOW, owning_library=harnes)
    assert moved.location is None


@pytest.mark.django_db
def test_in_repair_and_back_audited_refused_while_on_loan(libs, make_patron):
    """Staff mark a copy damaged, in repair, then available, each change audited; a copy
    on loan keeps its status (circulation moves it), with a clear refusal."""
    lens = libs["Lens"]
    item = make_item(library=lens, barcode="R1")
    for status in ("damaged", "in_repair", "lost", "available"):
        item = services.item_update(item=item, actor=ACTOR, now=NOW, status=status)
        assert Item.objects.get(pk=item.pk).status == status
    assert AuditEvent.objects.filter(action="item.update", object_id=str(item.pk)).count() == 4
    loan_checkout(item=item, patron=make_patron(home="Lens"), library=lens, actor=ACTOR, now=NOW)
    item.refresh_from_db()
    with pytest.raises(ValidationFailed) as exc:
        services.item_update(item=item, actor=ACTOR, now=NOW, status="in_repair")
    assert exc.value.code == "status_held_by_circulation"
    assert exc.value.message == (
        "Le statut de l'exemplaire R1 (en prêt) ne se change pas à la main."
    )
    assert Item.objects.get(pk=item.pk).status == ItemStatus.ON_LOAN


@pytest.mark.django_db
def test_marking_a_copy_of_another_library_is_refused_and_audited(libs):
    """A Lens librarian may not mark a Harnes copy in repair (OutOfScope, audited)."""
    user = User.objects.create_user("lens", password="x" * 20, role="librarian")
    user.libraries.add(libs["Lens"])
    item = make_item(library=libs["Harnes"], barcode="H1")
    with pytest.raises(OutOfScope):
        services.item_update(item=item, actor=Actor.staff(user), now=NOW, status="in_repair")
    assert Item.objects.get(pk=item.pk).status == ItemStatus.AVAILABLE
    assert AuditEvent.objects.filter(action="scope.refused", actor_id=user.pk).exists()


@pytest.mark.django_db
def test_shelf_mark_suggested_from_dewey_and_the_library_conventions(libs):
    """The Dewey class and the author's letters, after the library's prefix and the
    location's; a children's mark keeps its J once."""
    lens = libs["Lens"]
    marc = {"fields": [{"676": {"ind1": " ", "ind2": " ", "subfields": [{"a": "944.04"}]}}]}
    record = make_record(title="Histoire", authors=["Dubois, Émile"], marc=marc)
    assert call_number_suggest(record=record) == "944 DUB"
    LibraryShelving.objects.create(library=lens, call_number_prefix="AD")
    assert call_number_suggest(record=record, library=lens) == "AD 944 DUB"
    stacks = Location.objects.create(library=lens, code="reserve", name="Réserve",
                                     call_number_prefix="RES")  # fmt: skip
    assert call_number_suggest(record=record, library=lens, location=stacks) == "AD RES 944 DUB"
    kid = make_record(title="Élmer", audience="children")
    young = Location.objects.create(library=libs["Harnes"], code="j", name="Jeunesse",
                                    call_number_prefix="J")  # fmt: skip
    assert call_number_suggest(record=kid, library=libs["Harnes"], location=young) == "J R ELM"


@pytest.mark.django_db
def test_locations_kept_by_their_library_audited(libs):
    """A librarian adds a location to her library, then changes it by its code (audited
    each time); a location for another library is refused (OutOfScope, audited)."""
    from navette.catalogue.locations import location_save

    user = User.objects.create_user("lens", password="x" * 20, role="librarian")
    user.libraries.add(libs["Lens"])
    actor = Actor.staff(user)
    first = location_save(library=libs["Lens"], code="BD", name="Bandes dessinées",
                          call_number_prefix="BD", actor=actor, now=NOW)  # fmt: skip
    again = location_save(library=libs["Lens"], code="bd", name="Espace BD", actor=actor, now=NOW)
    assert again.pk == first.pk and (again.name, again.code) == ("Espace BD", "bd")
    assert [e.action for e in AuditEvent.objects.order_by("pk")] == [
        "location.add", "location.change"]  # fmt: skip
    with pytest.raises(OutOfScope):
        location_save(library=libs["Harnes"], code="bd", name="BD", actor=actor, now=NOW)
    assert not Location.objects.filter(library=libs["Harnes"]).exists()
    with pytest.raises(ValidationFailed) as nameless:
        location_save(library=libs["Lens"], code="x", name=" ", actor=actor, now=NOW)
    assert nameless.value.code == "location_name_required"


@pytest.mark.django_db
def test_copy_search_saved_with_its_criteria(libs):
    """Criteria are kept without the empty ones, dates as ISO text; an unknown status or
    no criterion at all is refused."""
    from navette.catalogue.locations import copy_search_save

    search = copy_search_save(name=" Désherbage ", actor=ACTOR, now=NOW, criteria={
        "library": libs["Lens"].pk, "title": "", "acquired_before": dt.date(2000, 1, 1)})  # fmt: skip
    assert (search.name, search.criteria) == (
        "Désherbage", {"library": libs["Lens"].pk, "acquired_before": "2000-01-01"})  # fmt: skip
    assert AuditEvent.objects.filter(action="copy_search.save").count() == 1
    for criteria in ({"status": "borrowed"}, {"title": ""}):
        with pytest.raises(ValidationFailed):
            copy_search_save(name="x", criteria=criteria, actor=ACTOR, now=NOW)
