"""iCalendar feeds: they parse, hold the right events, and keep Paris times across DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse

from navette.core.clock import PARIS
from navette.events import services
from navette.events.models import Programme
from tests.events import factories as f
from tests.events.factories import STAFF

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def dst_agenda(clock_at):
    """Events on the Saturday before and the Sunday of the switch to summer time
    (28 March 2027), at 20:00 Paris, in two libraries, one in a programme."""
    clock_at(dt.datetime(2027, 3, 20, 9, 0, tzinfo=PARIS))
    lens, avion = f.library(code="lens", commune="Lens"), f.library(code="avion", commune="Avion")
    prog = Programme.objects.create(
        slug="nuits", title="Nuits des bibliothèques",
        starts_on=dt.date(2027, 3, 27), ends_on=dt.date(2027, 3, 28),
    )  # fmt: skip

    def make(lib, day, title, **kw):  # type: ignore[no-untyped-def]
        start = dt.datetime(2027, 3, day, 20, 0, tzinfo=PARIS)
        return services.event_create(
            fields={"title": title, "library": lib, "starts_at": start,
                    "ends_at": start + dt.timedelta(hours=2), **kw},
            actor=STAFF, now=start,
        )  # fmt: skip

    return {
        "before": make(lens, 27, "Lecture aux flambeaux", programme=prog),
        "after": make(avion, 28, "Concert de nuit", programme=prog, audience="adultes"),
        "other": make(lens, 29, "Club lecture", audience="adultes"),
    }


def _parse(response) -> icalendar.Calendar:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def _events(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_network_feed_has_paris_times_on_both_sides_of_dst(client, dst_agenda):
    """The network feed holds every event at 20:00 Paris: 19:00 UTC before the
    change, 18:00 UTC after; times carry TZID=Europe/Paris and the VTIMEZONE is included."""
    cal = _parse(client.get(reverse("portal:agenda_ics")))
    events = _events(cal)
    assert set(events) == {"Lecture aux flambeaux", "Concert de nuit", "Club lecture"}
    before = events["Lecture aux flambeaux"]["dtstart"].dt
    after = events["Concert de nuit"]["dtstart"].dt
    assert before.hour == after.hour == 20
    assert before.astimezone(UTC).hour == 19 and after.astimezone(UTC).hour == 18
    assert events["Concert de nuit"]["dtstart"].params["TZID"] == "Europe/Paris"
    assert events["Concert de nuit"]["dtend"].dt.astimezone(UTC) == dt.datetime(
        2027, 3, 28, 20, 0, tzinfo=UTC
    )
    timezones = cal.walk("VTIMEZONE")
    assert [str(tz["tzid"]) for tz in timezones] == ["Europe/Paris"]
    # The VTIMEZONE alone (without the tz database) gives the right offsets.
    tz = timezones[0].to_tz()
    assert dt.datetime(2027, 3, 27, 20, 0, tzinfo=tz).utcoffset() == dt.timedelta(hours=1)
    assert dt.datetime(2027, 3, 28, 20, 0, tzinfo=tz).utcoffset() == dt.timedelta(hours=2)
    assert b"TZID=Europe/Paris" in client.get(reverse("portal:agenda_ics")).content


def test_library_programme_filtered_and_single_event_feeds(client, dst_agenda):
    """Each feed holds exactly its events: one library, one programme, a filtered
    agenda view, and one event ('add to my calendar')."""
    lib = _events(_parse(client.get(reverse("portal:library_ics", args=["lens"]))))
    assert set(lib) == {"Lecture aux flambeaux", "Club lecture"}
    prog = _events(_parse(client.get(reverse("portal:programme_ics", args=["nuits"]))))
    assert set(prog) == {"Lecture aux flambeaux", "Concert de nuit"}
    filtered = _events(
        _parse(client.get(reverse("portal:agenda_ics"), {"public": "adultes", "commune": "Lens"}))
    )
    assert set(filtered) == {"Club lecture"}
    one = _parse(client.get(reverse("portal:event_ics", args=[dst_agenda["after"].pk])))
    (vevent,) = one.walk("VEVENT")
    assert vevent["dtstart"].dt == dt.datetime(2027, 3, 28, 20, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert str(vevent["uid"]) == f"navette-event-{dst_agenda['after'].pk}@navette"
    assert str(vevent["url"]).endswith(reverse("portal:event", args=[dst_agenda["after"].pk]))
    assert "Avion" in str(vevent["location"])


def test_cancelled_event_is_marked_cancelled_in_feeds(client, dst_agenda):
    """A cancelled event stays in the feed with STATUS:CANCELLED so calendars drop it."""
    services.event_cancel(event=dst_agenda["other"], actor=STAFF, now=dst_agenda["other"].starts_at)
    events = _events(_parse(client.get(reverse("portal:agenda_ics"))))
    assert str(events["Club lecture"]["status"]) == "CANCELLED"
    assert str(events["Concert de nuit"]["status"]) == "CONFIRMED"
