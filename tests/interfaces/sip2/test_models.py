"""Kiosk accounts as network administrators manage them in the admin."""

from __future__ import annotations

import pytest

from navette.sip2.admin import KioskForm
from navette.sip2.models import Kiosk, KioskOperation, KioskProfile, PinRule

pytestmark = pytest.mark.django_db


def test_the_admin_form_hashes_the_password_and_requires_one_for_a_new_kiosk(world):
    """A new kiosk needs a password, stored hashed; left blank on edit, it is kept."""
    data = {"login": "borne-lievin", "name": "Borne", "library": world.lievin.pk,
            "allowed_operations": [KioskOperation.CHECKIN], "encoding": "cp850", "is_active": True}  # fmt: skip
    assert "password" in KioskForm(data=data).errors
    form = KioskForm(data={**data, "password": "motdepasse-long"})
    assert form.is_valid(), form.errors
    kiosk = form.save()
    assert kiosk.password_hash != "motdepasse-long" and kiosk.check_password("motdepasse-long")
    assert kiosk.allowed_operations == ["checkin"] and kiosk.encoding == "cp850"
    edit = KioskForm(data={**data, "name": "Borne de retour"}, instance=kiosk)
    assert edit.is_valid(), edit.errors
    assert edit.save().check_password("motdepasse-long")


def test_default_operations_leave_payments_out(world):
    """A new kiosk may do everything but take payments, which a network enables explicitly."""
    kiosk = Kiosk.objects.create(login="k", password_hash="x", library=world.lens)
    assert kiosk.may(KioskOperation.CHECKOUT) and not kiosk.may(KioskOperation.FEE_PAID)


def test_a_profile_is_shared_and_an_account_without_one_gets_the_defaults(world):
    """Two kiosks point to one profile (chosen in the admin form); a kiosk without a
    profile is answered with the defaults that accept the common machines."""
    strict = KioskProfile.objects.create(name="Gates", pin_for_checkout=PinRule.ALWAYS)
    data = {"login": "borne-lievin", "name": "Borne", "library": world.lievin.pk,
            "profile": strict.pk, "allowed_operations": [KioskOperation.CHECKIN],
            "encoding": "utf-8", "is_active": True, "password": "motdepasse-long"}  # fmt: skip
    form = KioskForm(data=data)
    assert form.is_valid(), form.errors
    kiosk = form.save()
    world.kiosk.profile = strict
    world.kiosk.save()
    assert list(strict.kiosks.order_by("login")) == [world.kiosk, kiosk]
    default = Kiosk(login="x", library=world.lens).effective_profile()
    assert (default.pin_for_checkout, default.pin_for_renew, default.pin_for_patron_info) == (
        PinRule.IF_SENT, PinRule.IF_SENT, PinRule.IF_SENT,
    )  # fmt: skip
    assert default.name_without_pin and default.checkin_not_on_loan_ok and default.counts_as_zero
