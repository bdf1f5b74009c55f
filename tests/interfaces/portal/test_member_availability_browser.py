"""In a browser: the results page and the record page show a member library's copies at once,
"being checked", then their states from the member's SIP2 server swapped in by htmx; a member
that does not answer in time shows "not known" with the link to its catalogue. No serious
accessibility violation, no sideways scroll on a phone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from navette.catalogue.models import HarvestSource, MemberHolding, MemberRecord
from navette.core import clock
from navette.network.connectors.sip2 import close_all_clients
from navette.network.models import MemberSystem
from navette.search import member_availability as members
from navette.search.index import rebuild_index
from tests.catalogue.factories import make_record
from tests.network.factories import make_library
from tests.network.sip2_peers import Peer, framed, login_then, sequence_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T = "20261206    101500"


def item_reply(frame: bytes) -> bytes:
    """18: a copy whose barcode ends in 1 on the shelf, the others on loan until 15/01/2027."""
    barcode = frame.split(b"|AB", 1)[1].split(b"|", 1)[0].decode()
    if barcode.endswith("1"):
        return framed(f"18030201{T}|AB{barcode}|AJTitre|", sequence_of(frame))
    return framed(f"18040201{T}|AB{barcode}|AJTitre|AH20270115    235900|", sequence_of(frame))


@pytest.fixture
def catalogue(settings, tmp_path) -> Iterator[dict[str, object]]:
    """Two member libraries holding harvested records: Wattrelos answers at once, Croix is
    too slow for the budget."""
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    settings.NAVETTE_MEMBER_AVAILABILITY_BUDGET = 1.5
    settings.NAVETTE_MEMBER_AVAILABILITY_TIMEOUT = 3.0
    members.forget()

    async def never_in_time(frame: bytes) -> bytes | None:
        if frame.startswith(b"93"):
            return framed("941", sequence_of(frame))
        await asyncio.sleep(4)
        return item_reply(frame)

    with Peer(login_then(item_reply)) as quick, Peer(never_in_time) as slow:
        made = {}
        for code, commune, peer in (("wattrelos", "Wattrelos", quick), ("croix", "Croix", slow)):
            lib = make_library(code=code, name="Médiathèque", commune=commune)
            MemberSystem.objects.create(
                library=lib, system_name="Koha", card_prefixes=code, sip2_host="127.0.0.1",
                sip2_port=peer.port, sip2_login="portail", sip2_password="x",
            )  # fmt: skip
            made[code] = HarvestSource.objects.create(
                library=lib, name=commune, url=f"https://{code}.example/oai",
                live_availability=True, record_url_template=f"https://{code}.example/notice/{{id}}",
            )  # fmt: skip
        record = make_record(title="Les Années", authors=["Annie Ernaux"], year=2008)
        for code, barcodes in (("wattrelos", ["W1", "W2"]), ("croix", ["C1"])):
            source = made[code]
            member = MemberRecord.objects.create(
                source=source, identifier=f"oai:{code}:42", local_id="42", record=record,
                owns_record=code == "wattrelos", harvested_at=clock.now(),
            )  # fmt: skip
            for barcode in barcodes:
                MemberHolding.objects.create(
                    member_record=member, record=record, library=source.library, barcode=barcode
                )
        rebuild_index()
        yield {"record": record, **made}
    members.forget()
    close_all_clients()


def test_states_swapped_in_after_the_page_is_shown(page, axe, catalogue):
    """The results page: Wattrelos "Disponible" (one copy on the shelf), Croix "not known"
    once the budget is spent, with its catalogue link; the record page: each Wattrelos copy
    with its own state (one on loan with its return date)."""
    record = catalogue["record"]
    wattrelos = catalogue["wattrelos"].library_id  # type: ignore[attr-defined]
    croix = catalogue["croix"].library_id  # type: ignore[attr-defined]
    page.goto(page.base_url + "/recherche/?q=ernaux")
    quick = page.locator(f"#mstate-{record.pk}-{wattrelos}")  # type: ignore[attr-defined]
    late = page.locator(f"#mstate-{record.pk}-{croix}")  # type: ignore[attr-defined]
    quick.filter(has_text="Disponible").wait_for()
    late.filter(has_text="Disponibilité non connue").wait_for()
    assert "avail-yes" in (quick.get_attribute("class") or "")
    assert (
        page.get_by_role(
            "link", name="voir dans son catalogue (Croix — Médiathèque)"
        ).get_attribute("href")
        == "https://croix.example/notice/42"
    )
    assert axe(page) == []

    page.goto(page.base_url + f"/notice/{record.pk}/")
    w1, w2 = (MemberHolding.objects.get(barcode=b).pk for b in ("W1", "W2"))
    page.locator(f"#mcopy-{w1}").filter(has_text="Disponible").wait_for()
    page.locator(f"#mcopy-{w2}").filter(has_text="En prêt jusqu'au 15/01/2027").wait_for()
    assert page.get_by_role("heading", name="Wattrelos — Médiathèque").is_visible()
    assert axe(page) == []
