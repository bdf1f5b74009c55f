"""Member catalogues dropped as MARC files in a directory, read on a schedule: the job and
``navette harvest-members`` read each new or changed file once; a record marked deleted in
its leader is removed; a bad record is reported and the others written."""

from __future__ import annotations

import datetime as dt
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from navette.catalogue.harvest import due_sources
from navette.catalogue.jobs import harvest_members
from navette.catalogue.models import (
    HarvestProtocol,
    HarvestSource,
    HarvestState,
    Item,
    MemberHolding,
    MemberRecord,
    Record,
)
from navette.core import clock
from navette.core.actions import AuditAction
from navette.core.jobs import registered_jobs
from navette.core.models import AuditEvent, User
from navette.search import engine
from navette.search.index import rebuild_index
from tests.network.factories import make_library


def unimarc(number: str, title: str, barcodes: list[str], *, deleted: bool = False) -> str:
    status = "d" if deleted else "n"
    copies = "".join(
        '<datafield tag="995" ind1=" " ind2=" "><subfield code="b">TOUR</subfield>'
        f'<subfield code="f">{b}</subfield><subfield code="k">R {title[:3].upper()}</subfield>'
        "</datafield>"
        for b in barcodes
    )
    return (
        f"<record><leader>00000{status}am  2200000   4500</leader>"
        f'<controlfield tag="001">{number}</controlfield>'
        f'<datafield tag="200" ind1="1" ind2=" "><subfield code="a">{title}</subfield>'
        f"</datafield>{copies}</record>"
    )


def drop(directory, name: str, *records: str, mtime: float | None = None) -> None:
    path = directory / name
    path.write_text(
        '<collection xmlns="http://www.loc.gov/MARC21/slim">' + "".join(records) + "</collection>",
        encoding="utf-8",
    )
    if mtime is not None:
        os.utime(path, (mtime, mtime))


@pytest.fixture
def tourcoing(db):
    return make_library(code="tourcoing", name="Médiathèque André Malraux", commune="Tourcoing")


@pytest.fixture
def files_source(tourcoing, tmp_path, settings):
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    directory = tmp_path / "depot"
    directory.mkdir()
    source = HarvestSource.objects.create(
        library=tourcoing, name="Tourcoing (Orphée)", protocol=HarvestProtocol.MARC_FILES,
        directory=str(directory), flavour="unimarc", every_minutes=60,
    )  # fmt: skip
    return source, directory


def titles(source) -> list[str]:
    return sorted(
        MemberRecord.objects.filter(source=source).values_list("record__title", flat=True)
    )


def test_files_read_once_with_changes_and_deletions(files_source):
    """The command reads the dropped files in the order they came; the same file is not
    read twice; a later file changes one record and deletes another (leader/05 = d); a
    record without title is rejected and reported, the others written."""
    source, directory = files_source
    drop(directory, "export-1.xml", unimarc("T1", "Les Misérables", ["TC1", "TC2"]),
         unimarc("T2", "Germinal", ["TC3"]), unimarc("T3", "", ["TC4"]), mtime=1_000_000)  # fmt: skip
    out = StringIO()
    call_command("harvest_members", "--source", source.name, stdout=out)
    assert "2 notices créées" in out.getvalue() and "1 rejetées" in out.getvalue()
    assert "titre absent" in out.getvalue()
    assert titles(source) == ["Germinal", "Les Misérables"]
    assert MemberHolding.objects.filter(library=source.library).count() == 3
    assert not Item.objects.exists()  # never copies Navette lends

    out = StringIO()
    call_command("harvest_members", "--source", source.name, stdout=out)
    assert "0 notices créées, 0 mises à jour, 0 inchangées" in out.getvalue()

    drop(directory, "export-2.xml", unimarc("T1", "Les Misérables (édition intégrale)", ["TC1"]),
         unimarc("T2", "Germinal", [], deleted=True), mtime=2_000_000)  # fmt: skip
    call_command("harvest_members", "--all", stdout=StringIO())
    assert titles(source) == ["Les Misérables (édition intégrale)"]
    assert not Record.objects.filter(title="Germinal").exists()
    assert list(MemberHolding.objects.values_list("barcode", flat=True)) == ["TC1"]
    source.refresh_from_db()
    assert source.state == HarvestState.OK
    assert source.last_counts == {
        "created": 0, "updated": 1, "unchanged": 0, "deleted": 1, "rejected": 0,
    }  # fmt: skip


def test_job_harvests_due_sources_only(files_source):
    """The ``member-harvest`` job is registered and harvests a source when it is due: never
    harvested, or ``every_minutes`` after the last one began."""
    source, directory = files_source
    assert "member-harvest" in dict(registered_jobs())
    drop(directory, "a.xml", unimarc("T9", "Nana", ["TC9"]))
    now = clock.now()
    assert harvest_members(now).startswith("Tourcoing (Orphée) : +1")
    assert due_sources(now + dt.timedelta(minutes=59)) == []
    assert harvest_members(now + dt.timedelta(minutes=59)) == "aucun catalogue membre à moissonner"
    assert due_sources(now + dt.timedelta(minutes=60)) == [HarvestSource.objects.get()]


def test_missing_directory_is_a_clear_failure(files_source):
    """A directory that does not exist: the command says which source and which directory,
    and the source is left failed."""
    source, directory = files_source
    directory.rmdir()
    err = StringIO()
    with pytest.raises(CommandError, match="Moisson en échec : Tourcoing"):
        call_command("harvest_members", "--source", source.name, stdout=StringIO(), stderr=err)
    assert "dossier des fichiers MARC de Tourcoing (Orphée) n'existe pas" in err.getvalue()
    assert str(directory) in err.getvalue()
    source.refresh_from_db()
    assert source.state == HarvestState.FAILED


def test_unknown_source_named(db):
    """A source name the network does not know is refused, with the known names."""
    with pytest.raises(CommandError, match="Catalogue membre inconnu : Nulle part"):
        call_command("harvest_members", "--source", "Nulle part", stdout=StringIO())


def test_administrators_set_up_a_member_catalogue(tourcoing, client):
    """In the administration, a source missing what its protocol needs is refused on the
    field concerned; a complete one is saved and the action audited."""
    user = User.objects.create_user("admin-reseau", password="x", role="network_admin")
    client.force_login(user)
    form = {
        "name": "Tourcoing", "library": tourcoing.pk, "protocol": "oai-pmh", "url": "",
        "metadata_prefix": "unimarc", "every_minutes": 60, "timeout": 30, "is_active": "on",
        "record_url_template": "https://catalogue.tourcoing.example/notice",
    }  # fmt: skip
    refused = client.post("/admin/catalogue/harvestsource/add/", form)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Indiquez l&#x27;adresse du dépôt OAI-PMH de la bibliothèque." in page
    assert "L&#x27;adresse doit contenir {id} ou {isbn}" in page
    assert not HarvestSource.objects.exists()

    form.update(url="https://catalogue.tourcoing.example/oai",
                record_url_template="https://catalogue.tourcoing.example/notice/{id}")  # fmt: skip
    saved = client.post("/admin/catalogue/harvestsource/add/", form)
    assert saved.status_code == 302
    source = HarvestSource.objects.get()
    assert source.library == tourcoing and source.state == HarvestState.NEW
    event = AuditEvent.objects.get(action=AuditAction.HARVEST_SOURCE_ADD)
    assert event.data["library"] == "tourcoing"


def test_two_members_holding_one_edition_share_one_record(files_source, tmp_path):
    """A second member's record with the same ISBN joins the record the first member's
    harvest created: one result, held by both libraries (also after a full rebuild of the
    index); when the first member deletes it, the record stays for the second."""
    source, directory = files_source
    roubaix = make_library(code="roubaix", name="La Grand-Plage", commune="Roubaix")
    other_dir = tmp_path / "depot-roubaix"
    other_dir.mkdir()
    other = HarvestSource.objects.create(
        library=roubaix, name="Roubaix (Koha)", protocol=HarvestProtocol.MARC_FILES,
        directory=str(other_dir), flavour="unimarc",
    )  # fmt: skip
    isbn = '<datafield tag="010" ind1=" " ind2=" "><subfield code="a">9782070360024</subfield></datafield>'
    with_isbn = unimarc("T5", "L'Étranger", ["TC5"]).replace(
        "</controlfield>", "</controlfield>" + isbn, 1
    )
    drop(directory, "a.xml", with_isbn)
    drop(other_dir, "b.xml", unimarc("R77", "L'étranger : roman", ["RB77"]).replace(
        "</controlfield>", "</controlfield>" + isbn, 1))  # fmt: skip
    call_command("harvest_members", "--source", source.name, stdout=StringIO())
    call_command("harvest_members", "--source", other.name, stdout=StringIO())
    record = Record.objects.get(title="L'Étranger")
    assert Record.objects.filter(title__icontains="tranger").count() == 1
    assert sorted(MemberHolding.objects.filter(record=record).values_list("library__code", flat=True)) == [
        "roubaix", "tourcoing",
    ]  # fmt: skip
    rebuild_index()
    for code in ("roubaix", "tourcoing"):
        found = engine.search(engine.SearchParams(q="étranger", filters={"library": [code]}))
        assert found.record_ids == [record.pk]

    drop(directory, "c.xml", unimarc("T5", "L'Étranger", [], deleted=True), mtime=3_000_000)
    call_command("harvest_members", "--source", source.name, stdout=StringIO())
    record.refresh_from_db()  # still there: Roubaix holds it
    assert MemberRecord.objects.get(record=record).owns_record
    assert list(MemberHolding.objects.filter(record=record).values_list("barcode", flat=True)) == [
        "RB77"
    ]
