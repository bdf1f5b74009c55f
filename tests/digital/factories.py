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
from tests.network.factories import make_library
from tests.patrons.factories import make_category, make_patron

_seq = itertools.count(1)

VOD_SERVICE = "http://vod.example.test/sso/cas"


def library(code: str = "lille") -> Library:
    """The library ``code`` (created once)."""
    found = Library.objects.filter(code=code).first()
    return found or make_library(
        code=code, name=f"Médiathèque {code}", commune=code.title(), network=Network.current(),
        street="", postcode="", city="",
    )  # fmt: skip


def category(code: str = "adulte") -> PatronCategory:
    return make_category(code=code)


def patron(**fields: Any) -> Patron:
    """A patron of Lille whose PIN is 482915 (stored as the tests' hasher makes it)."""
    n = next(_seq)
    values: dict[str, Any] = {
        "card": f"2900{n:08d}", "first_name": "Camille", "last_name": f"Lecteur{n}",
        "birth_date": dt.date(1990, 5, 17), "category": category(),
        "library": fields.pop("home_library", None) or library(),
        "membership_expires_on": dt.date(2030, 1, 1), "pin": "", "email": "",
        "last_activity_at": None, "pin_hash": make_password("482915"), "registered": False,
    }  # fmt: skip
    if "card_number" in fields:
        values["card"] = fields.pop("card_number")
    values.update(fields)
    return make_patron(**values)


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
