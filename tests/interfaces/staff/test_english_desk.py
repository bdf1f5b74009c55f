"""The desk in English: circulation messages show days and euros in English formats, the same
outcome in French in French formats (the words come from the interface's table, not from
the services)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from navette.circulation.models import CirculationSettings
from navette.core.clock import PARIS

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "lent", "late"),
    [
        (
            "en",
            "“{title}” checked out to {name}, due on 03/25/2025.",
            "Returned 9 days late: fine of €0.90.",
        ),
        (
            "fr",
            "« {title} » prêté à {name}, à rendre le 25/03/2025.",
            "Retour en retard de 9 jours : amende de 0,90 €.",
        ),
    ],
)
def test_lending_and_a_late_return_in_the_readers_language(
    client, staff_user, libs, make_patron, make_item, clock_at, language, lent, late
):
    """Lent on 4 March 2025 for 21 days at Lens, returned 9 days late with fines of 10 cents
    a day: the due day and the fine are written the reader's way."""
    CirculationSettings.objects.update(penalty="fine")
    clock_at(NOW)
    client.force_login(staff_user("lens"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    patron, item = make_patron(), make_item(owner="Lens")
    desk = "/personnel/circulation/pret/"
    page = client.post(
        desk,
        {
            "carte": patron.card_number,
            "exemplaire": item.barcode,
            "bibliotheque": libs["Lens"].code,
        },
        follow=True,
    ).content.decode()
    assert lent.format(title=item.record.title, name=patron.full_name) in page
    clock_at(dt.datetime(2025, 4, 3, 11, tzinfo=PARIS))
    page = client.post(
        "/personnel/circulation/retour/",
        {"exemplaire": item.barcode, "bibliotheque": libs["Lens"].code},
        follow=True,
    ).content.decode()
    assert late in page.replace("&#x27;", "'")
