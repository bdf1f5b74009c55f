"""Registration, membership, cards and PINs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password

from navette.core.models import AuditEvent
from navette.patrons.errors import CardNumberTaken, InvalidSecret
from navette.patrons.models import Patron, PatronCard
from navette.patrons.services import (
    ContactDetails,
    DuplicateSuspected,
    add_months,
    patron_register,
    patron_renew_membership,
    patron_replace_card,
    patron_set_pin,
    validate_secret,
)
from tests.network.factories import make_library
from tests.patrons.factories import NOW, STAFF, make_category, make_patron

pytestmark = pytest.mark.django_db


def _register(**kw):
    args = dict(
        first_name="Jean", last_name="Valjean", birth_date=dt.date(1970, 5, 2),
        contact=ContactDetails(email="jv@example.org"), category=make_category(),
        home_library=make_library(), card_number="29005555", actor=STAFF, now=NOW,
    )  # fmt: skip
    args.update(kw)
    return patron_register(**args)


def test_register_gives_a_network_card_and_twelve_months():
    """A new patron has a current card and membership for the category's duration."""
    patron = _register()
    assert patron.membership_expires_on == dt.date(2027, 3, 10)
    assert [c.number for c in patron.cards.all()] == ["29005555"]
    assert AuditEvent.objects.filter(action="patron.register", object_id=str(patron.pk)).exists()


def test_same_name_and_birth_date_is_flagged_until_confirmed():
    """A likely duplicate (same name, any case, same birth date) is refused until staff confirm."""
    first = _register()
    with pytest.raises(DuplicateSuspected) as flagged:
        _register(first_name="JEAN", last_name="valjean", card_number="29005556")
    assert flagged.value.context["duplicates"] == [first]
    assert Patron.objects.count() == 1
    second = _register(first_name="JEAN", last_name="valjean", card_number="29005556",
                       allow_duplicate=True)  # fmt: skip
    assert second.pk != first.pk
    # a different birth date is no duplicate
    _register(card_number="29005557", birth_date=dt.date(1971, 5, 2))


def test_card_number_unique_even_after_replacement():
    """A card number is never given twice, even once replaced."""
    patron = _register()
    with pytest.raises(CardNumberTaken):
        _register(first_name="Cosette", card_number="2900 5555")
    patron_replace_card(patron=patron, new_number="29006666", reason="perdue", actor=STAFF, now=NOW)
    with pytest.raises(CardNumberTaken):
        _register(first_name="Cosette", card_number="29005555")


def test_replace_card_keeps_history():
    """The old card is closed with its reason; the patron (and so loans) stays the same."""
    patron = _register()
    later = NOW + dt.timedelta(days=30)
    patron_replace_card(
        patron=patron, new_number="29006666", reason="perdue", actor=STAFF, now=later
    )
    cards = list(PatronCard.objects.filter(patron=patron).order_by("issued_at"))
    assert [(c.number, c.replaced_at, c.reason) for c in cards] == [
        ("29005555", later, "perdue"), ("29006666", None, ""),
    ]  # fmt: skip
    patron.refresh_from_db()
    assert patron.card_number == "29006666"


def test_renew_membership_extends_from_end_or_today():
    """Renewing early adds to the current end; renewing after expiry starts today."""
    patron = make_patron()
    assert patron_renew_membership(patron=patron, actor=STAFF, now=NOW) == dt.date(2028, 3, 10)
    Patron.objects.filter(pk=patron.pk).update(membership_expires_on=dt.date(2025, 1, 1))
    patron.refresh_from_db()
    assert patron_renew_membership(patron=patron, actor=STAFF, now=NOW) == dt.date(2027, 3, 10)


def test_pin_is_hashed_and_validated():
    """PINs are stored as Django hashes; too short or non-digit short secrets are refused."""
    patron = make_patron(pin="")
    patron_set_pin(patron=patron, secret="7391", actor=STAFF, now=NOW)
    assert "7391" not in patron.pin_hash
    assert check_password("7391", patron.pin_hash)
    for bad in ["12", "123456789", "abc", "", "abcdefg"]:
        with pytest.raises(InvalidSecret):
            validate_secret(bad)
    validate_secret("un mot de passe")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 3, 10), 12, dt.date(2027, 3, 10)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 10), -4, dt.date(2025, 11, 10)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
    ],
)
def test_add_months(day, months, expected):
    """Calendar months, clamped to the month's last day."""
    assert add_months(day, months) == expected
