"""Every portal and staff page in a real browser (Debian's chromium), as the role that uses
it, at 1280, 360 and 320 px: axe-core reports nothing serious and no page scrolls sideways.

The list of pages comes from the URL configuration: every URL under /personnel/ and every
URL of the portal is either visited (``PAGES``, with how to fill its parameters and who
visits it) or excluded with its reason (``EXCLUDED``: file downloads, form actions that only
answer a POST, protocol endpoints for vendors, links carrying a mailed token). A page added
without an entry in one of them fails this test, so that the list grows with the site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from navette.catalogue import batches
from navette.catalogue.heading_index import headings_refresh
from navette.catalogue.models import BatchAction, Heading
from navette.circulation.models import Crate, Hold, HoldStatus, Transit
from navette.circulation.services import crate_send, hold_place, loan_checkin, loan_checkout
from navette.core.clock import PARIS
from navette.core.models import Role, User
from navette.editorial.models import ArticleKind, PublicationStatus
from navette.editorial.services import article_save, selection_entry_add, selection_save
from navette.events.models import Programme
from navette.golive.models import ImportRun
from navette.search.index import rebuild_index
from tests.catalogue.factories import make_item
from tests.digital import factories as digital
from tests.editorial.factories import make_news
from tests.events import factories as events

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
WIDTHS = (1280, 360, 320)

Data = dict[str, Any]


@dataclass(frozen=True)
class Page:
    """How to visit a page: as whom (``anonymous``, ``patron``, ``librarian``, ``cataloguer``,
    ``admin``), its URL's parameters and query string from the test's data."""

    role: str = "anonymous"
    kwargs: Callable[[Data], dict[str, Any]] = field(default=lambda d: {})
    query: Callable[[Data], str] = field(default=lambda d: "")


def _pk(key: str) -> Callable[[Data], dict[str, Any]]:
    return lambda d: {"pk": d[key].pk}


PAGES: dict[str, Page] = {
    # portal, as anyone
    "portal:home": Page(),
    "portal:libraries": Page(),
    "portal:library": Page(kwargs=lambda d: {"code": d["lens"].code}),
    "portal:search": Page(query=lambda d: "?q=etoile"),
    "portal:record": Page(kwargs=_pk("record")),
    "portal:login": Page(),
    "portal:account_pin_forgot": Page(),
    "portal:account_first_login": Page(),
    "portal:agenda": Page(),
    "portal:news": Page(),
    "portal:news_item": Page(kwargs=_pk("news")),
    "portal:page": Page(kwargs=_pk("page")),
    "portal:new_arrivals": Page(),
    "portal:legal_notice": Page(),
    "portal:personal_data": Page(),
    "portal:accessibility": Page(),
    "portal:event": Page(kwargs=_pk("event")),
    "portal:programme": Page(kwargs=lambda d: {"slug": d["programme"].slug}),
    "portal:digital": Page(),
    "portal:digital_title": Page(kwargs=_pk("film")),
    "portal:digital_resource": Page(kwargs=lambda d: {"code": d["resource"].code}),
    # portal, as a patron
    "portal:account": Page("patron"),
    "portal:account_pin": Page("patron"),
    "portal:account_contact": Page("patron"),
    "portal:account_history": Page("patron"),
    "portal:account_data": Page("patron"),
    "portal:hold_place": Page("patron", kwargs=lambda d: {"record_id": d["record"].pk}),
    # staff, anyone may see the login page
    "staff:login": Page(),
    # staff, as a librarian of Lens
    "staff:home": Page("librarian"),
    "staff:preferences": Page("librarian"),
    "staff:circulation_checkout": Page("librarian", query=lambda d: f"?carte={d['patron'].card_number}"),
    "staff:circulation_checkin": Page("librarian"),
    "staff:circulation_transits": Page("librarian"),
    "staff:circulation_offline": Page("librarian"),
    "staff:circulation_hold_cancel": Page(
        "librarian",
        query=lambda d: f"?carte={d['patron'].card_number}&reservation={d['waiting_hold'].pk}",
    ),
    "staff:circulation_transit_lost": Page("librarian", query=lambda d: f"?transit={d['transit'].pk}"),
    "staff:circulation_crate": Page("librarian", kwargs=lambda d: {"code": d["avion"].code}),
    "staff:circulation_crate_sent": Page("librarian", kwargs=_pk("crate")),
    "staff:circulation_receipt": Page("librarian", query=lambda d: f"?carte={d['patron'].card_number}"),
    "staff:circulation_hold_slip": Page("librarian", kwargs=_pk("ready_hold")),
    "kiosk_monitor": Page("librarian"),
    "staff:patrons": Page("librarian", query=lambda d: f"?q={d['patron'].last_name}"),
    "staff:patron_register": Page("librarian"),
    "staff:patron": Page("librarian", kwargs=_pk("patron")),
    "staff:catalogue_search": Page("librarian", query=lambda d: "?q=etoile"),
    "staff:catalogue_record": Page("librarian", kwargs=_pk("record")),
    "staff:catalogue_item_edit": Page("librarian", kwargs=_pk("item")),
    "staff:catalogue_record_new": Page("librarian"),
    "staff:catalogue_record_edit": Page("librarian", kwargs=_pk("record")),
    "staff:catalogue_record_history": Page("librarian", kwargs=_pk("record")),
    "staff:catalogue_copy": Page("librarian"),
    "staff:catalogue_batches": Page("librarian"),
    "staff:catalogue_batch": Page("librarian", kwargs=_pk("batch")),
    "staff:catalogue_locations": Page("librarian"),
    "staff:catalogue_record_cover": Page("librarian", kwargs=_pk("record")),
    "staff:events": Page("librarian"),
    "staff:contents": Page("librarian"),
    "staff:article_create": Page("librarian"),
    "staff:selection_create": Page("librarian"),
    "staff:event_create": Page("librarian"),
    "staff:event_attendees": Page("librarian", kwargs=_pk("event")),
    "staff:event_edit": Page("librarian", kwargs=_pk("event")),
    "staff:event_copy": Page("librarian", kwargs=_pk("event")),
    "staff:digital_usage": Page("librarian"),
    "staff:digital_tokens": Page("librarian", query=lambda d: f"?carte={d['patron'].card_number}"),
    "staff:stats_circulation": Page("librarian"),
    "staff:stats_annual": Page("librarian"),
    # staff, as a cataloguer (the shared catalogue's duplicates)
    "staff:catalogue_duplicates": Page("cataloguer"),
    "staff:catalogue_headings": Page("cataloguer"),
    "staff:catalogue_heading_change": Page("cataloguer", kwargs=_pk("heading")),
    "staff:catalogue_duplicate_pair": Page(
        "cataloguer", kwargs=lambda d: {"first": d["record"].pk, "second": d["twin"].pk}
    ),
    # staff, as a network administrator
    "staff:network": Page("admin"),
    "staff:programmes": Page("admin"),
    "staff:programme_create": Page("admin"),
    "staff:programme_edit": Page("admin", kwargs=_pk("programme")),
    "staff:golive_runs": Page("admin"),
    "staff:golive_run": Page("admin", kwargs=_pk("run")),
    "staff:stats_simulator": Page("admin"),
    "staff:stats_usage": Page("admin"),
    "staff:legal_pages": Page("admin"),
    # network-wide news and selections are the network administrators'
    "staff:article_edit": Page("admin", kwargs=_pk("news")),
    "staff:selection_edit": Page("admin", kwargs=_pk("selection")),
    "staff:legal_page_edit": Page("admin", kwargs=lambda d: {"key": "legal_notice"}),
}  # fmt: skip

#: pages not visited, and why
EXCLUDED: dict[str, str] = {
    # file downloads (no page to check)
    "portal:account_export": "file download (the patron's data as JSON or CSV)",
    "portal:agenda_ics": "file download (iCalendar)",
    "portal:event_ics": "file download (iCalendar)",
    "portal:programme_ics": "file download (iCalendar)",
    "portal:library_ics": "file download (iCalendar)",
    "staff:digital_usage_csv": "file download (CSV)",
    "staff:stats_circulation_csv": "file download (CSV)",
    "staff:stats_tables_ods": "file download (ODS)",
    "staff:stats_table_csv": "file download (CSV)",
    "staff:stats_annual_csv": "file download (CSV)",
    "staff:stats_annual_ods": "file download (ODS)",
    "staff:stats_usage_csv": "file download (CSV)",
    "staff:stats_usage_ods": "file download (ODS)",
    "staff:golive_run_csv": "file download (CSV)",
    "staff:circulation_crate_pdf": "file download (PDF, read back in test_desk_workspace.py)",
    "staff:circulation_crate_sent_pdf": "file download (PDF, read back in test_desk_workspace.py)",
    "staff:circulation_receipt_pdf": "file download (PDF, read back in test_desk_workspace.py)",
    "staff:circulation_hold_slip_pdf": "file download (PDF)",
    # the action of a form shown on another page: answers a POST only (or redirects)
    "portal:logout": "POST only (the logout button)",
    "portal:account_loan_renew": "POST only (a button of the account page)",
    "portal:account_loans_renew_all": "POST only (a button of the account page)",
    "portal:account_hold_cancel": "POST only (a button of the account page)",
    "portal:account_hold_pickup": "POST only (a form of the account page)",
    "portal:event_register": "POST only (the form of the event page)",
    "staff:logout": "POST only (the logout button)",
    "staff:circulation_fines": "POST only (a form of the checkout page)",
    "staff:circulation_renew": "POST only (a button of the checkout page)",
    "staff:circulation_crate_send": "POST only (a button of the navette page)",
    "staff:catalogue_record_hold": "POST only (a form of the staff record page)",
    "staff:catalogue_item_withdraw": "POST only (a button of the copy's page)",
    "staff:catalogue_merge_undo": "POST only (a button of the duplicates page)",
    "staff:catalogue_record_restore": "POST only (a button of the record's history)",
    "staff:catalogue_record_overlay": "POST only (a button of the copy-cataloguing page)",
    "staff:catalogue_copy_edit": "POST only (a button of the copy-cataloguing page)",
    "staff:catalogue_duplicates_scan": "POST only (a button of the duplicates page)",
    "staff:catalogue_heading_change_undo": "POST only (a button of the headings page)",
    "portal:cover": "an image file (a record's cover)",
    "staff:article_delete": "POST only (a button of the article form)",
    "staff:selection_delete": "POST only (a button of the selection form)",
    "staff:selection_entry_remove": "POST only (a button of the selection form)",
    "portal:heading": "redirects to the search for the heading (the search page is visited)",
    "staff:catalogue_batch_preview": "POST only (the form of the batch page)",
    "staff:catalogue_batch_apply": "POST only (a button of the batch preview)",
    "staff:catalogue_batch_undo": "POST only (a button of a batch's page)",
    "staff:catalogue_copy_search_new": "POST only (a form of the batch page)",
    "staff:patron_renew": "POST only (a button of the patron page)",
    "staff:patron_replace_card": "POST only (a button of the patron page)",
    "staff:patron_set_pin": "POST only (a button of the patron page)",
    "staff:event_cancel": "POST only (a button of the event form)",
    "staff:digital_refund": "POST only (a button of the tokens page)",
    "staff:golive_decide": "POST only (a form of the import run page)",
    # fragments and redirects
    "portal:autocomplete": "a fragment of suggestions fetched by the search box",
    "portal:member_states": "a fragment of member libraries' availability fetched by the "
    "results page (checked by its own browser test)",
    "staff:golive_progress": "a fragment polled by the import run page (visited there)",
    "portal:digital_title_launch": "redirects to the vendor's site",
    "portal:digital_resource_launch": "redirects to the vendor's site",
    # links carrying a token sent by e-mail
    "portal:account_pin_reset": "link with a token sent by e-mail",
    "portal:account_email_report": "link with a token sent by e-mail",
    "portal:guest_confirm": "link with a token sent by e-mail",
    "portal:registration_cancel": "link with a token sent by e-mail",
    # single sign-on protocol endpoints answered to vendors' servers, not pages
    "portal:cas_login": "CAS protocol endpoint (redirects to the login or the vendor)",
    "portal:cas_service_validate": "CAS protocol endpoint (XML for vendors)",
    "portal:cas_p3_service_validate": "CAS protocol endpoint (XML for vendors)",
    "portal:cas_logout": "CAS protocol endpoint (redirect)",
    "portal:oidc_configuration": "OpenID Connect endpoint (JSON for vendors)",
    "portal:oidc_authorize": "OpenID Connect endpoint (redirect)",
    "portal:oidc_token": "OpenID Connect endpoint (JSON for vendors)",
    "portal:oidc_userinfo": "OpenID Connect endpoint (JSON for vendors)",
    "portal:oidc_jwks": "OpenID Connect endpoint (JSON for vendors)",
}


def _named_urls(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            found += _named_urls(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            found.append((name, prefix + str(pattern.pattern)))
    return found


def portal_and_staff_pages() -> set[str]:
    """The names of every URL of the portal and of the staff workspace (under /personnel/)."""
    return {
        name
        for name, route in _named_urls(get_resolver().url_patterns)
        if name.startswith("portal:") or route.startswith("personnel/")
    }


def test_every_page_is_visited_or_excluded_with_a_reason():
    """Each portal and staff URL is in PAGES or EXCLUDED (not both), and neither names a URL
    that no longer exists."""
    names = portal_and_staff_pages()
    missing = sorted(names - PAGES.keys() - EXCLUDED.keys())
    assert not missing, f"pages neither visited nor excluded: {missing}"
    assert not PAGES.keys() & EXCLUDED.keys()
    stale = sorted((PAGES.keys() | EXCLUDED.keys()) - names)
    assert not stale, f"entries for URLs that do not exist: {stale}"
    assert all(reason.strip() for reason in EXCLUDED.values())


@pytest.fixture
def world(libs, catalogue, make_patron, actor, clock_at) -> Data:
    """A network with something on every page: loans, holds (waiting, ready), copies in the
    navette and a crate that left, an event and a programme, online films, an import run."""
    clock_at(NOW)
    lens, avion = libs["Lens"], libs["Avion"]
    record = catalogue["etoile"]
    patron = make_patron(home="Lens", first_name="Jeanne", last_name="Martin")
    lent = make_item(record=record, library=lens)
    loan_checkout(item=lent, patron=patron, library=lens, actor=actor, now=NOW)
    waiting_hold = hold_place(patron=patron, record=catalogue["etoiles"], pickup_library=lens,
                              actor=actor, now=NOW)  # fmt: skip
    # a copy set aside at Lens for a patron of Lens (hold slip), and one sent to Avion twice
    shelved = make_item(record=catalogue["chevaux"], library=lens)
    ready_hold = hold_place(patron=make_patron(home="Lens"), record=shelved.record,
                            pickup_library=lens, actor=actor, now=NOW)  # fmt: skip
    loan_checkin(item=shelved, library=lens, actor=actor, now=NOW)
    transits = []
    for _ in range(2):
        item = make_item(record=record, library=lens)
        hold_place(patron=make_patron(home="Avion"), record=record, pickup_library=avion,
                   actor=actor, now=NOW)  # fmt: skip
        loan_checkin(item=item, library=lens, actor=actor, now=NOW)
        transits.append(Transit.objects.get(item=item))
    crate = crate_send(from_library=lens, to_library=avion, transit_ids=[transits[0].pk],
                       actor=actor, now=NOW)  # fmt: skip
    event = events.event(lens, title="Heure du conte", registration_required=True, capacity=10)
    programme = Programme.objects.create(slug="printemps", title="Printemps des poètes",
                                         starts_on=NOW.date(), ends_on=NOW.date())  # fmt: skip
    resource = digital.vod()
    film = digital.film(resource, "Le Voyage dans la Lune", 1902)
    run = ImportRun.objects.create(directory="import", mode="dry_run", status="done",
                                   started_at=NOW, finished_at=NOW)  # fmt: skip
    batch = batches.batch_apply(
        selection=batches.select_by_barcodes(lent.barcode),
        change=batches.Change(action=BatchAction.CALL_NUMBER, call_number="BD HER"),
        actor=actor, now=NOW,
    )  # fmt: skip
    news = make_news("Nouvelles liseuses", now=NOW)
    page = article_save(article=None, fields={"kind": ArticleKind.PAGE, "title": "S'inscrire",
                        "status": PublicationStatus.PUBLISHED, "library": None},
                        actor=actor, now=NOW)  # fmt: skip
    selection = selection_save(selection=None, fields={"title": "Coups de cœur", "intro": "",
                               "library": None, "status": PublicationStatus.PUBLISHED},
                               actor=actor, now=NOW)  # fmt: skip
    selection_entry_add(selection=selection, record=record, comment="Bouleversant.",
                        actor=actor, now=NOW)  # fmt: skip
    headings_refresh([record.pk])
    heading = Heading.objects.filter(kind="author").order_by("pk").first()
    rebuild_index()
    assert heading is not None
    assert Hold.objects.get(pk=ready_hold.pk).status == HoldStatus.READY
    assert Crate.objects.count() == 1
    return {
        "lens": lens, "avion": avion, "record": record, "twin": catalogue["etoiles"],
        "item": lent, "patron": patron, "waiting_hold": waiting_hold, "ready_hold": ready_hold,
        "transit": transits[1], "crate": crate, "event": event, "programme": programme,
        "resource": resource, "film": film, "run": run, "batch": batch,
        "heading": heading, "news": news, "page": page, "selection": selection,
    }  # fmt: skip


def _session_cookies(data: Data) -> dict[str, str | None]:
    """A session cookie per role (None: anonymous)."""
    librarian = User.objects.create_user("bib-lens", password="x", role=Role.LIBRARIAN)
    librarian.libraries.add(data["lens"])
    cataloguer = User.objects.create_user("cat-lens", password="x", role=Role.CATALOGUER)
    cataloguer.libraries.add(data["lens"])
    admin = User.objects.create_user("admin-reseau", password="x", role=Role.NETWORK_ADMIN)
    cookies: dict[str, str | None] = {"anonymous": None}
    for role, user in (("librarian", librarian), ("cataloguer", cataloguer), ("admin", admin)):
        client = Client()
        client.force_login(user)
        cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookies["patron"] = digital.session_cookie(data["patron"])[1]
    return cookies


def test_every_portal_and_staff_page_passes_axe_at_1280_360_and_320_px(page, axe, world):
    """Each page of PAGES, visited by its role, answers 200 without a redirect, and at 1280,
    360 and 320 px axe-core finds no serious or critical violation and nothing scrolls
    sideways. Every problem of every page is listed at once."""
    cookies = _session_cookies(world)
    problems: dict[str, list[int]] = {}  # problem -> the widths it was found at
    current = ""
    for name, spec in PAGES.items():
        if spec.role != current:
            page.context.clear_cookies()
            value = cookies[spec.role]
            if value is not None:
                page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": value,
                                           "url": page.base_url}])  # fmt: skip
            current = spec.role
        path = reverse(name, kwargs=spec.kwargs(world)) + spec.query(world)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        response = page.goto(page.base_url + path)
        if response is None or response.status != 200:
            problems[f"{name} {path}: answered {response.status if response else None}"] = []
            continue
        if page.url.split("#")[0] != page.base_url + path:
            problems[f"{name} {path}: redirected to {page.url}"] = []
            continue
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for violation in axe(page):  # axe also measures the sideways scroll at 320 and 360
                problems.setdefault(f"{name} {path}: {violation}", []).append(width)
    assert not problems, "\n".join(f"{p} (at {w} px)" for p, w in problems.items())
