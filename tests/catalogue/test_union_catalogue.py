"""The union catalogue against a member library's real system: a second Navette instance
(its own database, ``navette serve`` on other loopback ports) plays the member. Its
catalogue is harvested over OAI-PMH by sickle, incrementally: a change and a deletion at
the member appear after the next harvest; its records are found in the network's search
with a facet for the member library, and shown with the member's copies and their live
availability (SIP2 Item Information to the member's SIP2 server)."""

from __future__ import annotations

import re
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
from navette.search import engine
from navette.search.index import rebuild_index
from tests.catalogue.factories import make_item, make_record
from tests.catalogue.member_instance import MemberInstance, marcxml_collection
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


def _harvest(source: HarvestSource, capture) -> dict[str, int]:
    with capture(execute=True):
        report = source_harvest(source=source, now=clock.now())
    return report.counts()


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
