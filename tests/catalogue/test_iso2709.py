"""ISO 2709 splitting and parsing without a database, and standard-number normalisation."""

from __future__ import annotations

import io

import pytest

from conftest import FIXTURES
from navette.catalogue.marc import MarcError
from navette.catalogue.marc.charset import decode_utf8
from navette.catalogue.marc.identifiers import normalise_isbn, normalise_issn
from navette.catalogue.marc.iso2709 import parse_structure, split_records, to_json, write_record

GOOD = (FIXTURES / "loc-books-150.mrc").read_bytes()


def records(data: bytes) -> list[bytes]:
    return [r.data for r in split_records(io.BytesIO(data))]


def test_splitter_cuts_at_each_terminator_with_offsets():
    """150 records come out, each starting at the offset the splitter reports."""
    raws = list(split_records(io.BytesIO(GOOD)))
    assert len(raws) == 150
    for raw in raws:
        assert GOOD[raw.offset : raw.offset + len(raw.data)] == raw.data
        assert raw.data.endswith(b"\x1d")


def test_a_wrong_length_loses_only_that_record():
    """A record whose leader length is wrong is rejected alone; the next ones are read."""
    recs = records(GOOD)[:5]
    broken = b"99999" + recs[1][5:]
    data = recs[0] + broken + b"".join(recs[2:])
    parsed, errors = 0, []
    for raw in split_records(io.BytesIO(data)):
        try:
            parse_structure(raw.data)
            parsed += 1
        except MarcError as exc:
            errors.append((raw.number, raw.offset, str(exc)))
    assert parsed == 4
    assert errors == [(2, len(recs[0]), "longueur déclarée 99999 différente de la longueur réelle "
                       f"{len(recs[1])}")]  # fmt: skip


@pytest.mark.parametrize(
    ("corrupt", "reason"),
    [
        (lambda r: r[:12] + b"xx" + r[14:], "adresse de base invalide"),
        (lambda r: r[:27] + b"99" + r[29:], "répertoire invalide"),
        (lambda r: r[:-1], "fin de notice"),
        (lambda r: r[:5], "trop courte"),
    ],
)
def test_broken_structures_are_refused_with_a_reason(corrupt, reason):
    """Broken base address, directory, missing terminator and short records give MarcError."""
    rec = records(GOOD)[0]
    with pytest.raises(MarcError, match=reason):
        parse_structure(corrupt(rec))


def test_write_then_parse_gives_the_same_fields():
    """write_record is the inverse of parsing for UTF-8 records."""
    for rec in records(GOOD)[:20]:
        leader, fields = parse_structure(rec)
        marc = to_json(leader, fields, decode_utf8)
        again = write_record(marc)
        leader2, fields2 = parse_structure(again)
        assert to_json(leader2, fields2, decode_utf8)["fields"] == marc["fields"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2-07-036822-X (broché)", "9782070368228"),
        ("0306406152", "9780306406157"),
        ("978-0-306-40615-7", "9780306406157"),
        ("9780306406157 (pbk.)", "9780306406157"),
        ("pbk.", ""),
        ("12345", ""),
    ],
)
def test_isbn_normalised_to_isbn13(raw, expected):
    """ISBN-10 become ISBN-13 with a new check digit; hyphens and qualifiers go."""
    assert normalise_isbn(raw) == expected


def test_issn_normalised():
    assert normalise_issn("0317-8471") == "0317-8471"
    assert normalise_issn("03178471 (print)") == "0317-8471"


@pytest.mark.parametrize("name", ["loc-books-150.mrc", "evergreen-lul-fre-100.mrc"])
def test_one_pass_fields_give_the_same_extraction_as_the_stored_json(name):
    """The fields grouped while parsing (UTF-8 and MARC-8 records) and those regrouped from
    the stored MARC-in-JSON give the same MARC-in-JSON and the same extracted fields."""
    from navette.catalogue.marc.charset import marc21_decoder
    from navette.catalogue.marc.extract import extract
    from navette.catalogue.marc.iso2709 import to_json_and_fields

    for rec in records((FIXTURES / name).read_bytes()):
        leader, fields = parse_structure(rec)
        decode, _charset = marc21_decoder(leader, fields)
        marc, by_tag = to_json_and_fields(leader, fields, decode)
        assert marc == to_json(leader, fields, decode)
        assert extract(marc, "marc21", by_tag) == extract(marc, "marc21")
