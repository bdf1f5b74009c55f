"""Headings: derived from records and kept up to date by the catalogue's services, browsed in
French order, changed everywhere in one operation and undone; authority records imported
and linked, their see-from forms found in the search."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from navette.catalogue import editing, headings
from navette.catalogue.heading_index import headings_rebuild
from navette.catalogue.importer import import_marc_bytes
from navette.catalogue.marc.headings import field_headings, rename_in_marc
from navette.catalogue.marc.iso2709 import write_record
from navette.catalogue.models import (
    Authority,
    Heading,
    HeadingChange,
    Record,
    RecordVersion,
)
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.models import AuditEvent, Role, User
from navette.network.scope import CatalogueRoleRequired
from navette.search import engine, updater
from tests.catalogue.conftest import sub

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
OLD, NEW = "Oiseaux -- Mythologie", "Oiseaux -- Légendes"


@pytest.fixture
def cataloguer():
    return Actor.staff(User.objects.create_user("cat", password="x", role=Role.CATALOGUER))


@pytest.fixture
def index_dir(settings, tmp_path):
    """The outbox is applied only when the test says so (``updater.process_outbox``)."""
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "deferred"
    settings.NAVETTE_SEARCH_BUILD_THREADS = 1
    return tmp_path / "index"


def unimarc_book(n: int, *, subject: str = "Oiseaux", sub_x: str = "Mythologie",
                 author: tuple[str, str] = ("Autrice", "Anne"), series: str = "") -> dict:  # fmt: skip
    fields = [
        {"001": f"H{n:05d}"}, {"003": "TEST"},
        sub("100", _a="20240101d2021    m  y0frey50      ba"),
        sub("101", "0 ", _a="fre"),
        sub("200", "1 ", _a=f"Livre {n}", _b="Texte imprimé"),
        sub("210", _a="Paris", _c="Éditions du Nord", _d="2021"),
        sub("700", " 1", _a=author[0], _b=author[1], _4="070"),
        sub("606", _a=subject, _x=sub_x),
    ]  # fmt: skip
    if series:
        fields.insert(6, sub("225", "1 ", _a=series))
    return {"leader": "00000nam  2200000   4500", "fields": fields}


def _import(records: list[dict]) -> None:
    data = b"".join(write_record(m, utf8_leader=False) for m in records)
    report = import_marc_bytes(data, now=NOW)
    assert report.rejected == 0, [r.reason for r in report.rejects]


def _subject_facet(q: str = "") -> dict[str, int]:
    result = engine.search(engine.SearchParams(q=q, per_page=1))
    return dict(result.facets.get("subject", []))


# --- pure: fields and renaming ---------------------------------------------------------------


def test_field_headings_read_what_the_extraction_reads():
    """The labels the MARC fields give are the record's extracted authors, subjects and
    series (UNIMARC "$a, $b" names; " -- " subjects; each series title)."""
    marc = unimarc_book(1, series="Contes du monde")
    assert field_headings(marc, "unimarc") == [
        ("series", "Contes du monde"), ("author", "Autrice, Anne"), ("subject", OLD)]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "old", "new", "tag", "expected"),
    [
        ("subject", OLD, NEW, "606", [{"a": "Oiseaux"}, {"x": "Légendes"}]),
        ("subject", OLD, "Ornithologie", "606", [{"a": "Ornithologie"}]),
        ("subject", OLD, "Oiseaux -- Contes -- Jeunesse", "606",
         [{"a": "Oiseaux"}, {"x": "Contes"}, {"x": "Jeunesse"}]),
        ("author", "Autrice, Anne", "Autrice, Anne-Marie", "700",
         [{"a": "Autrice"}, {"b": "Anne-Marie"}, {"4": "070"}]),
        ("author", "Autrice, Anne", "Collectif", "700", [{"a": "Collectif"}, {"4": "070"}]),
    ],
)  # fmt: skip
def test_rename_in_marc_changes_the_heading_subfields_only(kind, old, new, tag, expected):
    """The heading's subfields take the new form (same shape: each part keeps its code;
    another shape: $a then $x); the other subfields (the role $4) stay."""
    marc = rename_in_marc(unimarc_book(1), "unimarc", kind, old, new)
    assert marc is not None
    field = next(f[tag] for f in marc["fields"] if tag in f)
    assert field["subfields"] == expected
    assert (kind, new) in field_headings(marc, "unimarc")


def test_rename_in_marc_marc21_name_and_absent_heading():
    """A MARC21 name (words of $a $d) becomes the new form in $a, its dates gone; a record
    without the heading gives None."""
    marc = {"leader": "00000nam a2200000 i 4500", "fields": [
        sub("100", "1 ", _a="Hergé,", _d="1907-1983", _4="aut"),
        sub("245", "10", _a="Tintin")]}  # fmt: skip
    renamed = rename_in_marc(marc, "marc21", "author", "Hergé, 1907-1983", "Remi, Georges")
    assert renamed["fields"][0]["100"]["subfields"] == [{"a": "Remi, Georges"}, {"4": "aut"}]
    assert rename_in_marc(marc, "marc21", "author", "Personne", "X") is None


# --- the derived index ---------------------------------------------------------------------


def test_headings_follow_import_edit_and_browse_in_french_order(cataloguer):
    """Imported records give their headings with counts; an edit through the record editor
    moves the counts; browsing is in French order, by kind and by prefix (accents and case
    ignored)."""
    _import([unimarc_book(1, author=("Éluard", "Paul")), unimarc_book(2, author=("Eco", "Umberto")),
             unimarc_book(3, author=("Zola", "Émile")), unimarc_book(4, author=("eluard", "Paul"))])  # fmt: skip
    page = headings.headings_browse(kind="author")
    assert [(h.label, h.record_count) for h in page.headings] == [
        ("Eco, Umberto", 1), ("eluard, Paul", 1), ("Éluard, Paul", 1), ("Zola, Émile", 1)]  # fmt: skip
    assert headings.headings_browse(kind="subject").headings[0].record_count == 4
    assert [h.label for h in headings.headings_browse(prefix="ELU").headings] == [
        "eluard, Paul", "Éluard, Paul"]  # fmt: skip
    record = Record.objects.get(control_number="H00003")
    marc = rename_in_marc(record.marc, "unimarc", "author", "Zola, Émile", "Éluard, Paul")
    editing.record_update(record=record, marc=marc, actor=cataloguer, now=NOW)
    counts = {h.label: h.record_count for h in headings.headings_browse(kind="author").headings}
    assert counts == {"Eco, Umberto": 1, "eluard, Paul": 1, "Éluard, Paul": 2}
    assert headings_rebuild() == 4  # the rebuild agrees and drops the unused heading


def test_heading_change_refused_to_a_librarian_and_audited(cataloguer):
    """A librarian (not a cataloguer) may not change a heading everywhere: refused and
    audited, nothing changed."""
    _import([unimarc_book(1)])
    heading = Heading.objects.get(kind="subject", label=OLD)
    librarian = Actor.staff(User.objects.create_user("bib", password="x", role=Role.LIBRARIAN))
    with pytest.raises(CatalogueRoleRequired):
        headings.heading_change(heading=heading, new_label=NEW, actor=librarian, now=NOW)
    assert AuditEvent.objects.filter(action=AuditAction.SCOPE_REFUSED).count() == 1
    assert not HeadingChange.objects.exists()
    assert Record.objects.get().subjects == [OLD]


def test_heading_change_refuses_empty_and_unchanged_forms(cataloguer):
    """An empty or identical new form is refused with its code; nothing is written."""
    _import([unimarc_book(1)])
    heading = Heading.objects.get(kind="subject", label=OLD)
    for label, code in (("  ", "heading_label_required"), (OLD, "heading_label_unchanged")):
        with pytest.raises(headings.HeadingChangeRefused) as refused:
            headings.heading_change(heading=heading, new_label=label, actor=cataloguer, now=NOW)
        assert refused.value.code == code
    assert not RecordVersion.objects.exists()


def _record_page_links(client: Client, record: Record) -> dict[str, str]:
    """Subject label -> where its link leads (the heading's search), from the record page."""
    page = client.get(reverse("portal:record", args=[record.pk])).content.decode()
    links = {}
    for href, label in re.findall(r'<a href="(/vedette/\d+/)">([^<]+)</a>', page):
        target = client.get(href)
        assert target.status_code == 302
        links[html.unescape(label)] = unquote(target["Location"])
    return links


def test_heading_renamed_across_300_records_updates_facets_and_links_and_undo_restores(
    cataloguer, index_dir, client
):
    """A subject carried by 300 records is changed in one operation: each record's MARC,
    history (a version each) and search document follow through the outbox, so the portal's
    subject facet and the record page's links name the new form; the undo gives every record
    its MARC back and the portal its old facet and links."""
    _import([unimarc_book(n) for n in range(300)] + [unimarc_book(999, subject="Chats")])
    updater.process_outbox()
    assert _subject_facet()[OLD] == 300
    heading = Heading.objects.get(kind="subject", label=OLD)
    assert len(headings.heading_records(heading)) == 300  # the preview
    before = {r.pk: r.marc for r in Record.objects.all()}
    sample = Record.objects.get(control_number="H00042")
    assert _record_page_links(client, sample)[OLD].endswith(f"?sujet={OLD}".replace(" ", "+"))

    change = headings.heading_change(heading=heading, new_label=NEW, actor=cataloguer, now=NOW)

    assert len(change.records) == 300
    assert Record.objects.filter(subjects=[NEW]).count() == 300
    assert RecordVersion.objects.filter(kind="heading_changed").count() == 300
    assert AuditEvent.objects.get(action=AuditAction.HEADING_CHANGE).data["to"] == NEW
    assert Heading.objects.get(kind="subject", label=NEW).record_count == 300
    assert Heading.objects.get(kind="subject", label=OLD).record_count == 0
    assert _subject_facet()[OLD] == 300  # the index has not yet read the outbox
    updater.process_outbox()
    facet = _subject_facet()
    assert facet.get(NEW) == 300 and OLD not in facet and facet["Chats -- Mythologie"] == 1
    links = _record_page_links(client, sample)
    assert OLD not in links
    search_url = links[NEW]
    assert parse_qs(urlparse(search_url).query)["sujet"] == [NEW]
    assert engine.search(engine.SearchParams(filters={"subject": [NEW]})).total == 300
    assert [h.label for h in headings.headings_browse(kind="subject").headings] == [
        "Chats -- Mythologie", NEW]  # fmt: skip

    headings.heading_change_undo(change=change, actor=cataloguer, now=NOW + dt.timedelta(hours=1))

    for record in Record.objects.all():
        assert record.marc == before[record.pk], record.pk
        assert record.marc_hash == editing.marc_hash(before[record.pk])
    assert Record.objects.filter(subjects=[OLD]).count() == 300
    assert RecordVersion.objects.filter(kind="heading_undone").count() == 300
    assert AuditEvent.objects.filter(action=AuditAction.HEADING_CHANGE_UNDO).count() == 1
    updater.process_outbox()
    facet = _subject_facet()
    assert facet[OLD] == 300 and NEW not in facet
    assert OLD in _record_page_links(client, sample)
    with pytest.raises(headings.HeadingUndoRefused) as again:
        headings.heading_change_undo(change=change, actor=cataloguer, now=NOW)
    assert again.value.code == "heading_change_already_undone"


def test_undo_refused_when_a_record_was_edited_since(cataloguer):
    """The undo refuses, naming the record, when one of the records changed since the
    heading change; nothing is undone."""
    _import([unimarc_book(1), unimarc_book(2)])
    heading = Heading.objects.get(kind="subject", label=OLD)
    change = headings.heading_change(heading=heading, new_label=NEW, actor=cataloguer, now=NOW)
    record = Record.objects.get(control_number="H00002")
    marc = rename_in_marc(record.marc, "unimarc", "author", "Autrice, Anne", "Autre, Anne")
    editing.record_update(record=record, marc=marc, actor=cataloguer, now=NOW)
    with pytest.raises(headings.HeadingUndoRefused) as refused:
        headings.heading_change_undo(change=change, actor=cataloguer, now=NOW)
    assert refused.value.code == "heading_records_changed_since"
    assert refused.value.context == {"titles": ["Livre 2"], "count": 1}
    assert "Livre 2" in refused.value.message
    assert Record.objects.filter(subjects=[NEW]).count() == 2


# --- authority records ---------------------------------------------------------------------


def _authority_files(tmp_path):
    unimarc = {"leader": "00000nx  j2200000   45  ", "fields": [
        {"001": "FRBNF11916587"},
        sub("100", _a="20240101afrey50      ba0"),
        sub("200", " 1", _a="Molière", _f="1622-1673"),
        sub("400", " 1", _a="Poquelin", _b="Jean-Baptiste"),
    ]}  # fmt: skip
    marc21 = {"leader": "00000nz  a2200000n  4500", "fields": [
        {"001": "sh85014310"},
        sub("150", " 0", _a="Oiseaux", _x="Mythologie"),
        sub("450", " 0", _a="Volatiles", _x="Mythologie"),
    ]}  # fmt: skip
    iso = tmp_path / "autorites.mrc"
    iso.write_bytes(write_record(unimarc, utf8_leader=False))
    xml = tmp_path / "autorites.xml"
    from navette.catalogue.marc.marcxml import record_to_xml

    xml.write_text(
        '<collection xmlns="http://www.loc.gov/MARC21/slim">'
        + record_to_xml(marc21)
        + "</collection>",
        encoding="utf-8",
    )
    return iso, xml


def test_authorities_imported_link_headings_and_see_from_forms_are_searchable(
    cataloguer, index_dir, tmp_path
):
    """A UNIMARC authority (ISO 2709) and a MARC21 one (MARCXML) are imported with their
    forms; the headings they match are linked, and a search for a see-from form (Poquelin,
    Volatiles) finds the records of the authorised one."""
    _import([unimarc_book(1, author=("Molière", "")), unimarc_book(2, subject="Chats")])
    # a UNIMARC name without $b reads "Molière": the authority's "$a, $b" form is the same
    iso, xml = _authority_files(tmp_path)
    first = headings.authorities_import(path=iso, actor=cataloguer, now=NOW)
    second = headings.authorities_import(path=xml, actor=cataloguer, now=NOW)
    assert (first.created, second.created, first.rejected, second.rejected) == (1, 1, [], [])
    assert Authority.objects.get(control_number="FRBNF11916587").label == "Molière"
    assert Heading.objects.get(kind="author", label="Molière").authority.control_number == (
        "FRBNF11916587")  # fmt: skip
    assert Heading.objects.get(kind="subject", label=OLD).authority.control_number == "sh85014310"
    updater.process_outbox()
    found = engine.search(engine.SearchParams(q="Poquelin"))
    assert [Record.objects.get(pk=i).title for i in found.record_ids] == ["Livre 1"]
    assert engine.search(engine.SearchParams(q="volatiles")).total == 1
    assert AuditEvent.objects.filter(action=AuditAction.AUTHORITY_IMPORT).count() == 2
    again = headings.authorities_import(path=iso, actor=cataloguer, now=NOW)
    assert (again.created, again.updated) == (0, 1)
    assert Authority.objects.count() == 2


def test_import_authorities_command(cataloguer, tmp_path, capsys):
    """``navette import-authorities FILE`` imports the file and says how many headings are
    linked; a missing file is a clear error."""
    from django.core.management import CommandError, call_command

    _import([unimarc_book(1, subject="Oiseaux")])
    iso, xml = _authority_files(tmp_path)
    call_command("import_authorities", str(iso), str(xml))
    out = capsys.readouterr().out
    assert "autorites.xml : notices lues 1, créées 1, remplacées 0" in out
    assert "vedettes reliées à une autorité : 1" in out
    with pytest.raises(CommandError, match="fichier introuvable"):
        call_command("import_authorities", str(tmp_path / "absent.mrc"))


def test_records_deleted_in_a_batch_and_restored_keep_the_counts(cataloguer):
    """Records deleted by a batch leave the headings' counts; the batch's undo counts them
    again."""
    from navette.catalogue import batches

    _import([unimarc_book(n) for n in range(3)])
    ids = list(Record.objects.order_by("pk").values_list("pk", flat=True))[:2]
    batch = batches.records_delete_apply(record_ids=ids, actor=cataloguer, now=NOW)
    assert Heading.objects.get(kind="subject", label=OLD).record_count == 1
    batches.records_delete_undo(batch=batch, actor=cataloguer, now=NOW)
    assert Heading.objects.get(kind="subject", label=OLD).record_count == 3
    assert headings_rebuild() == 2  # the counts agree with a rebuild (one author, one subject)
