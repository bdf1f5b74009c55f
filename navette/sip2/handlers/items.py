"""SIP2 item messages: information (17), status update (19, refused)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

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
)


def item_information(session: Session, request: Request) -> bytes:
    """17 -> 18: status, due date, hold queue, owning and current library."""
    from navette.circulation.models import Hold, HoldStatus, Loan

    item = find_item(request.get("AB"))
    now = _now()
    if item is None:
        return _respond(session, request, "18", ["01", "00", "01", format_date(now)],
                        [("AB", request.get("AB")), ("AJ", ""),
                         *_screen([_unknown_item(request.get("AB"))])])  # fmt: skip
    loan = Loan.objects.filter(item_id=item.pk, returned_at__isnull=True).only("due_on").first()
    queue = Hold.objects.filter(
        Q(item_id=item.pk) | Q(item__isnull=True, record_id=item.record_id),
        status=HoldStatus.WAITING,
    ).count()
    ready = (
        Hold.objects.filter(trapped_item_id=item.pk, status=HoldStatus.READY)
        .values_list("shelf_expires_on", flat=True)
        .first()
    )
    fields: list[tuple[str, str | None]] = [
        ("CF", str(queue)),
        ("AH", _due(loan.due_on) if loan is not None else None),
        ("CM", _due(ready) if ready else None),
        ("AB", item.barcode),
        ("AJ", item.record.title),
        ("BG", item.owning_library.code),
        ("CK", MEDIA_TYPE.get(item.doc_type, "000")),  # type: ignore[call-overload]
        ("AQ", item.owning_library.code),
        ("AP", item.current_library.code),
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
