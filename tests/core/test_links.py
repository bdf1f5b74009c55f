"""Links to portal pages reach domain code through core's registry, filled by the portal."""

import pytest
from django.urls import reverse

from navette.core.links import UnknownLink, link_for


def test_the_portal_registers_the_pages_domain_code_links_to():
    """The portal fills the registry at start-up: each kind gives the portal page's path."""
    assert link_for("event", 12) == reverse("portal:event", args=[12])
    assert link_for("digital_title", 7) == reverse("portal:digital_title", args=[7])
    assert link_for("registration_cancel", "abc.def") == reverse(
        "portal:registration_cancel", args=["abc.def"]
    )


def test_an_unregistered_kind_is_a_clear_error():
    """Asking for a page no interface links is an error naming the kind, not a broken link."""
    with pytest.raises(UnknownLink, match="'loan_receipt'"):
        link_for("loan_receipt", 1)
