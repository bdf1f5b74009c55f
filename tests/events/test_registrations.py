"""Registration services: seats, waiting list, promotion, cancellation, anonymisation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from navette.core.models import AuditEvent
from navette.events import services
from navette.events.errors import BadToken, CancellationRefused, EventInvalid, RegistrationRefused
from navette.events.models import Event, Registration
from tests.events import factories as f
from tests.events.factories import NOW, STAFF

pytestmark = pytest.mark.django_db


def _guest(event, n, seats=1, now=NOW):
    return services.registration_create(
        event=event,
        guest_name=f"Invité {n}",
        guest_email=f"g{n}@example.org",
        seats=seats,
        actor=STAFF,
        now=now,
    )


def test_seats_are_confirmed_until_full_then_waiting(django_capture_on_commit_callbacks):
    """Registrations are confirmed while seats remain, then go to the waiting list;
    each person gets the matching e-mail after commit."""
    event = f.bookable(f.library(), capacity=3)
    with django_capture_on_commit_callbacks(execute=True):
        a = _guest(event, 1, seats=2)
        b = _guest(event, 2)
        c = _guest(event, 3)
    assert [a.status, b.status, c.status] == ["confirmed", "confirmed", "waiting"]
    event.refresh_from_db()
    assert event.seats_taken == 3 and event.seats_left == 0
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["g1@example.org"].startswith("Inscription confirmée")
    assert subjects["g3@example.org"].startswith("Liste d'attente")
    assert "/agenda/annulation/" in mail.outbox[0].body


def test_cancellation_promotes_first_waiting_and_mails_them(django_capture_on_commit_callbacks):
    """Cancelling a confirmed registration frees its seats and confirms the first
    person waiting, who is told by e-mail; the second keeps waiting."""
    event = f.bookable(f.library(), capacity=1)
    first = _guest(event, 1)
    w1 = _guest(event, 2)
    w2 = _guest(event, 3)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.registration_cancel(registration=first, actor=STAFF, now=NOW)
    assert [r.pk for r in promoted] == [w1.pk]
    w1.refresh_from_db()
    w2.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, w1.status, w2.status) == ("cancelled", "confirmed", "waiting")
    assert Event.objects.get(pk=event.pk).seats_taken == 1
    promoted_mail = [m for m in mail.outbox if m.to == ["g2@example.org"]]
    assert len(promoted_mail) == 1 and "place s'est libérée" in promoted_mail[0].subject
    assert AuditEvent.objects.filter(action="registration.cancel").count() == 1


def test_large_party_is_passed_over_for_a_smaller_one():
    """A freed seat goes to the first waiting registration that fits in it."""
    event = f.bookable(f.library(), capacity=2)
    a = _guest(event, 1)
    _guest(event, 2)
    big = _guest(event, 3, seats=3)
    small = _guest(event, 4)
    services.registration_cancel(registration=a, actor=STAFF, now=NOW)
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.status == "waiting" and small.status == "confirmed"


def test_newcomer_does_not_jump_the_waiting_list():
    """When people wait, a new registration waits too even if seats seem free
    (a big party is waiting for a seat that a smaller newcomer could take)."""
    event = f.bookable(f.library(), capacity=2)
    a = _guest(event, 1)
    _guest(event, 2)
    _guest(event, 3, seats=2)  # waits
    services.registration_cancel(
        registration=a, actor=STAFF, now=NOW
    )  # 1 seat free, party of 2 still waits
    late = _guest(event, 4)
    assert late.status == "waiting"


def test_capacity_increase_promotes_waiting():
    """Adding seats to an event confirms people from the waiting list at once."""
    event = f.bookable(f.library(), capacity=1)
    _guest(event, 1)
    waiting = _guest(event, 2)
    services.event_update(event=event, fields={"capacity": 2}, actor=STAFF, now=NOW)
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"


def test_capacity_cannot_drop_below_seats_taken():
    """Reducing capacity below the confirmed seats is refused and nothing changes."""
    event = f.bookable(f.library(), capacity=3)
    _guest(event, 1, seats=2)
    with pytest.raises(EventInvalid):
        services.event_update(event=event, fields={"capacity": 1}, actor=STAFF, now=NOW)
    assert Event.objects.get(pk=event.pk).capacity == 3


@pytest.mark.parametrize(
    ("fields", "now", "code"),
    [
        ({"registration_required": False, "capacity": None}, NOW, "registration_not_needed"),
        ({"registration_opens_at": NOW + dt.timedelta(days=1)}, NOW, "registration_not_open"),
        ({}, NOW + dt.timedelta(days=30), "registration_closed"),
        ({"registration_closes_at": NOW - dt.timedelta(hours=1)}, NOW, "registration_closed"),
    ],
)
def test_registration_refused_outside_its_window(fields, now, code):
    """Registrations are refused when not needed, not yet open or closed, and none is stored."""
    data = {"registration_required": True, "capacity": 5, **fields}
    event = f.event(f.library(), **data)
    with pytest.raises(RegistrationRefused) as err:
        _guest(event, 1, now=now)
    assert err.value.code == code
    assert Registration.objects.count() == 0


def test_refusals_leave_nothing_behind():
    """Duplicate e-mail, too many seats, missing identity and cancelled events are refused
    with their codes and the seat counter does not move."""
    event = f.bookable(f.library(), capacity=10)
    _guest(event, 1)
    with pytest.raises(RegistrationRefused) as dup:
        services.registration_create(
            event=event, guest_name="X", guest_email="G1@example.org", actor=STAFF, now=NOW
        )
    assert dup.value.code == "already_registered"
    with pytest.raises(RegistrationRefused) as many:
        _guest(event, 2, seats=7)
    assert many.value.code == "too_many_seats"
    with pytest.raises(RegistrationRefused) as anon:
        services.registration_create(event=event, guest_name="X", actor=STAFF, now=NOW)
    assert anon.value.code == "identity_missing"
    services.event_cancel(event=event, actor=STAFF, now=NOW)
    with pytest.raises(RegistrationRefused) as cancelled:
        _guest(event, 3)
    assert cancelled.value.code == "event_cancelled"
    assert Event.objects.get(pk=event.pk).seats_taken == 1
    assert Registration.objects.count() == 1


def test_patron_registers_once():
    """A logged-in patron registers under their card; a second registration is refused."""
    lib = f.library()
    event = f.bookable(lib, capacity=5)
    p = f.patron(lib)
    reg = services.registration_create(event=event, patron=p, seats=2, actor=STAFF, now=NOW)
    assert reg.status == "confirmed" and reg.email == p.email and reg.guest_email == ""
    with pytest.raises(RegistrationRefused):
        services.registration_create(event=event, patron=p, actor=STAFF, now=NOW)


def test_cancel_twice_or_after_start_is_refused():
    """A cancelled registration cannot be cancelled again, nor one whose event started."""
    event = f.bookable(f.library(), capacity=5)
    reg = _guest(event, 1)
    services.registration_cancel(registration=reg, actor=STAFF, now=NOW)
    with pytest.raises(CancellationRefused):
        services.registration_cancel(registration=reg, actor=STAFF, now=NOW)
    other = _guest(event, 2)
    with pytest.raises(CancellationRefused):
        services.registration_cancel(registration=other, actor=STAFF, now=event.starts_at)


def test_cancellation_token_round_trip_and_tampering():
    """The signed token names its registration; an altered token is refused."""
    reg = _guest(f.bookable(f.library()), 1)
    token = services.registration_token(reg)
    assert services.registration_from_token(token).pk == reg.pk
    with pytest.raises(BadToken):
        services.registration_from_token(token[:-2] + "xx")


def test_anonymisation_after_configured_days_is_idempotent(settings):
    """Names, e-mails and patron links are erased N days after the event; seats and
    attendance stay; a second run changes nothing."""
    from navette.events.jobs import anonymise_registrations

    settings.NAVETTE_EVENTS_ANONYMISE_DAYS = 10
    lib = f.library()
    event = f.bookable(lib, capacity=5)
    guest = _guest(event, 1)
    services.registration_create(event=event, patron=f.patron(lib), actor=STAFF, now=NOW)
    services.registrations_mark_attendance(event=event, present={guest.pk}, actor=STAFF, now=NOW)
    nine_days_after = event.ends_at + dt.timedelta(days=9)
    assert "0 inscription" in anonymise_registrations(nine_days_after)
    eleven_days_after = event.ends_at + dt.timedelta(days=11)
    assert "2 inscription" in anonymise_registrations(eleven_days_after)
    assert "0 inscription" in anonymise_registrations(eleven_days_after)
    rows = list(Registration.objects.order_by("pk"))
    assert all(r.patron_id is None and r.guest_name == "" and r.guest_email == "" for r in rows)
    assert [r.attended for r in rows] == [True, False]
    assert sum(r.seats for r in rows) == 2


def test_weekly_series_keeps_paris_wall_clock_across_dst():
    """A weekly storytime at 10:30 stays at 10:30 in Paris when summer time starts."""
    from navette.core.clock import PARIS

    start = dt.datetime(2027, 3, 17, 10, 30, tzinfo=PARIS)
    events = services.event_series_create(
        fields={"title": "Bébés lecteurs", "library": f.library(), "starts_at": start,
                "ends_at": start + dt.timedelta(minutes=45)},
        until=dt.date(2027, 4, 7), actor=STAFF, now=NOW,
    )  # fmt: skip
    assert len(events) == 4
    assert {e.starts_at.astimezone(PARIS).time() for e in events} == {dt.time(10, 30)}
    assert {e.starts_at.astimezone(dt.UTC).hour for e in events} == {9, 8}
    assert len({e.series_id for e in events}) == 1


def test_copy_moves_dates_and_keeps_details():
    """Copying an event keeps its details and duration, at the new date, with no seats taken."""
    event = f.bookable(f.library(), capacity=4, description="Contes d'hiver")
    _guest(event, 1)
    new_start = event.starts_at + dt.timedelta(days=14)
    copy = services.event_copy(event=event, starts_at=new_start, actor=STAFF, now=NOW)
    assert copy.pk != event.pk and copy.description == "Contes d'hiver"
    assert copy.ends_at - copy.starts_at == event.ends_at - event.starts_at
    assert copy.seats_taken == 0 and copy.registrations.count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"title": " "},
        {"ends_at_offset": -1},
        {"library": None},
        {"registration_required": True, "capacity": None},
    ],
)
def test_invalid_events_are_refused(fields):
    """Events without title, ending before they start, without place, or with
    registration but no capacity are refused with a French message."""
    lib = f.library()
    start = NOW + dt.timedelta(days=3)
    data = {
        "title": "Atelier",
        "library": lib,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=1),
    }
    offset = fields.pop("ends_at_offset", None)
    if offset:
        data["ends_at"] = start + dt.timedelta(hours=offset)
    data.update(fields)
    with pytest.raises(EventInvalid):
        services.event_create(fields=data, actor=STAFF, now=NOW)
    assert Event.objects.count() == 0
