"""Builders for the online media library tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.contrib.auth.hashers import make_password

from navette.digital.models import (
    Resource,
    ResourceKind,
    ServiceProtocol,
    ServiceRegistration,
    Vendor,
    VendorTitle,
)
from navette.network.models import Library, Network
from navette.patrons.models import Patron, PatronCategory

_seq = itertools.count(1)

VOD_SERVICE = "http://vod.example.test/sso/cas"


def library(code: str = "lille") -> Library:
    network = Network.current()
    lib, _ = Library.objects.get_or_create(
        code=code,
        defaults={"network": network, "name": f"Médiathèque {code}", "commune": code.title()},
    )
    return lib


def category(code: str = "adulte") -> PatronCategory:
    cat, _ = PatronCategory.objects.get_or_create(code=code, defaults={"label": code.title()})
    return cat


def patron(**fields: Any) -> Patron:
    n = next(_seq)
    values: dict[str, Any] = {
        "card_number": f"2900{n:08d}",
        "first_name": "Camille",
        "last_name": f"Lecteur{n}",
        "birth_date": dt.date(1990, 5, 17),
        "category": category(),
        "home_library": library(),
        "membership_expires_on": dt.date(2030, 1, 1),
        "pin_hash": make_password("482915"),
    }
    values.update(fields)
    return Patron.objects.create(**values)


def vod(*, cas: bool = True) -> Resource:
    vendor, _ = Vendor.objects.get_or_create(code="cinema", defaults={"name": "Cinéma en ligne"})
    service = None
    if cas:
        service, _ = ServiceRegistration.objects.get_or_create(
            vendor=vendor, protocol=ServiceProtocol.CAS, service_url=VOD_SERVICE,
            defaults={"name": "Cinéma en ligne CAS"},
        )  # fmt: skip
    resource, _ = Resource.objects.get_or_create(
        code="cinema",
        defaults={
            "vendor": vendor, "name": "Cinéma en ligne", "kind": ResourceKind.VOD,
            "access_url": VOD_SERVICE + "?film={ref}", "sso_service": service, "uses_tokens": True,
            "description": "Films en streaming.", "how_to_connect": "Cliquez sur Regarder.",
        },
    )  # fmt: skip
    return resource


def film(resource: Resource, title: str, year: int | None, ref: str = "") -> VendorTitle:
    from navette.catalogue.models import DocType, MarcFlavour, Record

    n = next(_seq)
    record = Record.objects.create(
        flavour=MarcFlavour.MARC21, marc={"leader": "", "fields": []}, title=title,
        doc_type=DocType.ONLINE, year=year,
    )  # fmt: skip
    return VendorTitle.objects.create(
        resource=resource,
        record=record,
        vendor_ref=ref or f"F{n}",
        title=title,
        release_year=year,
    )


def oidc_client(redirect_uri: str, secret: str = "s3cret-client") -> ServiceRegistration:
    vendor, _ = Vendor.objects.get_or_create(code="cours", defaults={"name": "Cours en ligne"})
    return ServiceRegistration.objects.create(
        vendor=vendor, name="Cours OIDC", protocol=ServiceProtocol.OIDC, client_id="cours-client",
        client_secret_hash=make_password(secret), redirect_uris=[redirect_uri],
    )  # fmt: skip


def oidc_resource(client: ServiceRegistration, **fields: Any) -> Resource:
    """A resource whose vendor signs patrons in with OpenID Connect through ``client``."""
    values: dict[str, Any] = {
        "vendor": client.vendor, "code": "cours", "name": "Cours en ligne",
        "kind": ResourceKind.COURSES, "access_url": "http://cours.example.test/cours/?id={ref}",
        "sso_service": client,
    }  # fmt: skip
    values.update(fields)
    return Resource.objects.create(**values)


def session_cookie(patron: Patron) -> tuple[str, str]:
    """A logged-in portal session for ``patron`` (as login_patron leaves it): (name, value)."""
    from importlib import import_module

    from django.conf import settings

    from navette.patrons.session import SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = patron.pk
    store.create()
    return settings.SESSION_COOKIE_NAME, store.session_key


def log_in(client, patron: Patron) -> None:  # type: ignore[no-untyped-def]
    name, value = session_cookie(patron)
    client.cookies[name] = value
