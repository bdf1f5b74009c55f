"""The agenda's cached pages follow every change at once: the cache key holds the
agenda's version (replaced in the writing transaction) and the end of the next
event to finish (so a finished event leaves the agenda with no write at all)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from navette.events import agenda_cache, services
from navette.events.models import Theme
from tests.events import factories as f
from tests.events.factories import NOW, STAFF

pytestmark = pytest.mark.django_db


def _html(client, url: str, params: dict | None = None) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


def _titles(html: str) -> list[str]:
    return [
        unescape(t)
        for t in re.findall(r'<h2><a href="/agenda/evenement/\d+/">([^<]*)</a></h2>', html)
    ]


@pytest.fixture
def lens(clock_at):  # type: ignore[no-untyped-def]
    clock_at(NOW)
    return f.library(code="lens", commune="Lens", name="Médiathèque Robert Cousin")


def test_repeated_agenda_request_is_served_from_the_cache(
    client, lens, django_assert_max_num_queries
):
    """Once rendered, the same agenda view costs the version query (plus the
    portal frame's own) and no query on events, however many there are."""
    for i in range(25):
        f.event(lens, days=1 + i, title=f"Atelier {i}")
    first = _html(client, reverse("portal:agenda"), {"public": "tout_public"})
    with django_assert_max_num_queries(3) as queries:
        again = _html(client, reverse("portal:agenda"), {"public": "tout_public"})
    main = re.compile(r"<main.*</main>", re.S)
    assert main.search(again).group() == main.search(first).group()  # type: ignore[union-attr]
    assert "25 événements à venir" in again
    assert not any('events_event"."title' in q["sql"] for q in queries.captured_queries)


def test_registration_updates_the_seats_shown(client, lens):
    """A registration (a conditional UPDATE, which sends no signal) changes the
    seats left on the cached agenda and event pages at once."""
    event = f.bookable(lens, capacity=5, title="Atelier BD")
    agenda_url, event_url = reverse("portal:agenda"), reverse("portal:event", args=[event.pk])
    assert "5 places restantes" in _html(client, agenda_url)
    assert "5 places restantes sur 5" in _html(client, event_url)
    services.registration_create(
        event=event, patron=None, guest_name="Jeanne", guest_email="j@example.org", seats=2,
        actor=STAFF, now=NOW,
    )  # fmt: skip
    assert "3 places restantes" in _html(client, agenda_url)
    assert "3 places restantes sur 5" in _html(client, event_url)


def test_edits_to_events_themes_and_libraries_show_at_once(client, lens):
    """Changing an event, a theme or a library's name replaces the version."""
    theme = Theme.objects.create(code="conte", label="Conte")
    event = f.event(lens, title="Heure du conte", theme=theme)
    url = reverse("portal:agenda")
    assert _titles(_html(client, url)) == ["Heure du conte"]
    services.event_update(event=event, fields={"title": "Contes d'hiver"}, actor=STAFF, now=NOW)
    theme.label = "Contes et légendes"
    theme.save()
    lens.name = "Médiathèque de Lens"
    lens.save()
    html = _html(client, url)
    assert _titles(html) == ["Contes d'hiver"]
    assert "Contes et légendes" in html and "Médiathèque de Lens (Lens)" in html
    assert "Contes d&#x27;hiver" in _html(client, reverse("portal:event", args=[event.pk]))


def test_finished_event_leaves_the_cached_agenda_without_any_write(client, lens, clock_at):
    """The key holds the end of the next event to finish: once it is over, the
    page is rendered anew and the event is gone."""
    f.event(lens, days=1, hour=10, title="Demain matin")
    f.event(lens, days=2, hour=10, title="Après-demain")
    url = reverse("portal:agenda")
    assert _titles(_html(client, url)) == ["Demain matin", "Après-demain"]
    before = agenda_cache.agenda_version(NOW)
    clock_at(NOW + dt.timedelta(days=1, hours=3))  # the first one ended at 11:00
    assert agenda_cache.agenda_version(NOW + dt.timedelta(days=1, hours=3)) != before
    assert _titles(_html(client, url)) == ["Après-demain"]


def test_version_changes_on_every_write_and_never_repeats(lens):
    """Each write gives a new random token, so a rolled-back change can never
    bring back a token whose cached pages showed other data."""
    tokens = {agenda_cache.agenda_version(NOW)}
    for i in range(5):
        f.event(lens, days=3 + i)
        tokens.add(agenda_cache.agenda_version(NOW))
    assert len(tokens) == 6
