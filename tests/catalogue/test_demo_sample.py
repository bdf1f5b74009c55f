"""The demo's Library of Congress sample: French-language records first, copied as they are."""

from __future__ import annotations

import gzip

import pymarc

from navette.catalogue.demo import french_first


def _record(title: str, language: str) -> bytes:
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="008", data=f"{'':35}{language}  "))
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("0", "0"),
            subfields=[pymarc.Subfield("a", title)],
        )
    )
    return record.as_marc()


def test_french_records_come_first_then_the_others_in_file_order(tmp_path):
    """Of eng, fre, ger, fre, eng, fre with a limit of 4, the sample holds the three French
    records then the first English one, byte for byte, and is written once."""
    records = [_record(f"Titre {n} é", lang) for n, lang in
               enumerate(["eng", "fre", "ger", "fre", "eng", "fre"])]  # fmt: skip
    source = tmp_path / "loc.mrc.gz"
    with gzip.open(source, "wb") as stream:
        stream.write(b"".join(records))
    sample = french_first(source, 4, tmp_path / "cache")
    assert sample.read_bytes() == records[1] + records[3] + records[5] + records[0]
    titles = [r["245"]["a"] for r in pymarc.MARCReader(sample.read_bytes(), to_unicode=True)]
    assert titles == ["Titre 1 é", "Titre 3 é", "Titre 5 é", "Titre 0 é"]
    source.unlink()  # the cached sample is reused: the source is not read again
    assert french_first(source, 4, tmp_path / "cache") == sample
