"""SIP2 patron messages: status (23), information (63), end session (35), block (01),
enable (25)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from navette.circulation.models import HoldStatus
from navette.circulation.selectors import patron_fines, patron_holds, patron_loans
from navette.core import clock
from navette.desk.patrons import desk_patron_block, desk_patron_enable
from navette.sip2 import codec
from navette.sip2.codec import Request, count4, format_date, yn
from navette.sip2.handlers._common import (
    CURRENCY,
    DEFAULT_LIST_SIZE,
    PatronCheck,
    Session,
    _euros,
    _fee_fields,
    _institution,
    _not_authenticated_message,
    _now,
    _respond,
    _screen,
    check_patron,
    find_patron,
    patron_extension_fields,
    patron_name,
    standing,
)
from navette.sip2.models import KioskOperation
from navette.sip2.outcomes import screen


def patron_status_response(
    session: Session, request: Request, code: str = "24", *, before: list[str] | None = None
) -> bytes:
    """23 -> 24 (also, as 26, the answer to 25, with ``before`` in AF first)."""
    check = check_patron(session, request, KioskOperation.PATRON_STATUS)
    info = standing(check.patron)
    name = patron_name(session, check)
    messages = list(before or [])
    messages += info.messages if check.authenticated else []
    if check.pin_ok is False or (check.patron is None and request.get("AA")):
        messages.insert(0, _not_authenticated_message(check))
    fields: list[tuple[str, str | None]] = [
        ("AO", _institution(session, request)),
        ("AA", request.get("AA")),
        ("AE", name),
        ("BL", yn(info.valid)),
        ("CQ", None if check.pin_ok is None else yn(check.pin_ok)),
    ]
    if code == "24" and check.authenticated:
        fields += _fee_fields(info.fines_cents)
    if check.authenticated and check.patron is not None:
        fields += patron_extension_fields(session, check.patron)
    fields += _screen(messages)
    return _respond(
        session, request, code, [info.flags, session.language, format_date(_now())], fields
    )


def patron_status(session: Session, request: Request) -> bytes:
    return patron_status_response(session, request, "24")


def _range(request: Request) -> tuple[int, int]:
    def number(field_id: str, default: int) -> int:
        text = request.get(field_id)
        return int(text) if text.isdigit() and int(text) > 0 else default

    start = number("BP", 1)
    end = number("BQ", start + DEFAULT_LIST_SIZE - 1)
    return start, max(start, min(end, start + DEFAULT_LIST_SIZE - 1))


def patron_information(session: Session, request: Request) -> bytes:
    """63 -> 64: counts, the list asked for in the summary (BP..BQ), contact details."""

    check = check_patron(session, request, KioskOperation.PATRON_STATUS)
    info = standing(check.patron)
    now = _now()
    today = clock.today(now)
    counts = [count4(0 if session.profile.counts_as_zero else None)] * 6
    lists: list[tuple[str, str]] = []
    messages: list[str] = []
    fields: list[tuple[str, str | None]] = [
        ("AO", _institution(session, request)),
        ("AA", request.get("AA")),
    ]
    if check.authenticated and check.patron is not None:
        patron = check.patron
        loans = list(patron_loans(patron))
        holds = patron_holds(patron)
        fines = patron_fines(patron)
        ready = [h for h in holds if h.hold.status == HoldStatus.READY]
        unavailable = [h for h in holds if h.hold.status != HoldStatus.READY]
        overdue = [loan for loan in loans if loan.due_on < today]
        counts = [
            count4(len(ready)), count4(len(overdue)), count4(len(loans)), count4(len(fines)),
            count4(0), count4(len(unavailable)),
        ]  # fmt: skip
        start, end = _range(request)
        wanted = codec.summary_index(request.fixed.get("summary", ""))

        def hold_label(view: Any) -> str:
            item = view.hold.trapped_item or view.hold.item
            return str(item.barcode if item is not None else view.hold.record.title)

        chosen: list[tuple[str, str]] = []
        if wanted == 0:
            chosen = [("AS", hold_label(h)) for h in ready]
        elif wanted == 1:
            chosen = [("AT", loan.item.barcode) for loan in overdue]
        elif wanted == 2:
            chosen = [("AU", loan.item.barcode) for loan in loans]
        elif wanted == 3:
            chosen = [
                ("AV", f"{_euros(f.due_cents)} {CURRENCY} {f.loan.item.record.title}")
                for f in fines
            ]
        elif wanted == 5:
            chosen = [("CD", hold_label(h)) for h in unavailable]
        lists = chosen[start - 1 : end]
        fields += [("AE", patron.full_name), ("BL", "Y"), ("CQ", "Y")]
        fields += _fee_fields(info.fines_cents)
        fields += lists
        address = " ".join(p for p in (patron.street, patron.postcode, patron.city) if p)
        fields += [
            ("BD", address or None),
            ("BE", patron.email or None),
            ("BF", patron.phone or None),
            *patron_extension_fields(session, patron),
        ]
        messages = list(info.messages)
    else:
        fields += [
            ("AE", patron_name(session, check)),
            ("BL", yn(info.valid)),
            ("CQ", None if check.pin_ok is None else "N"),
        ]
        if request.get("AA"):
            messages = [_not_authenticated_message(check)]
    fields += _screen(messages)
    return _respond(
        session, request, "64", [info.flags, session.language, format_date(now), *counts], fields
    )


def end_session(session: Session, request: Request) -> bytes:
    """35 -> 36: forget the patron of this session."""
    session.forget_patron()
    return _respond(
        session, request, "36", ["Y", format_date(_now())],
        [("AO", _institution(session, request)), ("AA", request.get("AA"))],
    )  # fmt: skip


def block_patron(session: Session, request: Request) -> bytes:
    """01 -> 24: the kiosk blocks the card (card swallowed, suspected fraud), with its reason
    (AL), through the desk; a later 25 from a machine may lift it."""

    patron = find_patron(request.get("AA"))
    if patron is not None:
        reason = request.get("AL") or _("carte bloquée par l'automate")
        if request.flag("card_retained"):
            reason = _("%(reason)s (carte retenue par l'automate)") % {"reason": reason}
        desk_patron_block(patron=patron, reason=reason, actor=session.actor, now=_now())
        session.forget_patron()
    check = PatronCheck(find_patron(request.get("AA")), None)
    info = standing(check.patron)
    return _respond(
        session, request, "24", [info.flags, session.language, format_date(_now())],
        [("AO", _institution(session, request)), ("AA", request.get("AA")),
         ("AE", patron_name(session, check)), ("BL", yn(info.valid)), *_screen(info.messages)],
    )  # fmt: skip


def patron_enable(session: Session, request: Request) -> bytes:
    """25 -> 26: lift the blocks a machine placed on the card (those placed by staff stay:
    they are lifted at the desk), then the card's standing. The patron is identified as
    for patron information (the profile's PIN rule)."""
    check = check_patron(session, request, KioskOperation.PATRON_ENABLE)
    before: list[str] = []
    if check.authenticated and check.patron is not None:
        before = screen(desk_patron_enable(patron=check.patron, actor=session.actor, now=_now()))
    return patron_status_response(session, request, "26", before=before)
