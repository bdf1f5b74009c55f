"""A librarian's desk preferences: the library the desk opens on (chosen once, kept in the
staff profile) and the sound of refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.models import User
from navette.desk.outcomes import Code, Outcome, done, refused
from navette.network.models import Library
from navette.network.scope import staff_libraries
from navette.network.selectors import in_french_order


def desk_library_for(
    user: Any, *, code: str | None = None, pk: int | None = None
) -> Library | None:
    """The library a desk works for: the one named by ``code`` (chosen in the desk's menu),
    else the one of ``pk`` (kept in the session), else the one of the staff profile, else the
    first of the librarian's libraries in French order; always one the account may work at."""
    allowed = staff_libraries(user)
    for found in (
        allowed.filter(code=code).first() if code else None,
        allowed.filter(pk=pk).first() if pk else None,
        allowed.filter(pk=user.desk_library_id).first() if user.desk_library_id else None,
    ):
        if found is not None:
            return found
    return next(iter(in_french_order(allowed)), None)


def desk_library_remember(*, user: User, library: Library) -> None:
    """Keep ``library`` as the one ``user``'s desk opens on (a choice made in the desk's
    menu is made once). ``library`` must be one ``staff_libraries`` allows (the caller
    found it there)."""
    if user.desk_library_id != library.pk:
        User.objects.filter(pk=user.pk).update(desk_library=library)
        user.desk_library = library


def desk_preferences_save(
    *, user: User, library_code: str, alert_sound: bool, actor: Actor, now: dt.datetime
) -> Outcome:
    """Save ``user``'s desk library (one of their libraries; empty: none) and whether a
    sound goes with each refusal: ``preferences_saved``; ``library_not_found`` when the
    code names no library the account may work at (nothing saved). Audited."""
    library = None
    if library_code:
        library = staff_libraries(user).filter(code=library_code).first()
        if library is None:
            return refused(Code.LIBRARY_NOT_FOUND, library_code=library_code)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(desk_library=library, alert_sound=alert_sound)
        audit_record(
            actor=actor, action=AuditAction.STAFF_PREFERENCES_CHANGE, now=now,
            library_id=library.pk if library else None, obj=user,
            data={"desk_library": library.pk if library else None, "alert_sound": alert_sound},
        )  # fmt: skip
    user.desk_library, user.alert_sound = library, alert_sound
    return done(Code.PREFERENCES_SAVED, library=library, alert_sound=alert_sound)
