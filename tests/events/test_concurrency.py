"""Capacity under simultaneous requests, on PostgreSQL with real connections."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from navette.events import services
from navette.events.models import Event, Registration, RegistrationStatus
from tests.events import factories as f
from tests.events.factories import NOW, STAFF

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _simultaneously(n: int, action):  # type: ignore[no-untyped-def]
    """Run ``action(i)`` for i in range(n), each in its own thread and database
    connection, released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int):  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=30)
            return action(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_thirty_simultaneous_registrations_for_twenty_seats(smtp_server):
    """30 guests register at once for 20 seats: exactly 20 are confirmed and 10 wait.
    One cancellation then confirms the first person waiting, who receives an
    e-mail through a real SMTP server."""
    event = f.bookable(f.library(), capacity=20)

    def register(i: int):  # type: ignore[no-untyped-def]
        return services.registration_create(
            event=event, guest_name=f"Invité {i}", guest_email=f"guest{i}@example.org",
            actor=STAFF, now=NOW,
        ).status  # fmt: skip

    statuses = _simultaneously(30, register)
    assert statuses.count("confirmed") == 20 and statuses.count("waiting") == 10
    event.refresh_from_db()
    assert event.seats_taken == 20
    assert Registration.objects.filter(event=event, status="confirmed").count() == 20
    assert len(smtp_server.messages) == 30

    waiting = list(
        Registration.objects.filter(event=event, status=RegistrationStatus.WAITING).order_by(
            "created_at", "pk"
        )
    )
    first_waiting = waiting[0]
    leaving = Registration.objects.filter(event=event, status="confirmed").first()
    smtp_server.messages.clear()

    promoted = services.registration_cancel(registration=leaving, actor=STAFF, now=NOW)

    assert [r.pk for r in promoted] == [first_waiting.pk]
    first_waiting.refresh_from_db()
    assert first_waiting.status == "confirmed"
    assert Registration.objects.filter(event=event, status="waiting").count() == 9
    assert Event.objects.get(pk=event.pk).seats_taken == 20
    by_recipient = {m["To"]: m for m in smtp_server.messages}
    assert set(by_recipient) == {leaving.guest_email, first_waiting.guest_email}
    promoted_mail = by_recipient[first_waiting.guest_email]
    assert "place s'est libérée" in promoted_mail["Subject"]
    assert "/agenda/annulation/" in promoted_mail.get_content()


def test_simultaneous_cancellations_promote_exactly_as_many_as_freed():
    """Two cancellations at once free two seats: the two first waiting are confirmed,
    the third keeps waiting, and the count never exceeds capacity."""
    event = f.bookable(f.library(), capacity=2)
    regs = [
        services.registration_create(
            event=event, guest_name=f"I{i}", guest_email=f"i{i}@example.org", actor=STAFF, now=NOW
        )
        for i in range(5)
    ]
    confirmed, waiting = regs[:2], regs[2:]
    _simultaneously(
        2, lambda i: services.registration_cancel(registration=confirmed[i], actor=STAFF, now=NOW)
    )
    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == ["confirmed", "confirmed", "waiting"]
    assert Event.objects.get(pk=event.pk).seats_taken == 2
