"""Logging in patrons of member libraries that run another system (issue 22).

``patron_login`` is the portal's login: a card Navette serves itself goes through
``patron_authenticate`` as before; a card of a member library (already known as such, or
matching the card prefixes of a member) is checked by that library's connectors, in the
order its configuration gives:

- ``sip2``: patron information (63) with card and PIN on the member's SIP2 server: valid
  (BL), PIN right (CQ), not blocked or expired (status flags, PA), category (PC) and age
  (PB) where sent;
- ``patron_file``: the file the library deposited; the first login asks for the card and
  date of birth (``patron_file_first_login``), then the portal password chosen then;
- ``oidc`` and ``cas`` are redirections to the library's own login, not a card and PIN:
  skipped here.

What Navette keeps (``FederatedPatron``) is refreshed at each confirmed login. When no
connector could reach the member's system, a patron confirmed less than the library's
``offline_grace_hours`` ago, with the PIN last accepted, still logs in: the outcome says
the check was deferred. A new patron, or one confirmed too long ago, is refused
(``MemberSystemUnavailable``).

Failures count as for local patrons: per address, per card (the card is locked after
``lockout_attempts()`` wrong PINs, before its member is asked again), per unknown number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NoReturn

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from navette.core.actors import Actor
from navette.core.clock import local
from navette.network.connectors.sip2 import PatronAnswer, Sip2Error, client_for
from navette.network.models import AuthMethod, MemberSystem
from navette.network.selectors import member_system_for_card
from navette.patrons import conf
from navette.patrons.errors import (
    FirstLoginNeeded,
    FirstLoginRefused,
    LoginRefused,
    MemberCardRefused,
    MemberSystemUnavailable,
    TooManyAttempts,
)
from navette.patrons.models import (
    FederatedPatron,
    LoginAttempt,
    Patron,
    PatronCategory,
    PatronFileEntry,
    age_band_of,
)
from navette.patrons.services import (
    _card_digest,
    _card_locked,
    _count_failure,
    _normalise_card,
    _store_pin,
    _unknown_card_locked_until,
    patron_authenticate,
    validate_secret,
)

OFFLINE_SALT = "navette.patrons.federation.offline-pin"
BIRTH_SALT = "navette.patrons.federation.birth-date"


@dataclass(frozen=True)
class LoginOutcome:
    """Who logged in, and whether their member's system could not be asked (``deferred``:
    the card was last confirmed at ``confirmed_at``)."""

    patron: Patron
    deferred: bool = False
    confirmed_at: dt.datetime | None = None
    library_name: str = ""


@dataclass(frozen=True)
class _Confirmed:
    method: str
    valid_until: dt.date | None
    category: str
    age_band: str


def offline_secret(card: str, pin: str) -> str:
    """A keyed digest of the PIN a member's system accepted, to check it while that
    system is down.

    Keyed with the site's secret rather than a slow password hash: the login through a
    connector must stay within a few milliseconds of the member's own answer (the PIN
    itself is the member's; Navette never answers for it but during the grace time).
    """
    return salted_hmac(OFFLINE_SALT, f"{card}\x00{pin}", algorithm="sha256").hexdigest()


def birth_date_digest(card: str, birth_date: dt.date) -> str:
    return salted_hmac(
        BIRTH_SALT, f"{card}\x00{birth_date.isoformat()}", algorithm="sha256"
    ).hexdigest()


def _member_of(number: str, federation: FederatedPatron | None) -> MemberSystem | None:
    if federation is not None:
        return MemberSystem.objects.filter(library_id=federation.library_id, is_active=True).first()
    return member_system_for_card(number)


def patron_login(
    *, card_number: str, pin: str, now: dt.datetime, ip: str, member: MemberSystem | None = None
) -> LoginOutcome:
    """Log in with a card and a PIN (or portal password), wherever the card is served.

    ``member`` is the library the patron chose on the login page, for a card Navette does
    not know yet and whose number matches no member's prefixes. Raises ``LoginRefused``,
    ``CardLocked``, ``TooManyAttempts`` (as ``patron_authenticate``), ``MemberCardRefused``,
    ``MemberSystemUnavailable``, ``FirstLoginNeeded``.
    """
    number = _normalise_card(card_number)
    patron = Patron.objects.filter(card_number=number).select_related("federation").first()
    federation = getattr(patron, "federation", None) if patron is not None else None
    if patron is not None and federation is None:
        return LoginOutcome(patron_authenticate(card_number=number, pin=pin, now=now, ip=ip))
    home = _member_of(number, federation) or (member if patron is None else None)
    if home is None or not number:
        return LoginOutcome(patron_authenticate(card_number=number, pin=pin, now=now, ip=ip))
    _throttle(ip=ip, now=now)
    digest = _card_digest(number)
    if patron is not None and patron.locked_until is not None and patron.locked_until > now:
        LoginAttempt.objects.create(ip=ip, at=now, succeeded=False)
        raise _card_locked(patron.locked_until)
    if patron is None:
        locked_until = _unknown_card_locked_until(digest, now=now)
        if locked_until is not None:
            LoginAttempt.objects.create(ip=ip, at=now, succeeded=False)
            raise _card_locked(locked_until)

    unavailable = False
    for method in home.auth_methods:
        if method == AuthMethod.SIP2:
            try:
                answer = client_for(home.library.code, home.sip2_endpoint()).patron_information(
                    number, pin, now=now
                )
            except Sip2Error:
                unavailable = True
                continue
            confirmed = _sip2_verdict(home, answer, now=now)
            if confirmed is None:
                _refuse_pin(number=number, patron=patron, ip=ip, now=now)
            return LoginOutcome(_confirm(home, number, pin, confirmed, now=now, ip=ip))
        if method == AuthMethod.PATRON_FILE:
            entry = PatronFileEntry.objects.filter(library=home.library, card_number=number).first()
            if entry is None:
                continue
            if patron is None or not patron.pin_hash:
                raise FirstLoginNeeded(library=home.library.name)
            if not check_password(pin, patron.pin_hash, setter=None):
                _refuse_pin(number=number, patron=patron, ip=ip, now=now)
            confirmed = _file_verdict(home, entry, now=now)
            return LoginOutcome(_confirm(home, number, "", confirmed, now=now, ip=ip))
    if unavailable:
        return _deferred(home, number, pin, patron, federation, now=now, ip=ip)
    _refuse_pin(number=number, patron=patron, ip=ip, now=now)


def _throttle(*, ip: str, now: dt.datetime) -> None:
    window_start = now - dt.timedelta(minutes=conf.address_window_minutes())
    failures = LoginAttempt.objects.filter(ip=ip, at__gte=window_start, succeeded=False).count()
    if failures >= conf.address_max_failures():
        raise TooManyAttempts(minutes=conf.address_window_minutes())


def _refuse_pin(*, number: str, patron: Patron | None, ip: str, now: dt.datetime) -> NoReturn:
    """Count a wrong PIN or unknown card as for a local patron, then refuse."""
    if patron is None:
        LoginAttempt.objects.create(
            ip=ip, at=now, succeeded=False, card_digest=_card_digest(number)
        )
        locked_until = _unknown_card_locked_until(_card_digest(number), now=now)
    else:
        with transaction.atomic():
            locked_until = _count_failure(patron.pk, now=now)
            LoginAttempt.objects.create(ip=ip, at=now, succeeded=False)
    if locked_until is not None:
        raise _card_locked(locked_until)
    raise LoginRefused()


def _sip2_verdict(
    home: MemberSystem, answer: PatronAnswer, *, now: dt.datetime
) -> _Confirmed | None:
    """The card as the member's SIP2 system sees it: None for an unknown card or a wrong
    PIN; ``MemberCardRefused`` for a blocked or expired one."""
    today = local(now).date()
    if not answer.known or answer.pin_ok is not True:
        return None
    if answer.card_refused or answer.expired_on(today):
        reason = "expired" if answer.expired_on(today) else "blocked"
        _mark_invalid(home, answer.card)
        raise MemberCardRefused(
            library=home.library.name, reason=reason, messages=list(answer.screen_messages)
        )
    band = "inconnu"
    if answer.birth_date is not None:
        b = answer.birth_date
        band = age_band_of(today.year - b.year - ((today.month, today.day) < (b.month, b.day)))
    return _Confirmed(AuthMethod.SIP2, answer.expires_on, answer.category, band)


def _file_verdict(home: MemberSystem, entry: PatronFileEntry, *, now: dt.datetime) -> _Confirmed:
    today = local(now).date()
    if entry.expires_on is not None and entry.expires_on < today:
        _mark_invalid(home, entry.card_number)
        raise MemberCardRefused(library=home.library.name, reason="expired", messages=[])
    band = age_band_of(today.year - entry.birth_year) if entry.birth_year else "inconnu"
    return _Confirmed(AuthMethod.PATRON_FILE, entry.expires_on, entry.category, band)


def _mark_invalid(home: MemberSystem, card: str) -> None:
    FederatedPatron.objects.filter(library=home.library, patron__card_number=card).update(
        valid=False
    )


def _category(home: MemberSystem, remote: str) -> PatronCategory:
    found = PatronCategory.objects.filter(code=remote).first() if remote else None
    if found is not None:
        return found
    category, _created = PatronCategory.objects.get_or_create(
        code=home.default_category, defaults={"label": home.default_category}
    )
    return category


def _confirm(
    home: MemberSystem, number: str, pin: str, confirmed: _Confirmed, *, now: dt.datetime, ip: str
) -> Patron:
    """Create or refresh the patron as the member's system confirmed them, in one
    transaction. Their validity is the expiry the system sent, else the end of the
    grace time (past it, without a new confirmation, Navette no longer vouches)."""
    category = _category(home, confirmed.category)
    valid_until = (
        confirmed.valid_until or local(now + dt.timedelta(hours=home.offline_grace_hours)).date()
    )
    fields = {
        "category": category, "home_library": home.library, "membership_expires_on": valid_until,
        "failed_logins": 0, "locked_until": None, "last_activity_at": now,
    }  # fmt: skip
    with transaction.atomic():
        patron = Patron.objects.select_for_update().filter(card_number=number).first()
        if patron is None:
            try:
                with transaction.atomic():
                    patron = Patron.objects.create(
                        card_number=number, first_name="", last_name="", **fields
                    )
            except IntegrityError:  # the same card's first login, at the same time
                patron = Patron.objects.select_for_update().get(card_number=number)
        for name, value in fields.items():
            setattr(patron, name, value)
        patron.save(update_fields=list(fields))
        defaults = {
            "library": home.library, "remote_category": confirmed.category[:60],
            "age_band": confirmed.age_band, "valid": True, "method": confirmed.method,
            "confirmed_at": now,
        }  # fmt: skip
        if pin:
            defaults["offline_secret"] = offline_secret(number, pin)
        FederatedPatron.objects.update_or_create(patron=patron, defaults=defaults)
        LoginAttempt.objects.create(ip=ip, at=now, succeeded=True)
    return patron


def _deferred(
    home: MemberSystem, number: str, pin: str, patron: Patron | None,
    federation: FederatedPatron | None, *, now: dt.datetime, ip: str,
) -> LoginOutcome:  # fmt: skip
    """No connector reached the member's system: vouch for a recently confirmed card."""
    if patron is None or federation is None:
        raise MemberSystemUnavailable(library=home.library.name, known=False, confirmed_at=None)
    fresh = federation.confirmed_at + dt.timedelta(hours=home.offline_grace_hours) > now
    if not (fresh and federation.valid):
        raise MemberSystemUnavailable(
            library=home.library.name, known=True, confirmed_at=federation.confirmed_at
        )
    if not federation.offline_secret or not constant_time_compare(
        federation.offline_secret, offline_secret(number, pin)
    ):
        _refuse_pin(number=number, patron=patron, ip=ip, now=now)
    with transaction.atomic():
        Patron.objects.filter(pk=patron.pk).update(
            failed_logins=0, locked_until=None, last_activity_at=now
        )
        LoginAttempt.objects.create(ip=ip, at=now, succeeded=True)
    return LoginOutcome(
        patron, deferred=True, confirmed_at=federation.confirmed_at,
        library_name=home.library.name,
    )  # fmt: skip


def patron_federation(patron: Patron) -> dict[str, object]:
    """For the account page: what Navette keeps of a member library's patron
    (``federation``) and their library's system (``member``, with its account page), or
    ``None`` for both when Navette serves the patron itself."""
    federation = FederatedPatron.objects.filter(patron=patron).first()
    member = (
        MemberSystem.objects.filter(library_id=federation.library_id).first()
        if federation is not None
        else None
    )
    return {"federation": federation, "member": member}


# --- the deposited patron file: first login -------------------------------------------------


def patron_file_first_login(
    *, card_number: str, birth_date: dt.date, password: str, now: dt.datetime, ip: str
) -> Patron:
    """A member's patron, listed in its deposited file, logs in for the first time with
    their card and date of birth and chooses their portal password.

    Raises ``FirstLoginRefused`` (card not in any file, or another birth date: one
    answer), ``MemberCardRefused`` (expired in the file), ``InvalidSecret`` (password too
    weak), ``TooManyAttempts``, ``CardLocked``; counts failures as wrong PINs.
    """
    number = _normalise_card(card_number)
    _throttle(ip=ip, now=now)
    digest = _card_digest(number)
    locked_until = _unknown_card_locked_until(digest, now=now)
    if locked_until is not None:
        raise _card_locked(locked_until)
    validate_secret(password)
    entry = (
        PatronFileEntry.objects.filter(card_number=number, library__member_system__is_active=True)
        .select_related("library__member_system")
        .first()
    )
    expected = entry.birth_date_digest if entry is not None else ""
    if (
        entry is None
        or not expected
        or not constant_time_compare(expected, birth_date_digest(number, birth_date))
        or Patron.objects.filter(card_number=number).exclude(pin_hash="").exists()
    ):
        LoginAttempt.objects.create(ip=ip, at=now, succeeded=False, card_digest=digest)
        raise FirstLoginRefused()
    home = entry.library.member_system
    confirmed = _file_verdict(home, entry, now=now)
    pin_hash = make_password(password)  # outside any transaction (a tenth of a second)
    patron = _confirm(home, number, "", confirmed, now=now, ip=ip)
    _store_pin(patron=patron, pin_hash=pin_hash, actor=Actor.patron(patron.pk), now=now)
    return patron
