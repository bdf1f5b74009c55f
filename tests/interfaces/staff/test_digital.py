"""Staff pages: usage statistics with CSV export, token refunds."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.models import Role, User
from navette.digital.models import EntryKind, TokenEntry
from navette.digital.selectors import patron_balance
from navette.digital.services import tokens_spend
from tests.digital import factories as f

pytestmark = pytest.mark.django_db
NOV = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)


def staff(client, role):
    user = User.objects.create_user(username=f"u-{role}", password="x-Passw0rd!", role=role)
    client.force_login(user)
    return user


def _spend(patron, title, now=NOV):
    return tokens_spend(patron=patron, title=title, actor=Actor.patron(patron.pk), now=now)


def test_usage_csv_counts_launches_and_tokens_and_survives_deletion(client):
    """The CSV gives launches and tokens per month, resource and home library, even after
    the patrons are deleted; a relaunch within the access window is a launch that costs
    nothing."""
    resource = f.vod()
    film = f.film(resource, "Film", 2019)
    a, b = f.patron(), f.patron(home_library=f.library("roubaix"))
    _spend(a, film)
    _spend(a, film)
    _spend(b, film, now=dt.datetime(2026, 12, 2, 10, 0, tzinfo=PARIS))
    a.delete()
    b.delete()
    staff(client, Role.STATISTICIAN)
    response = client.get("/personnel/mediatheque-en-ligne/usage.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows == [
        ["mois", "ressource", "bibliotheque", "lancements", "jetons"],
        ["2026-11", "Cinéma en ligne", "Médiathèque lille", "2", "1"],
        ["2026-12", "Cinéma en ligne", "Médiathèque roubaix", "1", "1"],
    ]
    filtered = client.get("/personnel/mediatheque-en-ligne/usage.csv?de=2026-12&a=2026-12")
    assert len(filtered.content.decode().strip().splitlines()) == 2
    page = client.get("/personnel/mediatheque-en-ligne/")
    assert page.status_code == 200 and "3 lancements, 2 jetons" in page.content.decode()


def test_usage_pages_need_staff(client):
    assert client.get("/personnel/mediatheque-en-ligne/usage.csv").status_code == 302


def test_librarian_refunds_with_a_reason(client, clock_at):
    clock_at(NOV)
    patron = f.patron()
    entry = _spend(patron, f.film(f.vod(), "Film", 2026))
    staff(client, Role.LIBRARIAN)
    page = client.get(f"/personnel/mediatheque-en-ligne/jetons/?carte={patron.card_number}")
    assert "Solde de jetons du mois : 2 sur 4" in page.content.decode()
    url = f"/personnel/mediatheque-en-ligne/jetons/{entry.pk}/rembourser/"
    response = client.post(url, {"motif": ""}, follow=True)
    assert "Indiquez le motif du remboursement" in response.content.decode()
    response = client.post(url, {"motif": "Coupure du flux"}, follow=True)
    assert "Jetons remboursés : 2." in response.content.decode()
    refund = TokenEntry.objects.get(kind=EntryKind.REFUND)
    assert refund.reason == "Coupure du flux" and refund.actor_label == "u-librarian"
    assert patron_balance(patron, NOV).left == 8


def test_statistician_cannot_refund(client):
    patron = f.patron()
    entry = _spend(patron, f.film(f.vod(), "Film", 2026))
    staff(client, Role.STATISTICIAN)
    response = client.post(
        f"/personnel/mediatheque-en-ligne/jetons/{entry.pk}/rembourser/", {"motif": "x"}
    )
    assert response.status_code == 403
