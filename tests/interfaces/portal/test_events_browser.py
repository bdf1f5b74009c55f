"""Accessibility of the agenda and event pages in a real browser (axe-core)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from navette.events.models import Theme
from tests.events import factories as f
from tests.events.factories import NOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agenda_and_event_pages_have_no_serious_axe_violation(page, axe, clock_at):
    """axe-core reports no serious or critical violation on the agenda (with filters
    and pagination) and on an event page with its registration form; the
    registration form works in the browser, the guest confirming from the mailed link."""
    clock_at(NOW)
    lib = f.library(code="lens", commune="Lens", name="Médiathèque Robert Cousin")
    theme = Theme.objects.create(code="conte", label="Conte")
    for i in range(25):
        f.event(lib, days=1 + i, title=f"Heure du conte {i}", theme=theme, audience="enfants")
    event = f.bookable(lib, capacity=1, title="Atelier origami", description="Plier, découper.")

    page.goto(f"{page.base_url}/agenda/?public=enfants")
    assert page.locator("h1").inner_text() == "Agenda des bibliothèques"
    assert axe(page) == []

    page.goto(f"{page.base_url}/agenda/evenement/{event.pk}/")
    assert axe(page) == []
    page.get_by_label("Nom et prénom").fill("Léa Martin")
    page.get_by_label("Adresse électronique").fill("lea@example.org")
    page.get_by_role("button", name="S'inscrire").click()
    page.wait_for_selector(".message")
    assert "ouvrez le lien" in page.locator(".messages").inner_text()
    assert axe(page) == []
    link = re.search(r"/agenda/confirmation/\S+/", mail.outbox[-1].body)
    assert link is not None
    page.goto(f"{page.base_url}{link.group(0)}")
    assert axe(page) == []
    page.get_by_role("button", name="Confirmer l'inscription").click()
    page.wait_for_selector(".message")
    assert "confirmée" in page.locator(".messages").inner_text()

    page.goto(f"{page.base_url}/bibliotheques/lens/")
    assert axe(page) == []
