"""Signed cancellation links: the token names a registration, nothing else."""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext as _

from navette.events.errors import BadToken
from navette.events.models import Registration

_TOKEN_SALT = "navette.events.registration-cancel"  # noqa: S105 - a salt, not a secret


def registration_token(registration: Registration) -> str:
    """A signed token naming the registration, for the cancellation link in e-mails."""
    return signing.dumps({"r": registration.pk}, salt=_TOKEN_SALT)


def registration_from_token(token: str) -> Registration:
    """The registration a cancellation token names. Raises ``BadToken``."""
    try:
        data = signing.loads(token, salt=_TOKEN_SALT)
    except signing.BadSignature:
        raise BadToken(_("Ce lien d'annulation n'est pas valide."))
    registration = (
        Registration.objects.select_related("event", "event__library", "patron")
        .filter(pk=data.get("r"))
        .first()
    )
    if registration is None:
        raise BadToken(_("Cette inscription n'existe plus."))
    return registration
