"""Duplicate candidates: keys normalised (python-stdnum for ISBN/EAN/ISSN), pairs found by
the database for each kind of key, "not a duplicate" remembered, and the MARC import
matching a merged record's identifiers to the record it was merged into."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import NOW as NOW_
from conftest import sub
from navette.catalogue.duplicates import duplicate_keys, duplicates_scan, keys_refresh, title_key
from navette.catalogue.marc.extract import Extracted
from navette.catalogue.marc.iso2709 import write_record
from navette.catalogue.merging import record_merge, records_not_duplicate
from navette.catalogue.models import Item, Record
from navette.catalogue.selectors import duplicate_pairs
from navette.core.actors import Actor

ACTOR = Actor.system("tests")


def scanned_pairs():  # type: ignore[no-untyped-def]
    """The review list's first page after the scheduled scan ran (it skips when no key was
    written since the last scan)."""
    duplicates_scan(actor=ACTOR, now=NOW_)
    return duplicate_pairs()


@pytest.mark.parametrize(
    ("extracted", "expected"),
    [
        (Extracted(isbns=["9782070368228"]), ("isbn", "9782070368228")),
        (Extracted(eans=["9782070368228"]), ("isbn", "9782070368228")),  # a book's EAN
        (Extracted(eans=["724384960650"]), ("ean", "0724384960650")),  # a CD's UPC-A
        (Extracted(issns=["0395-2037"]), ("issn", "0395-2037")),
        (Extracted(lccns=["85000002"]), ("lccn", "85000002")),
        (Extracted(bnf_numbers=["12345678"]), ("bnf", "12345678")),
        (Extracted(control_number="42", control_source="FRBNF"), ("001+003", "FRBNF|42")),
    ],
)
def test_identifier_keys(extracted, expected):
    """Each identifier becomes a key of its kind; an EAN beginning 978 is the book's ISBN."""
    assert expected in duplicate_keys(extracted)


def test_title_key_folds_accents_case_punctuation_and_articles():
    """ "L'Étranger" by "Camus, Albert, 1913-1960" and "Étranger (L')" by "CAMUS, A." share
    the key; another year or another document type does not."""
    one = title_key(title="L'Étranger", authors=[{"name": "Camus, Albert, 1913-1960"}],
                    year=1942, doc_type="book")  # fmt: skip
    two = title_key(title="l’ étranger !", authors=[{"name": "CAMUS, A."}], year=1942,
                    doc_type="book")  # fmt: skip
    assert one == two == "book|etranger|camus|1942"
    assert title_key(title="L'Étranger", authors=[], year=1957, doc_type="book") != one
    assert one != title_key(title="L'Étranger", authors=[{"name": "Camus"}], year=1942,
                            doc_type="audiobook")  # fmt: skip


def _marc21(cn: str, title: str, *fields: dict[str, Any], source: str = "TEST") -> dict[str, Any]:
    return {
        "leader": "00000nam a2200000 a 4500",
        "fields": [{"001": cn}, {"003": source}, {"008": "850101s1985    fr            000 0 fre d"},
                   *fields, sub("245", "10", _a=title)],
    }  # fmt: skip


def _record(marc: dict[str, Any], title: str) -> Record:
    return Record.objects.create(flavour="marc21", marc=marc, title=title)


@pytest.mark.parametrize(
    ("kind", "first", "second"),
    [
        ("isbn", [sub("020", _a="2-07-036822-X (broché)")], [sub("020", _a="978-2-07-036822-8")]),
        ("ean", [sub("024", "3 ", _a="0724384960650")], [sub("024", "3 ", _a="724384960650")]),
        ("issn", [sub("022", _a="0395-2037")], [sub("022", _a="03952037")]),
        ("035", [sub("035", _a="(OCoLC)123456")], [sub("035", _a="(OCoLC)123456")]),
        ("lccn", [sub("010", _a="   85-2 ")], [sub("010", _a="85000002")]),
        ("bnf", [sub("016", "7 ", _a="12345678", _2="FrBN")], [sub("035", _a="FRBNF123456789")]),
    ],
)
def test_candidates_by_each_identifier(db, kind, first, second):
    """Two records sharing an identifier, written differently, are one candidate pair with
    that kind; a third record sharing nothing is in no pair."""
    a = _record(_marc21("A1", "Un titre", *first), "Un titre")
    b = _record(_marc21("B1", "Un autre titre", *second), "Un autre titre")
    c = _record(_marc21("C1", "Rien à voir"), "Rien à voir")
    keys_refresh([a.pk, b.pk, c.pk])
    pairs, total = scanned_pairs()
    assert total == 1
    assert (pairs[0].first_id, pairs[0].second_id) == (a.pk, b.pk)
    assert kind in pairs[0].kinds


def test_candidates_by_control_number_and_by_title_key(db):
    """The same 001+003 in two records is a pair; so are two records with the same title,
    author and year but no common identifier, ranked after pairs sharing more."""
    a = _record(_marc21("42", "Le même", source="SRC"), "Le même")
    b = _record(_marc21("42", "Le même", source="SRC"), "Le même")
    x = _record(_marc21("X", "La Peste", sub("100", _a="Camus, Albert")), "La Peste")
    y = _record(_marc21("Y", "Peste (La)", sub("100", _a="CAMUS, ALBERT")), "Peste (La)")
    keys_refresh([a.pk, b.pk, x.pk, y.pk])
    pairs, total = scanned_pairs()
    assert total == 2
    assert (pairs[0].first_id, pairs[0].second_id, pairs[0].kinds) == (
        a.pk, b.pk, ("001+003", "title"))  # fmt: skip
    assert (pairs[1].first_id, pairs[1].second_id, pairs[1].kinds) == (x.pk, y.pk, ("title",))


def test_not_a_duplicate_is_remembered(db):
    """A pair said distinct is not proposed again, whichever order it is given in."""
    a = _record(_marc21("A", "Titre", sub("020", _a="9782070368228")), "Titre")
    b = _record(_marc21("B", "Titre", sub("020", _a="9782070368228")), "Titre")
    keys_refresh([a.pk, b.pk])
    assert scanned_pairs()[1] == 1
    records_not_duplicate(first=b, second=a, actor=ACTOR, now=NOW_)
    assert scanned_pairs() == ([], 0)


def _file(*records: dict[str, Any]) -> bytes:
    return b"".join(write_record(r) for r in records)


def test_import_writes_keys_and_a_reimport_matches_the_kept_record(db, relire, import_bytes):
    """Two files catalogue one book twice (different 001): the import writes their keys and
    they are a candidate pair. After the merge, importing the duplicate's file again (with a
    new copy) creates no record: it is recognised as merged, its copies join the kept
    record, whose description stays the one kept."""
    kept = _marc21("K1", "Le Horla", sub("100", _a="Maupassant, Guy de"),
                   sub("952", _a="LENS", _b="LENS", _p="K-0001"))  # fmt: skip
    dup = _marc21("D9", "Le Horla", sub("100", _a="MAUPASSANT, Guy de"),
                  sub("952", _a="LENS", _b="LENS", _p="D-0001"), source="AUTRE")  # fmt: skip
    assert import_bytes(_file(kept)).created == 1
    assert import_bytes(_file(dup)).created == 1
    pairs, _ = scanned_pairs()
    first, second = (
        Record.objects.get(pk=pairs[0].first_id),
        Record.objects.get(pk=pairs[0].second_id),
    )
    assert (first.control_number, second.control_number) == ("K1", "D9")
    record_merge(kept=first, merged=second, actor=ACTOR, now=NOW_)

    dup["fields"].insert(-1, sub("952", _a="LENS", _b="LENS", _p="D-0002"))
    dup["fields"][-1] = sub("245", "10", _a="Le Horla (version du doublon)")
    report = import_bytes(_file(dup))
    assert (report.created, report.merged, report.rejected) == (0, 1, 0)
    assert list(Record.objects.values_list("pk", "title")) == [(first.pk, "Le Horla")]
    assert set(Item.objects.values_list("barcode", "record_id")) == {
        ("K-0001", first.pk), ("D-0001", first.pk), ("D-0002", first.pk)}  # fmt: skip
    assert scanned_pairs() == ([], 0)


def test_scan_skips_when_no_key_was_written_and_lists_new_pairs_at_the_next(db):
    """The review list is what the last scan found: a duplicate catalogued since shows at the
    next scan; a scan with no key written since is skipped, unless forced; a merged record
    takes its pairs away at once."""
    a = _record(_marc21("A", "Titre", sub("020", _a="9782070368228")), "Titre")
    b = _record(_marc21("B", "Titre", sub("020", _a="9782070368228")), "Titre")
    keys_refresh([a.pk, b.pk])
    first = duplicates_scan(actor=ACTOR, now=NOW_)
    assert first is not None and first.pairs == 1
    assert duplicates_scan(actor=ACTOR, now=NOW_) is None
    c = _record(_marc21("C", "Titre", sub("020", _a="9782070368228")), "Titre")
    keys_refresh([c.pk])
    assert duplicate_pairs()[1] == 1  # not scanned yet
    assert scanned_pairs()[1] == 3  # a-b, a-c, b-c
    again = duplicates_scan(actor=ACTOR, now=NOW_, force=True)
    assert again is not None and again.pairs == 3
    record_merge(kept=a, merged=c, actor=ACTOR, now=NOW_)
    pairs, total = duplicate_pairs()
    assert total == 1 and (pairs[0].first_id, pairs[0].second_id) == (a.pk, b.pk)


def test_a_librarian_may_not_rescan_and_is_audited(db, relire):
    """Only cataloguers and network administrators recompute the list; a librarian's attempt
    is refused and audited, a cataloguer's is audited with the pairs found."""
    from navette.core.models import AuditEvent, Role, User
    from navette.network.scope import CatalogueRoleRequired

    librarian = User.objects.create_user("bib", password="x", role=Role.LIBRARIAN)
    cataloguer = User.objects.create_user("cat", password="x", role=Role.CATALOGUER)
    with pytest.raises(CatalogueRoleRequired):
        duplicates_scan(actor=Actor.staff(librarian), now=NOW_, force=True)
    assert AuditEvent.objects.filter(actor_id=librarian.pk, action="scope.refused").exists()
    scan = duplicates_scan(actor=Actor.staff(cataloguer), now=NOW_, force=True)
    assert scan is not None
    assert AuditEvent.objects.filter(actor_id=cataloguer.pk,
                                     action="record.duplicates_scan").exists()  # fmt: skip
