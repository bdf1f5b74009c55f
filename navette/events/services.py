"""Writes of the agenda: events, series, programmes, registrations.

Capacity is kept by the database: registering locks the event row (so
registrations for one event queue up, in order) and then takes the seats with
``UPDATE ... SET seats_taken = seats_taken + n WHERE seats_taken + n <= capacity``;
a CHECK constraint refuses any row over capacity whatever the code path.
E-mails leave after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.crypto import salted_hmac

from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.clock import PARIS
from navette.events import agenda_cache, images, mail
from navette.events.errors import (
    BadToken,
    CancellationRefused,
    EventInvalid,
    RegistrationRefused,
)
from navette.events.mail import RegistrationMail
from navette.events.models import (
    Event,
    EventSeries,
    EventStatus,
    GuestRequest,
    Programme,
    Registration,
    RegistrationStatus,
)
from navette.events.tokens import registration_from_token, registration_token
from navette.network.models import Library
from navette.network.scope import scope_check
from navette.patrons.models import Patron

#: Most seats one registration may take (a family, a class is booked by staff).
MAX_SEATS_PER_REGISTRATION = 6

__all__ = ["registration_from_token", "registration_token"]  # re-exported for interfaces

EVENT_FIELDS = (
    "title", "description", "image", "image_alt", "library", "place_name", "place_address",
    "starts_at", "ends_at", "audience", "theme", "programme", "series", "is_free", "price",
    "accessibility", "registration_required", "capacity", "registration_opens_at",
    "registration_closes_at", "status",
)  # fmt: skip


def _with_safe_image(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with a newly uploaded image decoded and re-encoded (``EventInvalid`` if it is
    not a JPEG, PNG or WebP image); an image already stored is kept as it is."""
    if images.is_new_upload(fields.get("image")):
        return dict(fields, image=images.reencoded(fields["image"]))
    return fields


#: the most seats an event may offer (a stadium, not a database integer)
MAX_CAPACITY = 100_000


def _check_event(event: Event) -> None:
    if not event.title.strip():
        raise EventInvalid(code="event_title_missing")
    if event.starts_at is None or event.ends_at is None:
        raise EventInvalid(code="event_times_missing")
    if event.ends_at < event.starts_at:
        raise EventInvalid(code="event_ends_before_start")
    if event.library_id is None and not event.place_name.strip():
        raise EventInvalid(code="event_place_missing")
    if event.registration_required and not event.capacity:
        raise EventInvalid(code="event_capacity_missing")
    if event.capacity is not None and event.capacity > MAX_CAPACITY:
        raise EventInvalid(code="event_capacity_too_large", max=MAX_CAPACITY)
    if event.capacity is not None and event.capacity < event.seats_taken:
        raise EventInvalid(code="event_capacity_below_taken", cap=event.capacity,
                           taken=event.seats_taken)  # fmt: skip
    if (
        event.registration_opens_at
        and event.registration_closes_at
        and event.registration_closes_at < event.registration_opens_at
    ):
        raise EventInvalid(code="registration_window_reversed")
    if event.image and not event.image_alt.strip():
        raise EventInvalid(code="event_image_alt_missing")


def _library_id(fields: dict[str, Any]) -> int | None:
    """The library of an event's fields (``None``: the whole network)."""
    library = fields.get("library")
    return library.pk if library is not None else fields.get("library_id")


def event_create(
    *,
    fields: dict[str, Any],
    other_libraries: Iterable[Library] = (),
    actor: Actor,
    now: dt.datetime,
) -> Event:
    """Create and publish an event. Raises ``EventInvalid``; ``OutOfScope`` when a staff actor
    may not act at its library (a network-wide event: network administrators only)."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    scope_check(actor=actor, library_ids=[_library_id(fields)], action="event.create", now=now)
    event = Event(**_with_safe_image(fields))
    _check_event(event)
    with transaction.atomic():
        event.save()
        if other_libraries:
            event.other_libraries.set(other_libraries)
        audit_record(
            actor=actor,
            action=AuditAction.EVENT_CREATE,
            now=now,
            library_id=event.library_id,
            obj=event,
        )
    return event


def event_update(
    *,
    event: Event,
    fields: dict[str, Any],
    other_libraries: Iterable[Library] | None = None,
    actor: Actor,
    now: dt.datetime,
) -> Event:
    """Change an event. Added seats go to the waiting list at once (with e-mails).

    Raises ``EventInvalid`` (e.g. capacity below the seats already taken); ``OutOfScope`` when
    a staff actor may not act at the event's library, or at the one it is moved to.
    """
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    scope_check(actor=actor, library_ids=[event.library_id], action="event.update", now=now,
                obj=event)  # fmt: skip
    if "library" in fields or "library_id" in fields:
        scope_check(actor=actor, library_ids=[_library_id(fields)], action="event.update",
                    now=now, obj=event)  # fmt: skip
    fields = _with_safe_image(fields)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        _check_event(locked)
        locked.save()
        if other_libraries is not None:
            locked.other_libraries.set(other_libraries)
        promoted = _promote_waiting(locked, now)
        audit_record(
            actor=actor, action=AuditAction.EVENT_UPDATE, now=now, library_id=locked.library_id,
            obj=locked, data={"fields": sorted(fields), "promoted": [r.pk for r in promoted]},
        )  # fmt: skip
        _mail_after_commit(RegistrationMail.PROMOTED, promoted)
    return locked


def event_copy(*, event: Event, starts_at: dt.datetime, actor: Actor, now: dt.datetime) -> Event:
    """A new event like ``event`` (same duration) starting at ``starts_at``, without
    its registrations. Registration windows move by the same shift."""
    shift = starts_at - event.starts_at
    fields = {name: getattr(event, name) for name in EVENT_FIELDS}
    fields["starts_at"] = starts_at
    fields["ends_at"] = event.ends_at + shift
    for name in ("registration_opens_at", "registration_closes_at"):
        if fields[name] is not None:
            fields[name] = fields[name] + shift
    fields["status"] = EventStatus.PUBLISHED
    fields["series"] = None
    return event_create(
        fields=fields, other_libraries=list(event.other_libraries.all()), actor=actor, now=now
    )


def event_series_create(
    *,
    fields: dict[str, Any],
    until: dt.date,
    interval_weeks: int = 1,
    actor: Actor,
    now: dt.datetime,
) -> list[Event]:
    """A recurring event: one Event per date, every ``interval_weeks`` weeks until ``until``.

    Dates repeat at the same Paris wall-clock time, also across a
    daylight-saving change (a 10:30 storytime stays at 10:30).
    """
    scope_check(actor=actor, library_ids=[_library_id(fields)], action="event.series_create",
                now=now)  # fmt: skip
    if interval_weeks < 1:
        raise EventInvalid(code="series_interval_too_short")
    first_start = fields["starts_at"].astimezone(PARIS)
    duration = fields["ends_at"] - fields["starts_at"]
    if until < first_start.date():
        raise EventInvalid(code="series_ends_before_start")
    fields = _with_safe_image(fields)
    if images.is_new_upload(fields.get("image")):
        # stored once, shared by every date of the series
        image_field = Event._meta.get_field("image")
        name = image_field.generate_filename(None, fields["image"].name)
        fields["image"] = image_field.storage.save(name, fields["image"])
    events: list[Event] = []
    with transaction.atomic():
        series = EventSeries.objects.create(
            title=fields["title"], interval_weeks=interval_weeks, until=until
        )
        day = first_start.date()
        while day <= until:
            start = dt.datetime.combine(day, first_start.timetz().replace(tzinfo=None), PARIS)
            occurrence = dict(fields, starts_at=start, ends_at=start + duration, series=series)
            events.append(event_create(fields=occurrence, actor=actor, now=now))
            day += dt.timedelta(weeks=interval_weeks)
    return events


def event_cancel(*, event: Event, actor: Actor, now: dt.datetime) -> Event:
    """Mark the event cancelled and tell everyone registered (after commit). ``OutOfScope``
    when a staff actor may not act at the event's library."""
    scope_check(actor=actor, library_ids=[event.library_id], action="event.cancel", now=now,
                obj=event)  # fmt: skip
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        locked.status = EventStatus.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
        active = list(
            locked.registrations.filter(
                status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING]
            )
        )
        audit_record(
            actor=actor,
            action=AuditAction.EVENT_CANCEL,
            now=now,
            library_id=locked.library_id,
            obj=locked,
        )
        _mail_after_commit(RegistrationMail.EVENT_CANCELLED, active)
    return locked


def programme_save(
    *, programme: Programme | None, fields: dict[str, Any], actor: Actor, now: dt.datetime
) -> Programme:
    """Create (``programme=None``) or change a programme. Raises ``EventInvalid``."""
    target = programme or Programme()
    for name, value in fields.items():
        setattr(target, name, value)
    if not target.title.strip() or not target.slug:
        raise EventInvalid(code="programme_incomplete")
    if target.ends_on < target.starts_on:
        raise EventInvalid(code="programme_ends_before_start")
    with transaction.atomic():
        try:
            with transaction.atomic():
                target.save()
        except IntegrityError:
            raise EventInvalid(code="programme_slug_taken", slug=target.slug) from None
        audit_record(
            actor=actor,
            action=AuditAction.PROGRAMME_SAVE,
            now=now,
            obj=target,
            data={"slug": target.slug},
        )
    return target


# --- registrations --------------------------------------------------------------------------


def _check_open(event: Event, seats: int, now: dt.datetime) -> None:
    if not event.registration_required or event.capacity is None:
        raise RegistrationRefused(code="registration_not_needed")
    if event.status != EventStatus.PUBLISHED:
        raise RegistrationRefused(code="event_cancelled")
    if event.registration_opens_at and now < event.registration_opens_at:
        raise RegistrationRefused(
            code="registration_not_open", opens_at=event.registration_opens_at
        )
    closes = event.registration_closes_at or event.starts_at
    if now >= closes:
        raise RegistrationRefused(code="registration_closed")
    if not 1 <= seats <= MAX_SEATS_PER_REGISTRATION:
        raise RegistrationRefused(code="too_many_seats", max=MAX_SEATS_PER_REGISTRATION)


def _take_seats(event_id: int, seats: int) -> bool:
    """The conditional UPDATE: True when the seats were free and are now taken."""
    taken = (
        Event.objects.filter(pk=event_id, seats_taken__lte=F("capacity") - seats).update(
            seats_taken=F("seats_taken") + seats
        )
        == 1
    )
    if taken:
        agenda_cache.bump()  # an UPDATE sends no signal: the seats left changed
    return taken


def registration_create(
    *,
    event: Event,
    patron: Patron | None = None,
    guest_name: str = "",
    guest_email: str = "",
    seats: int = 1,
    actor: Actor,
    now: dt.datetime,
) -> Registration:
    """Register a patron, or a guest (name and e-mail), for ``seats`` seats.

    Confirmed when the seats are free and nobody is waiting before; otherwise
    put on the waiting list. A confirmation e-mail with a cancellation link is
    sent after commit. Raises ``RegistrationRefused``.
    """
    guest_name, guest_email = guest_name.strip(), guest_email.strip().lower()
    if patron is None and (not guest_name or not guest_email):
        raise RegistrationRefused(code="identity_missing")
    with transaction.atomic():
        # The lock makes registrations to one event queue up, so the waiting
        # list keeps arrival order; the conditional UPDATE below keeps the count.
        locked = Event.objects.select_for_update().get(pk=event.pk)
        _check_open(locked, seats, now)
        someone_waiting = locked.registrations.filter(status=RegistrationStatus.WAITING).exists()
        registration = Registration(
            event=locked,
            patron=patron,
            home_library_id=patron.home_library_id if patron else None,
            guest_name="" if patron else guest_name,
            guest_email="" if patron else guest_email,
            seats=seats,
            status=RegistrationStatus.WAITING,
            created_at=now,
        )
        try:
            with transaction.atomic():
                registration.save()
        except IntegrityError:
            raise RegistrationRefused(code="already_registered") from None
        if not someone_waiting and _take_seats(locked.pk, seats):
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
            registration.save(update_fields=["status", "confirmed_at"])
        audit_record(
            actor=actor, action=AuditAction.REGISTRATION_CREATE, now=now, library_id=locked.library_id,
            obj=registration, data={"event": locked.pk, "seats": seats, "status": registration.status},
        )  # fmt: skip
        _mail_after_commit(
            RegistrationMail.CONFIRMED
            if registration.status == RegistrationStatus.CONFIRMED
            else RegistrationMail.WAITING,
            [registration],
        )
    return registration


# --- guests: a registration confirmed by e-mail --------------------------------------------

GUEST_SALT = "navette.events.guest-confirm"
#: how long a guest's confirmation link works
GUEST_LINK_HOURS = 24
#: guest requests allowed per hour from one address, and to one e-mail address
GUEST_REQUESTS_PER_ADDRESS = 10
GUEST_REQUESTS_PER_EMAIL = 3


def _email_digest(email: str) -> str:
    return salted_hmac(GUEST_SALT, email.lower()).hexdigest()[:32]


def guest_registration_request(
    *,
    event: Event,
    guest_name: str,
    guest_email: str,
    seats: int,
    ip: str,
    now: dt.datetime,
    link_for: Callable[[str], str],
) -> None:
    """A guest (not logged in) asks for seats: nothing is booked yet. An e-mail goes to
    ``guest_email`` (after commit) with a signed link, ``link_for(token)``, valid
    ``GUEST_LINK_HOURS`` hours; ``guest_registration_confirm`` then books the seats.

    So nobody fills an event's seats, or sends mail to any address, without reading
    the mails of the addresses used; and at most ``GUEST_REQUESTS_PER_ADDRESS``
    requests per hour come from one network address, ``GUEST_REQUESTS_PER_EMAIL``
    go to one e-mail address. Raises ``RegistrationRefused``.
    """
    guest_name, guest_email = " ".join(guest_name.split()), guest_email.strip().lower()
    if not guest_name or not guest_email:
        raise RegistrationRefused(code="identity_missing")
    _check_open(event, seats, now)
    digest = _email_digest(guest_email)
    with transaction.atomic():
        recent = GuestRequest.objects.filter(at__gt=now - dt.timedelta(hours=1))
        if (
            recent.filter(ip=ip).count() >= GUEST_REQUESTS_PER_ADDRESS
            or recent.filter(email_digest=digest).count() >= GUEST_REQUESTS_PER_EMAIL
        ):
            raise RegistrationRefused(code="too_many_requests")
        GuestRequest.objects.create(ip=ip[:45], email_digest=digest, at=now)
        GuestRequest.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    token = signing.dumps(
        {"e": event.pk, "n": guest_name, "m": guest_email, "s": seats, "t": int(now.timestamp())},
        salt=GUEST_SALT, compress=True,
    )  # fmt: skip
    link = link_for(token)
    transaction.on_commit(
        lambda: mail.send_guest_confirmation(event.pk, guest_name, guest_email, link, seats)
    )


def guest_request_check(*, token: str, now: dt.datetime) -> tuple[Event, str, str, int]:
    """The event, name, e-mail and seats a guest's confirmation link asks for.

    Raises ``BadToken`` for a forged or expired link or an event that is gone.
    """
    try:
        data = signing.loads(token, salt=GUEST_SALT)
    except signing.BadSignature:
        raise BadToken(code="link_invalid") from None
    if now.timestamp() - int(data.get("t", 0)) > GUEST_LINK_HOURS * 3600:
        raise BadToken(code="link_expired", hours=GUEST_LINK_HOURS)
    event = Event.objects.filter(pk=data.get("e")).first()
    if event is None:
        raise BadToken(code="event_gone")
    return event, str(data["n"]), str(data["m"]), int(data["s"])


def guest_registration_confirm(*, token: str, now: dt.datetime) -> Registration:
    """Book the seats a guest asked for, from the link in their e-mail (once: a second use
    finds the registration and is refused). Raises ``BadToken`` or ``RegistrationRefused``."""
    event, name, email, seats = guest_request_check(token=token, now=now)
    return registration_create(
        event=event, guest_name=name, guest_email=email, seats=seats,
        actor=Actor.system("portal-guest"), now=now,
    )  # fmt: skip


def _promote_waiting(event: Event, now: dt.datetime) -> list[Registration]:
    """Give free seats to the waiting list, first come first served.

    A waiting registration that needs more seats than are free is passed
    over for a later, smaller one. Precondition: the event row is locked.
    """
    if event.capacity is None or event.status != EventStatus.PUBLISHED or event.starts_at <= now:
        return []
    event.refresh_from_db(fields=["seats_taken", "capacity"])
    free = event.capacity - event.seats_taken
    promoted: list[Registration] = []
    if free <= 0:
        return promoted
    waiting = event.registrations.select_for_update().filter(status=RegistrationStatus.WAITING)
    for registration in waiting.order_by("created_at", "pk"):
        if registration.seats > free:
            continue
        if not _take_seats(event.pk, registration.seats):
            break
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.save(update_fields=["status", "confirmed_at"])
        promoted.append(registration)
        free -= registration.seats
        if free <= 0:
            break
    return promoted


def registration_cancel(
    *, registration: Registration, actor: Actor, now: dt.datetime
) -> list[Registration]:
    """Cancel a registration; freed seats go to the waiting list.

    Returns the registrations promoted from the waiting list; each gets an
    e-mail after commit. Raises ``CancellationRefused`` when already cancelled
    or when the event has started.
    """
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=registration.event_id)
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.status == RegistrationStatus.CANCELLED:
            raise CancellationRefused(code="registration_already_cancelled")
        if event.starts_at <= now:
            raise CancellationRefused(code="event_started")
        was_confirmed = locked.status == RegistrationStatus.CONFIRMED
        locked.status = RegistrationStatus.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["status", "cancelled_at"])
        if was_confirmed:
            Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") - locked.seats)
            agenda_cache.bump()
        promoted = _promote_waiting(event, now)
        audit_record(
            actor=actor, action=AuditAction.REGISTRATION_CANCEL, now=now, library_id=event.library_id,
            obj=locked, data={"event": event.pk, "promoted": [r.pk for r in promoted]},
        )  # fmt: skip
        _mail_after_commit(RegistrationMail.CANCELLED, [locked])
        _mail_after_commit(RegistrationMail.PROMOTED, promoted)
    registration.status = locked.status
    registration.cancelled_at = locked.cancelled_at
    return promoted


def registrations_mark_attendance(
    *, event: Event, present: set[int], actor: Actor, now: dt.datetime
) -> int:
    """Record who came: confirmed registrations in ``present`` attended, the others did not.
    ``OutOfScope`` when a staff actor may not act at the event's library.

    Raises ``EventInvalid`` (nothing recorded) when ``present`` names anything but this
    event's confirmed registrations (a forged or stale form).
    """
    scope_check(actor=actor, library_ids=[event.library_id], action="registration.attendance",
                now=now, obj=event)  # fmt: skip
    with transaction.atomic():
        confirmed = event.registrations.filter(status=RegistrationStatus.CONFIRMED)
        # compared in Python: a forged number may not fit a database integer
        unknown = present - set(confirmed.values_list("pk", flat=True))
        if unknown:
            raise EventInvalid(code="attendance_unknown", numbers=sorted(unknown)[:5])
        came = confirmed.filter(pk__in=present).update(attended=True)
        confirmed.exclude(pk__in=present).update(attended=False)
        audit_record(
            actor=actor, action=AuditAction.REGISTRATION_ATTENDANCE, now=now,
            library_id=event.library_id, obj=event, data={"present": sorted(present)},
        )  # fmt: skip
    return came


def registrations_anonymise(*, now: dt.datetime, after_days: int) -> int:
    """Erase names, e-mails and patron links of registrations to events that
    ended more than ``after_days`` days ago. Seats and attendance stay.
    Idempotent: returns how many registrations were anonymised this time."""
    cutoff = now - dt.timedelta(days=after_days)
    with transaction.atomic():
        count = Registration.objects.filter(
            event__ends_at__lt=cutoff, anonymised_at__isnull=True
        ).update(patron=None, guest_name="", guest_email="", anonymised_at=now)
        if count:
            audit_record(
                actor=Actor.system("events_anonymise"), action=AuditAction.REGISTRATION_ANONYMISE,
                now=now, data={"count": count, "after_days": after_days},
            )  # fmt: skip
    return count


def _mail_after_commit(kind: RegistrationMail, registrations: list[Registration]) -> None:
    ids = [r.pk for r in registrations]
    if ids:
        transaction.on_commit(lambda: mail.send_registration_mails(kind, ids), robust=True)
