"""The union catalogue against a member library's real system: a second Navette instance
(its own database, ``navette serve`` on other loopback ports) plays the member. Its
catalogue is harvested over OAI-PMH by sickle, incrementally: a change and a deletion at
the member appear after the next harvest; its records are found in the network's search
with a facet for the member library, and shown with the member's copies and their live
availability (SIP2 Item Information to the member's SIP2 server)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from navette.catalogue.harvest import HarvestFailed, source_harvest
from navette.catalogue.models import (
    HarvestSource,
    HarvestState,
    Item,
    MemberHolding,
    MemberRecord,
    Record,
    RecordIdentifier,
)
from navette.core import clock
from navette.network.connectors.sip2 import Sip2Endpoint, close_all_clients
from navette.network.models import MemberSystem
from navette.search import engine
from navette.search import member_availability as members
from navette.search.index import rebuild_index
from tests.catalogue.factories import make_item, make_record
from tests.catalogue.member_instance import (
    KIOSK_LOGIN,
    KIOSK_PASSWORD,
    MemberInstance,
    marcxml_collection,
)
from tests.network.factories import make_library


def isbn13(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


HORDE = isbn13("978207046423")
SHARED = isbn13("978220300109")

MEMBER_RECORDS = [
    {"id": "M1", "title": "La Horde du Contrevent", "author": "Damasio, Alain",
     "isbn": HORDE, "barcodes": ["RBX0001", "RBX0002"], "call": "SF DAM"},
    {"id": "M2", "title": "Vernon Subutex", "author": "Despentes, Virginie",
     "barcodes": ["RBX0003"]},
    {"id": "M3", "title": "Le Bureau des légendes perdues", "author": "Nadal, Paul",
     "barcodes": []},
    {"id": "M4", "title": "Tintin : l'étoile mystérieuse", "author": "Hergé",
     "isbn": SHARED, "barcodes": ["RBX0004"]},
]  # fmt: skip


@pytest.fixture(scope="module")
def member(tmp_path_factory) -> Iterator[MemberInstance]:
    """The member's Navette, serving its catalogue of four records (three with copies)."""
    home = tmp_path_factory.mktemp("member")
    marc = home / "catalogue.xml"
    marc.write_text(marcxml_collection(MEMBER_RECORDS), encoding="utf-8")
    instance = MemberInstance(home)
    try:
        instance.start(marc)
        # one copy out on loan at the member (as its circulation would say)
        instance.run(
            "from navette.catalogue.models import Item\n"
            "Item.objects.filter(barcode='RBX0002').update(status='on_loan')\n"
        )
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def roubaix(db):
    return make_library(code="roubaix", name="Médiathèque La Grand-Plage", commune="Roubaix")


@pytest.fixture
def source(roubaix, member) -> HarvestSource:
    return HarvestSource.objects.create(
        library=roubaix, name="Roubaix (Navette)", url=member.oai_url, metadata_prefix="marcxml",
        record_url_template="https://catalogue.roubaix.example/notice/{id}", timeout=20,
    )  # fmt: skip


@pytest.fixture
def index_dir(settings, tmp_path) -> Path:
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    settings.NAVETTE_SEARCH_BUILD_THREADS = 1
    return tmp_path / "index"


@pytest.fixture
def member_sip2(member, roubaix, settings) -> Iterator[None]:
    """The network knows the member's SIP2 server (its kiosk account for the portal), set
    up as network administrators do (``network.MemberSystem``). The waits are long: this
    is about what is shown, on a machine other tests load (speed: bench/RESULTS.md)."""
    settings.NAVETTE_MEMBER_AVAILABILITY_TIMEOUT = 20.0
    settings.NAVETTE_MEMBER_AVAILABILITY_BUDGET = 30.0
    MemberSystem.objects.create(
        library=roubaix, system_name="Navette", card_prefixes="RBX", sip2_host="127.0.0.1",
        sip2_port=member.sip2, sip2_login=KIOSK_LOGIN, sip2_password=KIOSK_PASSWORD,
        sip2_connect_timeout=20, sip2_read_timeout=20,
    )  # fmt: skip
    members.forget()
    yield
    members.set_endpoint_lookup(None)
    members.forget()
    close_all_clients()


def _harvest(source: HarvestSource, capture) -> dict[str, int]:
    with capture(execute=True):
        report = source_harvest(source=source, now=clock.now())
    return report.counts()


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.content.decode())


def _states_url(page: str) -> str:
    found = re.search(r'hx-get="(/recherche/disponibilites-membres/[^"]+)"', page)
    assert found, "no request for the member states"
    return found.group(1).replace("&amp;", "&")


def _found(q: str, **filters: list[str]) -> list[int]:
    return engine.search(engine.SearchParams(q=q, filters=filters)).record_ids


def _member_titles(source: HarvestSource) -> dict[str, str]:
    return dict(
        MemberRecord.objects.filter(source=source).values_list("identifier", "record__title")
    )


def _edit_at_member(member: MemberInstance) -> None:
    """At the member: M2's title corrected (its MARC, as the record editor saves it) and M3
    deleted (a tombstone its OAI provider lists as deleted)."""
    member.run("""
        from navette.catalogue.models import Record
        from navette.catalogue.services import record_delete
        from navette.core import clock
        from navette.core.actors import Actor

        record = Record.objects.get(control_number="M2")
        for field in record.marc["fields"]:
            if "245" in field:
                field["245"]["subfields"] = [{"a": "Vernon Subutex, tome 1"}]
        record.title = "Vernon Subutex, tome 1"
        record.save()
        gone = Record.objects.get(control_number="M3")
        record_delete(record=gone, actor=Actor.system("test"), now=clock.now())
    """)


@pytest.mark.django_db(transaction=False)
def test_member_catalogue_harvested_incrementally_and_searched(
    member, source, relire, index_dir, django_capture_on_commit_callbacks
):
    """The first harvest brings the member's four records (one joins the network's record
    with the same ISBN) with their copies as member holdings, never as lendable copies; the
    second, after a change and a deletion at the member, brings just those two; the network's
    search finds the member's records and counts them under the member library's facet."""
    lens = relire["lens"]
    tintin = make_record(title="L'Étoile mystérieuse", authors=["Hergé"], isbns=[SHARED])
    RecordIdentifier.objects.create(record=tintin, kind="isbn", value=SHARED)  # as imported
    make_item(record=tintin, library=lens)
    rebuild_index()

    counts = _harvest(source, django_capture_on_commit_callbacks)
    assert counts == {"created": 4, "updated": 0, "unchanged": 0, "deleted": 0, "rejected": 0}
    source.refresh_from_db()
    assert source.state == HarvestState.OK and source.harvested_until is not None
    titles = _member_titles(source)
    assert sorted(titles.values()) == [
        "L'Étoile mystérieuse",  # joined the network's record: its description stays
        "La Horde du Contrevent", "Le Bureau des légendes perdues", "Vernon Subutex",
    ]  # fmt: skip
    joined = MemberRecord.objects.get(source=source, record=tintin)
    assert not joined.owns_record and joined.local_id.isdigit()
    horde = Record.objects.get(title="La Horde du Contrevent")
    holdings = MemberHolding.objects.filter(record=horde).order_by("barcode")
    assert [(h.library_id, h.barcode, h.call_number) for h in holdings] == [
        (source.library_id, "RBX0001", "SF DAM"), (source.library_id, "RBX0002", "SF DAM"),
    ]  # fmt: skip
    # never lendable: no copy of Navette's circulation for a member's holdings
    assert not Item.objects.filter(record=horde).exists()
    assert not Item.objects.filter(barcode__startswith="RBX").exists()

    assert _found("horde contrevent") == [horde.pk]
    assert set(_found("", library=["roubaix"])) == {
        horde.pk, tintin.pk, Record.objects.get(title="Vernon Subutex").pk,
    }  # fmt: skip
    assert _found("étoile mystérieuse", library=["lens"]) == [tintin.pk]
    facets = dict(engine.search(engine.SearchParams(q="hergé")).facets["library"])
    assert facets == {"lens": 1, "roubaix": 1}

    # nothing changed at the member: nothing to write
    again = _harvest(source, django_capture_on_commit_callbacks)
    assert again["created"] == again["updated"] == again["deleted"] == 0

    _edit_at_member(member)
    counts = _harvest(source, django_capture_on_commit_callbacks)
    assert counts["updated"] == 1 and counts["deleted"] == 1 and counts["created"] == 0
    titles = _member_titles(source)
    assert "Vernon Subutex, tome 1" in titles.values()
    assert "Le Bureau des légendes perdues" not in titles.values()
    assert not Record.objects.filter(title="Le Bureau des légendes perdues").exists()
    assert _found("subutex tome") == [Record.objects.get(title="Vernon Subutex, tome 1").pk]
    assert _found("bureau légendes perdues") == []


@pytest.mark.django_db
def test_member_records_found_with_the_members_live_availability(
    member, source, member_sip2, index_dir, client, django_capture_on_commit_callbacks
):
    """The network's results page shows the member library holding a harvested record at
    once, its state "being checked" (nothing asked of the member while the page is made);
    the page's follow-up request asks the member's SIP2 server (Item Information) and
    swaps in "Disponible"; the record page shows each copy's state (one on loan at the
    member) and the link to the member's own catalogue; the next page comes from the cache,
    without a follow-up request."""
    HarvestSource.objects.filter(pk=source.pk).update(live_availability=True)
    _harvest(source, django_capture_on_commit_callbacks)
    horde = Record.objects.get(title="La Horde du Contrevent")
    member_record = MemberRecord.objects.get(record=horde)

    page = _text(client.get("/recherche/", {"q": "horde contrevent"}))
    assert "1 résultat" in page
    assert "Roubaix — Médiathèque La Grand-Plage" in page
    assert f'id="mstate-{horde.pk}-{source.library_id}"' in page
    assert "Disponibilité en cours de vérification" in page
    link = f"https://catalogue.roubaix.example/notice/{member_record.local_id}"
    assert link in page

    states = _text(client.get(_states_url(page), HTTP_HX_REQUEST="true"))
    assert re.search(
        rf'<span id="mstate-{horde.pk}-{source.library_id}" class="avail-yes" '
        r'hx-swap-oob="true">Disponible</span>', states
    ), states  # fmt: skip

    record_page = _text(client.get(f"/notice/{horde.pk}/"))
    assert "Réserver" not in record_page  # a member's copies are not held by Navette
    assert link in record_page
    # the results page's request cached both copies: the record page needs no other
    assert "hx-get" not in record_page.split("Exemplaires", 1)[1]
    by_barcode = {h.barcode: h.pk for h in MemberHolding.objects.filter(record=horde)}
    assert (
        f'<span id="mcopy-{by_barcode["RBX0001"]}" class="avail-yes">Disponible</span>'
        in record_page
    )
    assert (
        f'<span id="mcopy-{by_barcode["RBX0002"]}" class="avail-no">En prêt</span>' in record_page
    )

    again = _text(client.get("/recherche/", {"q": "horde contrevent"}))
    assert "Disponibilité en cours de vérification" not in again
    assert "disponibilites-membres" not in again


@pytest.mark.django_db
def test_member_down_shows_unknown_within_the_budget(
    source, roubaix, index_dir, client, settings, django_capture_on_commit_callbacks, member
):
    """A member whose SIP2 server is down: the follow-up request answers within the budget
    with "not known" and the link to the member's catalogue stays on the page."""
    HarvestSource.objects.filter(pk=source.pk).update(live_availability=True)
    _harvest(source, django_capture_on_commit_callbacks)
    dead = MemberInstance(Path("/nonexistent")).sip2  # a port nobody listens on
    endpoint = Sip2Endpoint(host="127.0.0.1", port=dead, login_user="x", login_password="y")
    members.set_endpoint_lookup(lambda library_ids: dict.fromkeys(library_ids, endpoint))
    members.forget()
    try:
        page = _text(client.get("/recherche/", {"q": "subutex"}))
        started = time.monotonic()
        states = _text(client.get(_states_url(page)))
        assert time.monotonic() - started < settings.NAVETTE_MEMBER_AVAILABILITY_BUDGET + 1
        assert "Disponibilité non connue" in states
        assert "https://catalogue.roubaix.example/notice/" in page
    finally:
        members.set_endpoint_lookup(None)
        members.forget()
        close_all_clients()


@pytest.mark.django_db
def test_unreachable_member_leaves_the_source_failed_and_nothing_written(roubaix):
    """A member whose repository does not answer: the harvest fails with the reason kept on
    the source, nothing written, and the next harvest still asks from the same point."""
    port = MemberInstance(Path("/nonexistent")).web  # a free port nobody listens on
    source = HarvestSource.objects.create(
        library=roubaix, name="Roubaix (en panne)", url=f"http://127.0.0.1:{port}/oai",
        timeout=2,
    )  # fmt: skip
    with pytest.raises(HarvestFailed) as caught:
        source_harvest(source=source, now=clock.now())
    assert caught.value.context["why"] == "unreachable"
    assert "injoignable" in caught.value.message
    source.refresh_from_db()
    assert source.state == HarvestState.FAILED and re.match(r"unreachable: ", source.last_error)
    assert source.harvested_until is None
    assert not MemberRecord.objects.exists()
