"""SIP2 item messages: information (17), status update (19, refused)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from navette.circulation.selectors import item_circulation
from navette.sip2.codec import Request, format_date
from navette.sip2.handlers._common import (
    CIRCULATION_STATUS,
    MEDIA_TYPE,
    Session,
    _due,
    _now,
    _respond,
    _screen,
    _unknown_item,
    find_item,
    shelf_fields,
)


def item_information(session: Session, request: Request) -> bytes:
    """17 -> 18: status, due date, hold queue, owning and current library."""

    item = find_item(request.get("AB"))
    now = _now()
    if item is None:
        return _respond(session, request, "18", ["01", "00", "01", format_date(now)],
                        [("AB", request.get("AB")), ("AJ", ""),
                         *_screen([_unknown_item(request.get("AB"))])])  # fmt: skip
    now_at = item_circulation(item)
    fields: list[tuple[str, str | None]] = [
        ("CF", str(now_at.holds_waiting)),
        ("AH", _due(now_at.due_on) if now_at.due_on is not None else None),
        ("CM", _due(now_at.shelf_expires_on) if now_at.shelf_expires_on else None),
        ("AB", item.barcode),
        ("AJ", item.record.title),
        ("BG", item.owning_library.code),
        ("CK", MEDIA_TYPE.get(item.doc_type, "000")),  # type: ignore[call-overload]
        ("AQ", item.owning_library.code),
        ("AP", item.current_library.code),
        *shelf_fields(session, item),
        *_screen([item.get_status_display()]),
    ]
    status = CIRCULATION_STATUS.get(item.status, "01")  # type: ignore[call-overload]
    return _respond(session, request, "18", [status, "02", "01", format_date(now)], fields)


def item_status_update(session: Session, request: Request) -> bytes:
    """19 -> 20: refused. Navette keeps no free-form item properties for machines to write."""
    item = find_item(request.get("AB"))
    return _respond(
        session, request, "20", ["0", format_date(_now())],
        [("AB", request.get("AB")), ("AJ", item.record.title if item else None),
         *_screen([_("Mise à jour des exemplaires non prise en charge : adressez-vous à l'accueil.")])],
    )  # fmt: skip
