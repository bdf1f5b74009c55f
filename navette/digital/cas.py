"""The portal as a CAS server (protocol 2.0 and 3.0) for vendor platforms.

- A service is accepted only when a registered CAS service has exactly the
  same scheme, host, port and path (the query string, where vendors put the
  title to open, is carried but never matched).
- A service ticket (``ST-``...) is bound to the exact service string it was
  issued for, valid five minutes, and good for one validation attempt
  whatever its outcome (the ticket is consumed by a conditional UPDATE).
- Attributes (3.0) are limited to what a vendor needs: the per-service
  opaque id (also the ``user``), the category, the home library, the age band,
  and the title the ticket opens (``title``, the vendor's reference) with the
  end of its access window (``accessUntil``) when the ticket names one.
- What a ticket grants and what it costs are decided in
  ``navette.digital.services`` (``access_decide``, ``cas_ticket_validate``);
  this module holds the protocol only.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from django.db import transaction

from navette.core.clock import local
from navette.digital.models import (
    CasTicket,
    Resource,
    ServiceProtocol,
    ServiceRegistration,
    VendorTitle,
)
from navette.patrons.models import Patron

TICKET_LIFETIME = dt.timedelta(minutes=5)
CAS_NS = "http://www.yale.edu/tp/cas"
ET.register_namespace("cas", CAS_NS)


def _service_key(url: str) -> tuple[str, str, str] | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/")


def registration_for_service(service: str) -> ServiceRegistration | None:
    """The active CAS registration matching ``service`` exactly (query ignored), or None."""
    key = _service_key(service)
    if key is None:
        return None
    for reg in ServiceRegistration.objects.filter(protocol=ServiceProtocol.CAS, is_active=True):
        reg_key = _service_key(reg.service_url)
        if reg_key == key:
            return reg
    return None


def cas_ticket_issue(
    *, registration: ServiceRegistration, service: str, patron: Patron, now: dt.datetime,
    resource: Resource | None, title: VendorTitle | None, cost_halves: int,
) -> CasTicket:  # fmt: skip
    """Issue a service ticket for ``service``, which must match ``registration``,
    recording what it grants (decided by the caller).

    Raises ``ValueError`` when the service does not match: callers check first.
    """
    if _service_key(service) != _service_key(registration.service_url):
        raise ValueError("service does not match its registration")
    return CasTicket.objects.create(
        ticket="ST-" + secrets.token_urlsafe(32), registration=registration, service=service,
        patron=patron, created_at=now, expires_at=now + TICKET_LIFETIME, resource=resource,
        title=title, cost_halves=cost_halves,
    )  # fmt: skip


@dataclass
class Validation:
    ok: bool
    code: str = ""
    message: str = ""
    user: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def cas_ticket_consume(
    *, ticket: str, service: str, now: dt.datetime
) -> tuple[CasTicket | None, Validation | None]:
    """Consume a service ticket presented for ``service``: ``(ticket, None)`` when it may be
    honoured, ``(None, failure)`` otherwise. The ticket is used up whatever the outcome.

    Failure codes are the CAS protocol's: INVALID_REQUEST, INVALID_TICKET,
    INVALID_SERVICE, UNAUTHORIZED_SERVICE.
    """
    if not ticket or not service:
        return None, Validation(False, "INVALID_REQUEST", "'ticket' and 'service' are required")
    if not ticket.startswith("ST-"):
        return None, Validation(False, "INVALID_TICKET", f"Ticket {ticket[:80]} not recognized")
    with transaction.atomic():
        consumed = CasTicket.objects.filter(ticket=ticket, consumed_at__isnull=True).update(
            consumed_at=now
        )
        if not consumed:
            return None, Validation(False, "INVALID_TICKET", f"Ticket {ticket[:80]} not recognized")
        st = CasTicket.objects.select_related(
            "registration", "patron__category", "patron__home_library", "resource",
            "title__resource",
        ).get(ticket=ticket)  # fmt: skip
    if st.expires_at <= now:
        return None, Validation(False, "INVALID_TICKET", f"Ticket {ticket[:80]} has expired")
    if st.service != service:
        return None, Validation(False, "INVALID_SERVICE", "Ticket was issued for another service")
    if not st.registration.is_active:
        return None, Validation(False, "UNAUTHORIZED_SERVICE", "Service is no longer registered")
    return st, None


def patron_attributes(patron: Patron, now: dt.datetime) -> dict[str, str]:
    """The only facts a vendor receives about a patron."""
    return {
        "category": patron.category.code,
        "homeLibrary": patron.home_library.code,
        "ageBand": patron.age_band(local(now).date()),
    }


def validation_xml(result: Validation, *, with_attributes: bool) -> bytes:
    """The CAS ``serviceResponse`` document for a validation result."""
    root = ET.Element(f"{{{CAS_NS}}}serviceResponse")
    if result.ok:
        success = ET.SubElement(root, f"{{{CAS_NS}}}authenticationSuccess")
        ET.SubElement(success, f"{{{CAS_NS}}}user").text = result.user
        if with_attributes:
            attrs = ET.SubElement(success, f"{{{CAS_NS}}}attributes")
            for name, value in result.attributes.items():
                ET.SubElement(attrs, f"{{{CAS_NS}}}{name}").text = value
    else:
        failure = ET.SubElement(root, f"{{{CAS_NS}}}authenticationFailure", code=result.code)
        failure.text = result.message
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
