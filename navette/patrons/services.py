"""Patron use cases: registration at the desk, membership, cards, PINs, portal
login with lockout, PIN reset by e-mail, contact details, privacy jobs.

Every function takes ``now`` (aware datetime) and opens its own transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.crypto import constant_time_compare, salted_hmac

from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor, ActorKind
from navette.core.audit import audit_record
from navette.core.mail import build_mail
from navette.network.models import Library
from navette.network.scope import scope_check
from navette.patrons import conf
from navette.patrons.errors import (
    CardLocked,
    CardNumberTaken,
    InvalidResetLink,
    InvalidSecret,
    LoginRefused,
    PatronInvalid,
    TooManyAttempts,
)
from navette.patrons.models import LoginAttempt, Patron, PatronCard, PatronCategory
from navette.patrons.selectors import possible_duplicates

RESET_SALT = "navette.patrons.pin-reset"
PIN_RE = re.compile(r"^\d{4,8}$")
MIN_PASSWORD_LENGTH = 8


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _normalise_card(number: str) -> str:
    return re.sub(r"\s+", "", number or "")


def _card_is_taken(number: str, *, except_patron: Patron | None = None) -> bool:
    patrons = Patron.objects.filter(card_number=number)
    cards = PatronCard.objects.filter(number=number)
    if except_patron is not None:
        patrons = patrons.exclude(pk=except_patron.pk)
        cards = cards.exclude(patron=except_patron)
    return patrons.exists() or cards.exists()


# --- registration, membership, cards ------------------------------------------------------


class DuplicateSuspected(PatronInvalid):
    """A patron with the same name and birth date exists; staff must confirm."""

    code = "duplicate_suspected"


@dataclass(frozen=True)
class ContactDetails:
    email: str = ""
    phone: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""


def patron_register(
    *,
    first_name: str,
    last_name: str,
    birth_date: dt.date | None,
    contact: ContactDetails,
    category: PatronCategory,
    home_library: Library,
    card_number: str,
    actor: Actor,
    now: dt.datetime,
    allow_duplicate: bool = False,
) -> Patron:
    """Register a patron with a card valid in every library of the network.

    Raises ``DuplicateSuspected`` (with ``context["duplicates"]``) when a patron with
    the same name and birth date exists, unless ``allow_duplicate``; raises
    ``CardNumberTaken`` when the card number was ever given to someone; ``OutOfScope``
    (audited) when a staff actor does not work at ``home_library``.
    """
    scope_check(actor=actor, library_ids=[home_library.pk], action="patron.register", now=now)
    number = _normalise_card(card_number)
    first_name, last_name = first_name.strip(), last_name.strip()
    if not number:
        raise PatronInvalid(code="card_number_missing")
    if not first_name or not last_name:
        raise PatronInvalid(code="name_missing")
    if not allow_duplicate:
        duplicates = possible_duplicates(
            first_name=first_name, last_name=last_name, birth_date=birth_date
        )
        if duplicates:
            raise DuplicateSuspected(duplicates=duplicates)
    today = clock.today(now)
    try:
        with transaction.atomic():
            if _card_is_taken(number):
                raise CardNumberTaken(number=number)
            patron = Patron.objects.create(
                card_number=number,
                first_name=first_name,
                last_name=last_name,
                birth_date=birth_date,
                email=contact.email.strip(),
                phone=contact.phone.strip(),
                street=contact.street.strip(),
                postcode=contact.postcode.strip(),
                city=contact.city.strip(),
                category=category,
                home_library=home_library,
                membership_expires_on=add_months(today, category.membership_months),
                last_activity_at=now,
            )
            PatronCard.objects.create(patron=patron, number=number, issued_at=now)
            audit_record(
                actor=actor, action=AuditAction.PATRON_REGISTER, now=now,
                library_id=home_library.pk, obj=patron,
                data={"duplicate_confirmed": allow_duplicate},
            )  # fmt: skip
    except IntegrityError:
        raise CardNumberTaken(number=number) from None
    return patron


def patron_renew_membership(*, patron: Patron, actor: Actor, now: dt.datetime) -> dt.date:
    """Extend membership (free) by the category's duration from today or from the
    current end if it is still ahead. Returns the new end date. Only staff working at the
    patron's home library may (else ``OutOfScope``, audited)."""
    scope_check(actor=actor, library_ids=[patron.home_library_id], action="patron.renew",
                now=now, obj=patron)  # fmt: skip
    with transaction.atomic():
        locked = Patron.objects.select_for_update().select_related("category").get(pk=patron.pk)
        today = clock.today(now)
        start = max(today, locked.membership_expires_on)
        locked.membership_expires_on = add_months(start, locked.category.membership_months)
        locked.last_activity_at = now
        locked.save(update_fields=["membership_expires_on", "last_activity_at"])
        audit_record(
            actor=actor, action=AuditAction.PATRON_RENEW_MEMBERSHIP, now=now, obj=locked,
            data={"until": locked.membership_expires_on.isoformat()},
        )  # fmt: skip
    patron.membership_expires_on = locked.membership_expires_on
    return locked.membership_expires_on


def patron_replace_card(
    *, patron: Patron, new_number: str, reason: str, actor: Actor, now: dt.datetime
) -> PatronCard:
    """Give the patron a new card. The old number stops working at once but stays in
    the card history (and is never reissued); loans, holds and history are untouched.
    Only staff working at the patron's home library may (else ``OutOfScope``, audited)."""
    scope_check(actor=actor, library_ids=[patron.home_library_id], action="patron.replace_card",
                now=now, obj=patron)  # fmt: skip
    number = _normalise_card(new_number)
    if not number:
        raise PatronInvalid(code="new_card_number_missing")
    try:
        with transaction.atomic():
            locked = Patron.objects.select_for_update().get(pk=patron.pk)
            if _card_is_taken(number):
                raise CardNumberTaken(number=number)
            current = PatronCard.objects.filter(
                patron=locked, replaced_at__isnull=True, is_alias=False
            ).first()
            if current is None:  # a patron registered before card history existed
                current = PatronCard.objects.create(
                    patron=locked, number=locked.card_number, issued_at=locked.created_at or now
                )
            current.replaced_at = now
            current.reason = reason.strip()[:200]
            current.save(update_fields=["replaced_at", "reason"])
            card = PatronCard.objects.create(patron=locked, number=number, issued_at=now)
            old = locked.card_number
            locked.card_number = number
            locked.failed_logins = 0
            locked.locked_until = None
            locked.save(update_fields=["card_number", "failed_logins", "locked_until"])
            audit_record(
                actor=actor, action=AuditAction.PATRON_REPLACE_CARD, now=now, obj=locked,
                data={"old": old, "new": number},
            )  # fmt: skip
    except IntegrityError:
        raise CardNumberTaken(number=number) from None
    patron.card_number = number
    return card


def validate_secret(secret: str) -> None:
    """A PIN is 4 to 8 digits; a password has at least 8 characters."""
    if PIN_RE.match(secret or ""):
        return
    if secret and not secret.isdigit() and len(secret) >= MIN_PASSWORD_LENGTH:
        return
    raise InvalidSecret(code="secret_too_weak", min_length=MIN_PASSWORD_LENGTH)


def patron_set_pin(*, patron: Patron, secret: str, actor: Actor, now: dt.datetime) -> None:
    """Set the PIN or password (stored as a Django password hash) and unlock the card.

    Only staff working at the patron's home library may (else ``OutOfScope``, audited).
    Hashed before the transaction opens: a hash takes a tenth of a second, during
    which SQLite's write lock (taken at BEGIN IMMEDIATE) would stop every desk.
    """
    scope_check(actor=actor, library_ids=[patron.home_library_id], action="patron.set_pin",
                now=now, obj=patron)  # fmt: skip
    validate_secret(secret)
    _store_pin(patron=patron, pin_hash=make_password(secret), actor=actor, now=now)


def _store_pin(
    *, patron: Patron, pin_hash: str, actor: Actor, now: dt.datetime, replacing: str | None = None
) -> bool:
    """Store an already hashed PIN and unlock the card, in one short transaction; with
    ``replacing``, only if the stored hash is still that one (a reset link used twice at
    once works once). Returns whether it was stored."""
    with transaction.atomic():
        patrons = Patron.objects.filter(pk=patron.pk)
        if replacing is not None:
            patrons = patrons.filter(pin_hash=replacing)
        stored = patrons.update(pin_hash=pin_hash, failed_logins=0, locked_until=None)
        if stored:
            audit_record(actor=actor, action=AuditAction.PATRON_SET_PIN, now=now, obj=patron)
    patron.refresh_from_db(fields=["pin_hash", "failed_logins", "locked_until"])
    return bool(stored)


def patron_change_pin(*, patron: Patron, current: str, new: str, now: dt.datetime) -> None:
    """The patron changes their own PIN; the current one must be right.

    A wrong current PIN counts as a failed login (``CardLocked`` after
    ``lockout_attempts()`` in a row): a stolen session cannot guess the PIN.
    Raises ``InvalidSecret`` for a wrong current PIN or an invalid new one.
    """
    validate_secret(new)
    _check_current_pin(patron=patron, pin=current, now=now)
    patron_set_pin(patron=patron, secret=new, actor=Actor.patron(patron.pk), now=now)


def _check_current_pin(*, patron: Patron, pin: str, now: dt.datetime) -> None:
    """The signed-in patron proves they know the PIN, under the login lockout.

    Raises ``CardLocked`` while the card is locked (even for the right PIN), and
    ``InvalidSecret`` for a wrong PIN, which counts towards the lockout.
    """
    fresh = Patron.objects.filter(pk=patron.pk).values("pin_hash", "locked_until").get()
    locked_until = fresh["locked_until"]
    if locked_until is None or locked_until <= now:
        if fresh["pin_hash"] and check_password(pin, fresh["pin_hash"], setter=None):
            return
        with transaction.atomic():
            locked_until = _count_failure(patron.pk, now=now)
        if locked_until is None:
            raise InvalidSecret(code="current_pin_wrong")
    raise _card_locked(locked_until)


# --- portal login ---------------------------------------------------------------------------

CARD_DIGEST_SALT = "navette.patrons.login-card"


def _card_digest(number: str) -> str:
    """What the attempts on an unknown card number keep of it (not the number itself)."""
    return salted_hmac(CARD_DIGEST_SALT, number).hexdigest()[:32]


def _card_locked(until: dt.datetime) -> CardLocked:
    return CardLocked(until=until)


def _unlocked(now: dt.datetime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lte=now)


def _count_failure(patron_pk: int, *, now: dt.datetime) -> dt.datetime | None:
    """One more wrong PIN for a patron; returns the end of the card's lock if it is locked
    now (by this failure, or by another one while this PIN was being checked).

    Conditional updates for the caller's short transaction (no hashing inside it):
    simultaneous wrong PINs are all counted, lock the card once, and those that
    arrive once it is locked count for nothing.
    """
    counted = (
        Patron.objects.filter(pk=patron_pk)
        .filter(_unlocked(now))
        .update(failed_logins=F("failed_logins") + 1)
    )
    if not counted:
        locked_until: dt.datetime | None = (
            Patron.objects.filter(pk=patron_pk).values_list("locked_until", flat=True).get()
        )
        return locked_until
    until = now + dt.timedelta(minutes=conf.lockout_minutes())
    locked = Patron.objects.filter(pk=patron_pk, failed_logins__gte=conf.lockout_attempts()).update(
        failed_logins=0, locked_until=until
    )
    return until if locked else None


def _unknown_card_locked_until(digest: str, *, now: dt.datetime) -> dt.datetime | None:
    """The lock an unknown card number would be under, had it been a real card.

    Replays the day's counted failures on that number with the real cards' rule
    (``lockout_attempts()`` wrong PINs lock for ``lockout_minutes()``, then the
    count starts again), so that an unknown number answers exactly as a real card
    whose PIN is not known: locking does not reveal which cards exist.
    """
    attempts = LoginAttempt.objects.filter(
        card_digest=digest, at__gte=now - dt.timedelta(days=1)
    ).order_by("at")
    count, until = 0, None
    for at in attempts.values_list("at", flat=True):
        if until is not None and at < until:
            continue
        count += 1
        if count >= conf.lockout_attempts():
            count, until = 0, at + dt.timedelta(minutes=conf.lockout_minutes())
    return until if until is not None and until > now else None


def patron_authenticate(*, card_number: str, pin: str, now: dt.datetime, ip: str) -> Patron:
    """Check a card number and PIN for a portal login.

    - The same ``LoginRefused`` for an unknown card and a wrong PIN.
    - After ``lockout_attempts()`` wrong PINs in a row the card is locked for
      ``lockout_minutes()`` (``CardLocked``), even for the right PIN; an unknown
      card number is "locked" the same way, so the lock reveals nothing.
    - More than ``address_max_failures()`` failures from one address within the window
      refuse every login from it (``TooManyAttempts``). Attempts are counted in the
      database so that all server processes agree.

    The PIN is hashed outside any transaction (a hash takes a tenth of a second,
    which on SQLite would hold the database's write lock against every desk);
    the counters then change in one short transaction of conditional updates.
    """
    number = _normalise_card(card_number)
    window_start = now - dt.timedelta(minutes=conf.address_window_minutes())
    failures = LoginAttempt.objects.filter(ip=ip, at__gte=window_start, succeeded=False).count()
    if failures >= conf.address_max_failures():
        raise TooManyAttempts(minutes=conf.address_window_minutes())
    patron = Patron.objects.filter(card_number=number).first() if number else None
    if patron is None and number:  # another card of a merged patron (read only then)
        patron = Patron.objects.filter(
            cards__number=number, cards__is_alias=True, cards__replaced_at__isnull=True
        ).first()
    if patron is None:
        digest = _card_digest(number)
        locked_until = _unknown_card_locked_until(digest, now=now)
        if locked_until is None:
            make_password(pin)  # spend the same time as a real check
            LoginAttempt.objects.create(ip=ip, at=now, succeeded=False, card_digest=digest)
            locked_until = _unknown_card_locked_until(digest, now=now)
            if locked_until is None:
                raise LoginRefused()
        else:
            LoginAttempt.objects.create(ip=ip, at=now, succeeded=False)
        raise _card_locked(locked_until)
    if patron.locked_until is not None and patron.locked_until > now:
        LoginAttempt.objects.create(ip=ip, at=now, succeeded=False)
        raise _card_locked(patron.locked_until)
    if patron.pin_hash and check_password(pin, patron.pin_hash, setter=None):
        with transaction.atomic():
            # not if the PIN changed or the card was locked while the hash was checked
            signed_in = (
                Patron.objects.filter(pk=patron.pk, pin_hash=patron.pin_hash)
                .filter(_unlocked(now))
                .update(failed_logins=0, locked_until=None, last_activity_at=now)
            )
            LoginAttempt.objects.create(ip=ip, at=now, succeeded=bool(signed_in))
        if signed_in:
            patron.failed_logins, patron.locked_until, patron.last_activity_at = 0, None, now
            return patron
        raise LoginRefused()
    with transaction.atomic():
        locked_until = _count_failure(patron.pk, now=now)
        LoginAttempt.objects.create(ip=ip, at=now, succeeded=False)
    if locked_until is not None:
        raise _card_locked(locked_until)
    raise LoginRefused()


def login_attempts_purge(*, now: dt.datetime) -> int:
    """Forget login attempts older than a day (they only serve the rate limit)."""
    deleted, _details = LoginAttempt.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    return deleted


# --- PIN reset by e-mail ----------------------------------------------------------------------


def _pin_fingerprint(patron: Patron) -> str:
    # Changes whenever the PIN changes, so a reset link works once.
    return salted_hmac(RESET_SALT, f"{patron.pk}:{patron.pin_hash}").hexdigest()[:20]


def reset_token_make(*, patron: Patron, now: dt.datetime) -> str:
    payload = {"p": patron.pk, "t": int(now.timestamp()), "h": _pin_fingerprint(patron)}
    return signing.dumps(payload, salt=RESET_SALT, compress=True)


def reset_token_check(*, token: str, now: dt.datetime) -> Patron:
    """The patron a reset link belongs to; ``InvalidResetLink`` if forged, used or expired."""
    refused = InvalidResetLink()
    try:
        payload = signing.loads(token, salt=RESET_SALT)
    except signing.BadSignature:
        raise refused
    patron = Patron.objects.filter(pk=payload.get("p")).first()
    if patron is None:
        raise refused
    age = now.timestamp() - float(payload.get("t", 0))
    if age < 0 or age > conf.reset_link_minutes() * 60:
        raise refused
    if not constant_time_compare(str(payload.get("h", "")), _pin_fingerprint(patron)):
        raise refused
    return patron


def patron_send_reset_link(
    *, card_number: str, email: str, now: dt.datetime, link_for: Callable[[str], str]
) -> bool:
    """E-mail a one-time PIN reset link when the card and address match a patron.

    The caller shows the same message either way (no probing of cards or addresses);
    the return value is for tests and logs only. The mail leaves after commit.
    """
    number = _normalise_card(card_number)
    email = (email or "").strip()
    patron = Patron.objects.filter(card_number=number).first() if number else None
    if patron is None or not email or patron.email.lower() != email.lower():
        return False
    link = link_for(reset_token_make(patron=patron, now=now))
    message = build_mail(
        "patrons/pin_reset",
        {"patron": patron, "link": link, "minutes": conf.reset_link_minutes()},
        patron.preferred_language,
        to=[patron.email],
    )
    transaction.on_commit(lambda: message.send(fail_silently=False))
    return True


def patron_reset_pin(*, token: str, secret: str, now: dt.datetime) -> Patron:
    """Set a new PIN from a reset link; the link then stops working.

    The new PIN is hashed outside the transaction; the store is conditional on the
    PIN the link was made for, so a link used twice at once works once.
    """
    patron = reset_token_check(token=token, now=now)
    validate_secret(secret)
    stored = _store_pin(
        patron=patron, pin_hash=make_password(secret), actor=Actor.patron(patron.pk), now=now,
        replacing=patron.pin_hash,
    )  # fmt: skip
    if not stored:  # the PIN changed since the link was checked: the link is spent
        raise InvalidResetLink()
    return patron


# --- contact details and preferences -----------------------------------------------------------


EMAIL_REPORT_SALT = "navette.patrons.email-change-report"
#: how long the old address may report a change it did not make
EMAIL_REPORT_DAYS = 30


def patron_update_contact(
    *,
    patron: Patron,
    contact: ContactDetails,
    notify_by_email: bool,
    history_opt_in: bool,
    preferred_language: str,
    actor: Actor,
    now: dt.datetime,
    current_pin: str = "",
    report_link_for: Callable[[str], str] | None = None,
) -> Patron:
    """Update contact details and preferences. E-mail notices need an address.

    The e-mail address receives PIN-reset links, so changing it is guarded:

    - a patron changing their own address gives their current PIN
      (``current_pin``), checked under the login lockout (``InvalidSecret``,
      then ``CardLocked``): a stolen session alone cannot take the account over;
    - the previous address, if any, is told after commit, with a link
      (``report_link_for(token)``) to report a change its owner did not make
      (``patron_report_email_change`` puts the previous address back).
    """
    email = contact.email.strip()
    if notify_by_email and not email:
        raise PatronInvalid(code="notice_email_missing")
    if preferred_language not in ("fr", "en"):
        raise PatronInvalid(code="unknown_language", language=preferred_language)
    previous = Patron.objects.values_list("email", flat=True).get(pk=patron.pk)
    email_changed = email.lower() != previous.lower()
    if email_changed and actor.kind == ActorKind.PATRON:
        if not current_pin:
            raise InvalidSecret(code="current_pin_needed")
        _check_current_pin(patron=patron, pin=current_pin, now=now)
    with transaction.atomic():
        Patron.objects.filter(pk=patron.pk).update(
            email=email,
            phone=contact.phone.strip(),
            street=contact.street.strip(),
            postcode=contact.postcode.strip(),
            city=contact.city.strip(),
            notify_by_email=notify_by_email,
            history_opt_in=history_opt_in,
            preferred_language=preferred_language,
            last_activity_at=now,
        )
        audit_record(
            actor=actor, action=AuditAction.PATRON_UPDATE_CONTACT, now=now, obj=patron,
            data={"history_opt_in": history_opt_in, "notify_by_email": notify_by_email,
                  "email_changed": email_changed},
        )  # fmt: skip
        if email_changed and previous:
            _tell_previous_address(patron, previous, email, now, report_link_for)
    patron.refresh_from_db()
    return patron


def _tell_previous_address(
    patron: Patron, previous: str, new: str, now: dt.datetime,
    report_link_for: Callable[[str], str] | None,
) -> None:  # fmt: skip
    token = signing.dumps(
        {"p": patron.pk, "old": previous, "new": new, "t": int(now.timestamp())},
        salt=EMAIL_REPORT_SALT, compress=True,
    )  # fmt: skip
    context = {
        "patron": patron,
        "link": report_link_for(token) if report_link_for else "",
        "days": EMAIL_REPORT_DAYS,
        "when": now,
    }
    message = build_mail("patrons/email_changed", context, patron.preferred_language, to=[previous])
    transaction.on_commit(lambda: message.send(fail_silently=False))


def email_report_check(*, token: str, now: dt.datetime) -> tuple[Patron, str, str]:
    """The patron, previous and new address of an e-mail change report link.

    Raises ``InvalidResetLink`` for a forged, expired or unknown link.
    """
    refused = InvalidResetLink(code="invalid_report_link")
    try:
        payload = signing.loads(token, salt=EMAIL_REPORT_SALT)
    except signing.BadSignature:
        raise refused from None
    if now.timestamp() - int(payload.get("t", 0)) > EMAIL_REPORT_DAYS * 86400:
        raise refused
    patron = Patron.objects.filter(pk=payload.get("p")).first()
    if patron is None:
        raise refused
    return patron, str(payload["old"]), str(payload["new"])


def patron_report_email_change(*, token: str, now: dt.datetime) -> bool:
    """The owner of the previous address reports a change they did not make.

    Puts the previous address back if the new one is still in place (and says
    so with True), and records the report in the audit journal for the staff
    either way. Raises ``InvalidResetLink`` for a bad link.
    """
    patron, previous, new = email_report_check(token=token, now=now)
    with transaction.atomic():
        restored = Patron.objects.filter(pk=patron.pk, email__iexact=new).update(email=previous)
        audit_record(
            actor=Actor.patron(patron.pk), action=AuditAction.PATRON_EMAIL_CHANGE_REPORTED, now=now,
            obj=patron, data={"restored": bool(restored)},
        )  # fmt: skip
    return bool(restored)
