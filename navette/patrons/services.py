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
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.actors import Actor
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
    ``CardNumberTaken`` when the card number was ever given to someone.
    """
    number = _normalise_card(card_number)
    first_name, last_name = first_name.strip(), last_name.strip()
    if not number:
        raise PatronInvalid(_("Le numéro de carte est obligatoire."))
    if not first_name or not last_name:
        raise PatronInvalid(_("Le nom et le prénom sont obligatoires."))
    if not allow_duplicate:
        duplicates = possible_duplicates(
            first_name=first_name, last_name=last_name, birth_date=birth_date
        )
        if duplicates:
            raise DuplicateSuspected(
                _("Un lecteur porte déjà ce nom avec cette date de naissance : doublon probable."),
                duplicates=duplicates,
            )
    today = clock.today(now)
    try:
        with transaction.atomic():
            if _card_is_taken(number):
                raise CardNumberTaken(
                    _("La carte n° %(number)s est déjà attribuée.") % {"number": number}
                )
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
        raise CardNumberTaken(_("La carte n° %(number)s est déjà attribuée.") % {"number": number})
    return patron


def patron_renew_membership(*, patron: Patron, actor: Actor, now: dt.datetime) -> dt.date:
    """Extend membership (free) by the category's duration from today or from the
    current end if it is still ahead. Returns the new end date."""
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
    the card history (and is never reissued); loans, holds and history are untouched."""
    number = _normalise_card(new_number)
    if not number:
        raise PatronInvalid(_("Le numéro de la nouvelle carte est obligatoire."))
    try:
        with transaction.atomic():
            locked = Patron.objects.select_for_update().get(pk=patron.pk)
            if _card_is_taken(number):
                raise CardNumberTaken(
                    _("La carte n° %(number)s est déjà attribuée.") % {"number": number}
                )
            current = PatronCard.objects.filter(patron=locked, replaced_at__isnull=True).first()
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
        raise CardNumberTaken(_("La carte n° %(number)s est déjà attribuée.") % {"number": number})
    patron.card_number = number
    return card


def validate_secret(secret: str) -> None:
    """A PIN is 4 to 8 digits; a password has at least 8 characters."""
    if PIN_RE.match(secret or ""):
        return
    if secret and not secret.isdigit() and len(secret) >= MIN_PASSWORD_LENGTH:
        return
    raise InvalidSecret(
        _(
            "Le code doit compter de 4 à 8 chiffres, ou être un mot de passe "
            "d'au moins %(n)d caractères."
        )
        % {"n": MIN_PASSWORD_LENGTH}
    )


def patron_set_pin(*, patron: Patron, secret: str, actor: Actor, now: dt.datetime) -> None:
    """Set the PIN or password (stored as a Django password hash) and unlock the card.

    Only staff working at the patron's home library may (else ``OutOfScope``, audited)."""
    scope_check(actor=actor, library_ids=[patron.home_library_id], action="patron_set_pin",
                now=now, obj=patron)  # fmt: skip
    validate_secret(secret)
    with transaction.atomic():
        Patron.objects.filter(pk=patron.pk).update(
            pin_hash=make_password(secret), failed_logins=0, locked_until=None
        )
        audit_record(actor=actor, action=AuditAction.PATRON_SET_PIN, now=now, obj=patron)
    patron.refresh_from_db(fields=["pin_hash", "failed_logins", "locked_until"])


def patron_change_pin(*, patron: Patron, current: str, new: str, now: dt.datetime) -> None:
    """The patron changes their own PIN; the current one must be right."""
    if not patron.pin_hash or not check_password(current, patron.pin_hash):
        raise InvalidSecret(_("Le code actuel est incorrect."))
    patron_set_pin(patron=patron, secret=new, actor=Actor.patron(patron.pk), now=now)


# --- portal login ---------------------------------------------------------------------------


def patron_authenticate(*, card_number: str, pin: str, now: dt.datetime, ip: str) -> Patron:
    """Check a card number and PIN for a portal login.

    - The same ``LoginRefused`` for an unknown card and a wrong PIN.
    - After ``lockout_attempts()`` wrong PINs in a row the card is locked for
      ``lockout_minutes()`` (``CardLocked``), even for the right PIN.
    - More than ``address_max_failures()`` failures from one address within the window
      refuse every login from it (``TooManyAttempts``). Attempts are counted in the
      database so that all server processes agree.
    """
    number = _normalise_card(card_number)
    window_start = now - dt.timedelta(minutes=conf.address_window_minutes())
    outcome: str
    locked_until: dt.datetime | None = None
    with transaction.atomic():
        failures = LoginAttempt.objects.filter(ip=ip, at__gte=window_start, succeeded=False).count()
        if failures >= conf.address_max_failures():
            outcome = "rate_limited"
        else:
            patron = (
                Patron.objects.select_for_update().filter(card_number=number).first()
                if number
                else None
            )
            if patron is None:
                make_password(pin)  # spend the same time as a real check
                outcome = "refused"
            elif patron.locked_until is not None and patron.locked_until > now:
                outcome, locked_until = "locked", patron.locked_until
            elif patron.pin_hash and check_password(pin, patron.pin_hash, setter=None):
                patron.failed_logins = 0
                patron.locked_until = None
                patron.last_activity_at = now
                patron.save(update_fields=["failed_logins", "locked_until", "last_activity_at"])
                outcome = "ok"
            else:
                patron.failed_logins += 1
                if patron.failed_logins >= conf.lockout_attempts():
                    patron.failed_logins = 0
                    patron.locked_until = now + dt.timedelta(minutes=conf.lockout_minutes())
                    locked_until = patron.locked_until
                    outcome = "now_locked"
                else:
                    outcome = "refused"
                patron.save(update_fields=["failed_logins", "locked_until"])
            LoginAttempt.objects.create(ip=ip, at=now, succeeded=outcome == "ok")
    if outcome == "ok":
        return patron  # type: ignore[return-value]
    if outcome == "rate_limited":
        raise TooManyAttempts(
            _("Trop de tentatives de connexion depuis cette adresse. Réessayez dans %(m)d minutes.")
            % {"m": conf.address_window_minutes()}
        )
    if outcome in ("locked", "now_locked") and locked_until is not None:
        raise CardLocked(
            _(
                "Trop de codes erronés : cette carte est bloquée jusqu'à %(time)s. "
                "Réessayez plus tard ou demandez un nouveau code."
            )
            % {"time": date_format(clock.local(locked_until), "TIME_FORMAT")},
            until=locked_until,
        )
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
    refused = InvalidResetLink(
        _("Ce lien de réinitialisation n'est pas valide ou a expiré : demandez-en un nouveau.")
    )
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
    """Set a new PIN from a reset link; the link then stops working."""
    with transaction.atomic():
        patron = reset_token_check(token=token, now=now)
        patron_set_pin(patron=patron, secret=secret, actor=Actor.patron(patron.pk), now=now)
    return patron


# --- contact details and preferences -----------------------------------------------------------


def patron_update_contact(
    *,
    patron: Patron,
    contact: ContactDetails,
    notify_by_email: bool,
    history_opt_in: bool,
    preferred_language: str,
    actor: Actor,
    now: dt.datetime,
) -> Patron:
    """Update contact details and preferences. E-mail notices need an address."""
    if notify_by_email and not contact.email.strip():
        raise PatronInvalid(_("Indiquez une adresse électronique pour recevoir les avis."))
    if preferred_language not in ("fr", "en"):
        raise PatronInvalid(_("Langue inconnue."))
    with transaction.atomic():
        Patron.objects.filter(pk=patron.pk).update(
            email=contact.email.strip(),
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
            data={"history_opt_in": history_opt_in, "notify_by_email": notify_by_email},
        )  # fmt: skip
    patron.refresh_from_db()
    return patron
