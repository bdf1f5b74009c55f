"""MARC import: records and copies stored, counted, matched on re-import, rejects reported."""

from __future__ import annotations

import io

import pytest

from conftest import FIXTURES
from navette.catalogue import importer
from navette.catalogue.marc.iso2709 import split_records
from navette.catalogue.models import Item, Record, RecordIdentifier
from navette.core.models import RecordChange

pytestmark = pytest.mark.django_db

ALL = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".mrc", ".xml"))


def test_fixtures_import_with_every_record_counted(import_paths, relire):
    """Every fixture record is created or rejected with a reason; none is lost."""
    report = import_paths(ALL, default_library="lens")
    assert report.read == report.imported + report.rejected
    assert report.read == 333
    assert Record.objects.count() == report.created
    for reject in report.rejects:
        assert reject.reason and reject.number >= 1
    assert report.rejected <= 5


def test_display_fields_extracted_for_marc21(import_paths, relire):
    """LoC books give title, authors, year, languages, ISBN-13 and doc type 'book'."""
    import_paths([FIXTURES / "loc-books-150.mrc"])
    books = Record.objects.filter(flavour="marc21")
    assert books.count() == 150
    assert set(books.values_list("doc_type", flat=True)) <= {
        "book",
        "magazine",
        "large_print",
        "comic",
        "online",
        "map",
    }
    with_isbn = [r for r in books if r.isbns]
    assert with_isbn and all(len(i) == 13 and i.isdigit() for r in with_isbn for i in r.isbns)
    assert books.exclude(year=None).count() > 100
    assert all(r.title for r in books)


def test_doc_types_from_rda_records(import_paths, relire):
    """The Evergreen RDA set yields music CDs, DVDs, maps and scores."""
    import_paths([FIXTURES / "evergreen-rda.mrc"])
    types = set(Record.objects.values_list("doc_type", flat=True))
    assert {"music", "video", "map", "score"} <= types
    dvd = Record.objects.get(title__startswith="Pineapple express")
    assert dvd.doc_type == "video"


def test_marc8_french_accents_decoded(import_paths, relire):
    """MARC-8 records (Laval) are stored as Unicode: accented letters survive."""
    import_paths([FIXTURES / "evergreen-lul-fre-100.mrc"])
    titles = " ".join(Record.objects.values_list("title", flat=True))
    assert any(ch in titles for ch in "éèàçô")
    assert "\x1b" not in titles


def test_reimport_updates_instead_of_duplicating(import_paths, relire):
    """Importing the same files twice leaves the same records: all unchanged the second time."""
    first = import_paths(ALL, default_library="lens")
    counts = (Record.objects.count(), Item.objects.count(), RecordIdentifier.objects.count())
    second = import_paths(ALL, default_library="lens")
    assert second.created == 0
    assert second.unchanged == first.created
    assert (
        Record.objects.count(),
        Item.objects.count(),
        RecordIdentifier.objects.count(),
    ) == counts


def test_changed_record_is_updated_and_queued_for_indexing(import_bytes, relire, unimarc):
    """A new version of a record (same 001+003) updates it and enqueues it for the index."""
    import_bytes(unimarc("Phénix", ppn="P1", copies=[("lens", "L0001")]))
    record = Record.objects.get()
    RecordChange.objects.all().delete()
    report = import_bytes(unimarc("Phénix renaît", ppn="P1", copies=[("lens", "L0001")]))
    assert (report.created, report.updated) == (0, 1)
    record.refresh_from_db()
    assert record.title == "Phénix renaît"
    assert Item.objects.count() == 1
    assert RecordChange.objects.filter(record_id=record.pk).exists()


def test_match_on_isbn_when_no_control_number(import_bytes, relire, unimarc):
    """Without 001 in common, the ISBN (normalised) matches the existing record."""
    import_bytes(unimarc("Livre", ppn="A1", isbn="2-07-036822-X"))
    other = unimarc("Livre (nouvelle notice)", ppn="", isbn="9782070368228")
    report = import_bytes(other)
    assert report.rejected == 0
    assert Record.objects.count() == 1
    assert report.updated == 1


def test_unknown_library_code_rejected_unless_default(import_bytes, relire, unimarc):
    """A copy whose library code is unknown rejects the record, or goes to --library."""
    data = unimarc("Phénix", ppn="P2", copies=[("ZZZ", "X1")])
    report = import_bytes(data)
    assert report.rejected == 1
    assert "bibliothèque ZZZ inconnue" in report.rejects[0].reason
    report = import_bytes(data, default_library="harnes")
    assert report.created == 1
    assert Item.objects.get(barcode="X1").owning_library.code == "harnes"


def test_duplicate_barcode_rejects_the_second_record(import_bytes, relire, unimarc):
    """A barcode already used by another record rejects the newcomer, with the reason."""
    import_bytes(unimarc("Premier", ppn="B1", copies=[("lens", "DUP1")]))
    report = import_bytes(unimarc("Second", ppn="B2", copies=[("lens", "DUP1")]))
    assert report.rejected == 1
    assert "code-barres DUP1 déjà utilisé" in report.rejects[0].reason
    assert Record.objects.count() == 1


def test_broken_file_gives_rejects_with_positions_and_a_reimportable_rejects_file(
    import_bytes, relire, tmp_path
):
    """Corrupt records are rejected with number and byte offset; the good ones around them load.

    The rejects file holds the raw records: once corrected, it imports.
    """
    good = [
        r.data for r in split_records(io.BytesIO((FIXTURES / "loc-books-150.mrc").read_bytes()))
    ][:6]
    bad_length = b"00001" + good[1][5:]
    cut = good[3].index(b"\x1f", 30) + 2
    bad_utf8 = good[3][:cut] + b"\xff" + good[3][cut + 1 :]
    data = good[0] + bad_length + good[2] + bad_utf8 + good[4] + good[5][:300]
    rejects = tmp_path / "rej.mrc"
    report = import_bytes(data, rejects_path=rejects)
    assert report.created == 3
    assert [(r.number, r.offset) for r in report.rejects] == [
        (2, len(good[0])),
        (4, len(good[0]) + len(bad_length) + len(good[2])),
        (6, len(good[0]) + len(bad_length) + len(good[2]) + len(bad_utf8) + len(good[4])),
    ]
    reasons = [r.reason for r in report.rejects]
    assert "longueur déclarée" in reasons[0]
    assert "UTF-8 invalide" in reasons[1]
    assert "0x1D" in reasons[2]
    assert "octet" in rejects.with_suffix(".tsv").read_text()
    saved = [r.data for r in split_records(io.BytesIO(rejects.read_bytes()))]
    assert saved[0] == bad_length
    fixed = good[1] + saved[1][:cut] + good[3][cut : cut + 1] + saved[1][cut + 1 :]
    again = import_bytes(fixed)
    assert (again.created, again.rejected) == (2, 0)


def test_malformed_xml_is_a_reject_not_a_crash(import_bytes, relire):
    """A MARCXML file that is not well-formed gives one reject with the line."""
    xml = (FIXTURES / "evergreen-bibs-rda.marcxml.xml").read_bytes()
    cut = xml[: len(xml) // 2] + b"<oops"
    report = import_bytes(cut, name="cut.xml")
    assert report.rejected == 1
    assert "XML mal formé" in report.rejects[0].reason
    assert report.created >= 1


def test_interrupted_import_rerun_finishes_without_duplicates(import_paths, relire, monkeypatch):
    """Ctrl-C during the second batch keeps the first batch; running again completes the job."""
    original = importer._Store.store
    calls = []

    def store_then_interrupt(self, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, batch)

    monkeypatch.setattr(importer._Store, "store", store_then_interrupt)
    report = import_paths([FIXTURES / "loc-books-150.mrc"], batch_size=50)
    assert report.interrupted
    assert Record.objects.count() == 50
    monkeypatch.setattr(importer._Store, "store", original)
    report = import_paths([FIXTURES / "loc-books-150.mrc"], batch_size=50)
    assert not report.interrupted
    assert (report.created, report.unchanged) == (100, 50)
    assert Record.objects.count() == 150
