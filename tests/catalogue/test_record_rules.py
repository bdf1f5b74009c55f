"""The formats' rules shipped as data, and the pure checks of a record against them."""

from __future__ import annotations

import json

import pytest

from navette.catalogue.marc.extract import extract
from navette.catalogue.marc.iso2709 import parse_structure, write_record
from navette.catalogue.marc.rules import (
    DATA,
    TEMPLATE_DOC_TYPES,
    check_record,
    errors_of,
    fixed_value,
    format_rules,
    normalise_record,
    template_record,
)


def _field(tag, ind="  ", *subs):
    return {tag: {"ind1": ind[0], "ind2": ind[1], "subfields": [{c: v} for c, v in subs]}}


def _marc21(*fields):
    return {"leader": "00000nam a2200000 i 4500",
            "fields": [{"008": "250101s2025    fr            000 0 fre d"}, *fields]}  # fmt: skip


def codes(marc, flavour="marc21"):
    return [
        (p.code, p.field, p.subfield, p.position) for p in errors_of(check_record(marc, flavour))
    ]


@pytest.mark.parametrize("flavour", ["marc21", "unimarc"])
@pytest.mark.parametrize("doc_type", TEMPLATE_DOC_TYPES)
def test_every_template_filled_in_is_valid_and_has_its_document_type(flavour, doc_type):
    """Each template, its title filled in and its empty subfields dropped, breaks no rule,
    carries today's date entered, and is read back as its document type."""
    marc = template_record(flavour, doc_type, today="20260302")
    title_tag = format_rules(flavour).title_field
    for f in marc["fields"]:
        if title_tag in f:
            f[title_tag]["subfields"][0]["a"] = "Un titre"
    clean = normalise_record(marc, flavour)
    assert errors_of(check_record(clean, flavour)) == []
    assert fixed_value(clean, format_rules(flavour)).startswith(
        "260302" if flavour == "marc21" else "20260302"
    )
    expected = {"magazine": "magazine"}.get(doc_type, doc_type)
    assert extract(clean, flavour).doc_type == expected


def test_data_files_name_their_source_and_describe_every_position_once():
    """Both rule files cite the public documentation they were written from; leader and
    coded-field positions do not overlap and cover the whole length."""
    for flavour in ("marc21", "unimarc"):
        raw = json.loads((DATA / f"{flavour}_bibliographic.json").read_text())
        assert raw["source"].startswith(("MARC 21 Format", "UNIMARC Manual"))
        rules = format_rules(flavour)
        for positions, length in ((rules.leader, 24), (rules.fixed.positions, rules.fixed.length)):
            covered = [i for p in positions for i in range(p.start, p.end)]
            assert covered == list(range(length))


def test_errors_are_placed_at_their_field_subfield_or_position():
    """A wrong indicator, an unknown or repeated subfield, a repeated non-repeatable field,
    a missing required subfield, a bad leader code and a bad 008 code each give one error
    with its place and a stable code."""
    marc = _marc21(
        _field("245", "19", ("a", "Titre"), ("a", "Encore"), ("w", "?")),
        _field("245", "10", ("b", "sans titre")),
        _field("650", " 4", ("a", "Sujet")),
    )
    marc["leader"] = "00000nqm a2200000 i 4500"
    f008 = marc["fields"][0]["008"]
    marc["fields"][0]["008"] = f008[:22] + "Z" + f008[23:]
    assert codes(marc) == [
        ("leader_value", None, None, 6),
        ("fixed_value", 0, None, 22),
        ("subfield_not_repeatable", 1, 1, None),
        ("subfield_unknown", 1, 2, None),
        ("field_not_repeatable", 2, None, None),
        ("subfield_required", 2, None, None),
    ]
    assert [p.code for p in check_record(_marc21(_field("245", "22", ("a", "T"))), "marc21")
            if p.severity == "error"] == ["ind1_invalid"]  # fmt: skip


def test_unknown_and_local_tags():
    """An undescribed tag is a warning (the record may be saved); a local 9XX is not
    checked; a malformed tag or subfield code is an error."""
    marc = _marc21(_field("245", "10", ("a", "T")), _field("355", "  ", ("a", "x")),
                   _field("991", "  ", ("a", "local")), _field("24", "  ", ("a", "x")),
                   _field("500", "  ", ("A", "x")))  # fmt: skip
    problems = check_record(marc, "marc21")
    assert [(p.code, p.severity, p.field) for p in problems] == [
        ("tag_unknown", "warning", 2),
        ("tag_invalid", "error", 4),
        ("subfield_code_invalid", "error", 5),
    ]


def test_unimarc_title_and_coded_data_are_mandatory():
    """A UNIMARC record without 200 nor 100 is refused for both, and a 100$a of the
    wrong length says its length."""
    marc = {"leader": "00000nam0 2200000 i 450 ", "fields": [_field("101", "0 ", ("a", "fre"))]}
    assert [p.code for p in errors_of(check_record(marc, "unimarc"))] == [
        "field_missing", "field_missing"]  # fmt: skip
    marc["fields"] += [_field("100", "  ", ("a", "2026")), _field("200", "1 ", ("a", "T"))]
    (problem,) = errors_of(check_record(marc, "unimarc"))
    assert (problem.code, problem.params) == ("fixed_length", {"length": "4", "expected": "36"})


def test_normalised_record_is_its_own_iso2709_form():
    """Normalising drops empty subfields and fields, composes text (NFC), says UTF-8 in
    UNIMARC 100$a, and sets the leader as ISO 2709 writes it: written and read back, the
    leader is the same."""
    marc = template_record("unimarc", "book", today="20260302")
    marc["fields"].append(_field("200", "1 ", ("a", "Le Cafe\u0301")))
    clean = normalise_record(marc, "unimarc")
    assert _field("200", "1 ", ("a", "Le Café")) in clean["fields"]
    assert all(s.get(c, "x").strip() for f in clean["fields"] for v in f.values()
               if isinstance(v, dict) for s in v["subfields"] for c in s)  # fmt: skip
    assert fixed_value(clean, format_rules("unimarc"))[26:30] == "50  "
    leader, _fields = parse_structure(write_record(clean))
    assert leader == clean["leader"]
