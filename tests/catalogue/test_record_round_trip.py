"""Round trip: records edited in Navette export to ISO 2709 and MARCXML that yaz-marcdump
reads without error and that re-import unchanged."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest

from navette.catalogue import editing
from navette.catalogue.exporter import export_marc
from navette.catalogue.importer import import_marc_bytes
from navette.catalogue.marc.rules import template_record
from navette.catalogue.models import Record
from navette.core.actors import Actor
from navette.core.models import Role, User

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _edited_records():
    actor = Actor.staff(User.objects.create_user("cat", password="x", role=Role.LIBRARIAN))
    out = []
    for flavour, tag, title in (("unimarc", "200", "Les Misérables : œuvre"),
                                ("marc21", "245", "Ångström & Ørsted")):  # fmt: skip
        marc = template_record(flavour, "book", today="20260302")
        for f in marc["fields"]:
            if tag in f:
                f[tag]["subfields"][0]["a"] = title
        record = editing.record_create(marc=marc, flavour=flavour, actor=actor, now=NOW).record
        fields = [*record.marc["fields"],
                  {"500" if flavour == "marc21" else "300":
                   {"ind1": " ", "ind2": " ", "subfields": [{"a": "Note ajoutée — éditée"}]}}]  # fmt: skip
        record = editing.record_update(record=record, marc={**record.marc, "fields": fields},
                                       actor=actor, now=NOW + dt.timedelta(minutes=5)).record  # fmt: skip
        out.append(record)
    return out


@pytest.mark.parametrize(("fmt", "yaz_input"), [("iso2709", "marc"), ("marcxml", "marcxml")])
def test_edited_records_export_read_by_yaz_and_reimport_unchanged(fmt, yaz_input, tmp_path):
    """Both edited records (UNIMARC and MARC21, accented text) are exported; yaz-marcdump
    reads the file with no error and finds both titles; importing the file again finds
    both records unchanged, their MARC identical."""
    if shutil.which("yaz-marcdump") is None:
        pytest.fail("yaz-marcdump is missing: install Debian's package yaz")
    records = _edited_records()
    before = {r.pk: r.marc for r in records}
    out = io.BytesIO()
    count, problems = export_marc(out, fmt=fmt)
    assert (count, problems) == (2, [])
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(out.getvalue())
    dumped = subprocess.run(["yaz-marcdump", "-i", yaz_input, "-o", "line", str(path)],
                            capture_output=True, check=False)  # fmt: skip
    assert dumped.returncode == 0, dumped.stderr
    assert dumped.stderr == b""
    text = dumped.stdout.decode("utf-8")
    assert "Les Misérables : œuvre" in text and "Ångström & Ørsted" in text
    report = import_marc_bytes(out.getvalue(), now=NOW, name=path.name)
    assert (report.unchanged, report.created, report.updated, report.rejected) == (2, 0, 0, 0)
    assert {r.pk: r.marc for r in Record.objects.all()} == before


def _read_back(path, fmt):
    """The records of an export file as MARC-in-JSON, read by Navette's own readers."""
    from navette.catalogue.marc.iso2709 import parse_structure, split_records, to_json
    from navette.catalogue.marc.marcxml import element_to_json, iter_xml_records

    with open(path, "rb") as stream:
        if fmt == "marcxml":
            return [element_to_json(elem) for _n, _line, elem in iter_xml_records(stream)]
        return [to_json(*parse_structure(raw.data), lambda b, _tag: b.decode("utf-8"))
                for raw in split_records(stream)]  # fmt: skip


@pytest.mark.parametrize("fmt", ["iso2709", "marcxml"])
def test_cli_export_with_copies_reads_back_field_for_field(fmt, tmp_path, relire):
    """``navette export-marc`` writes the edited MARC21 and UNIMARC records with their
    copies (added through the copy service, with a location, a price and an acquisition
    date) in 952 / 995; yaz-marcdump reads the file without error; read back, every field
    and subfield is the one Navette holds; re-imported, both records are unchanged and
    their copies keep their barcode, library, shelf mark and acquisition date."""
    from django.core.management import call_command

    from navette.catalogue.exporter import record_marc_for_export
    from navette.catalogue.models import Item, Location
    from navette.catalogue.services import item_add

    if shutil.which("yaz-marcdump") is None:
        pytest.fail("yaz-marcdump is missing: install Debian's package yaz")
    records = _edited_records()
    lens = relire["lens"]
    corner = Location.objects.create(library=lens, code="jeunesse", name="Espace jeunesse")
    actor = Actor.system("test")
    for n, record in enumerate(records):
        item_add(record=record, barcode=f"RT{n}", owning_library=lens, location=corner,
                 call_number=f"R TST {n}", price="19.90", acquired_on=dt.date(2026, 2, 1 + n),
                 actor=actor, now=NOW)  # fmt: skip
    copies_before = sorted(Item.objects.values_list("barcode", "record_id", "owning_library_id",
                                                    "call_number", "acquired_on"))  # fmt: skip
    expected = [
        record_marc_for_export(r, Item.objects.filter(record=r).select_related(
            "owning_library", "current_library"))
        for r in Record.objects.order_by("pk")
    ]  # fmt: skip
    path = tmp_path / f"export.{fmt}"
    call_command("export_marc", format=fmt, output=str(path))
    dumped = subprocess.run(
        ["yaz-marcdump", "-i", "marcxml" if fmt == "marcxml" else "marc", "-o", "line", str(path)],
        capture_output=True, check=False,
    )  # fmt: skip
    assert dumped.returncode == 0 and dumped.stderr == b"", dumped.stderr
    read = _read_back(path, fmt)
    assert [m["fields"] for m in read] == [m["fields"] for m in expected]
    assert {"952", "995"} <= {next(iter(f)) for m in read for f in m["fields"]}
    report = import_marc_bytes(path.read_bytes(), now=NOW, name=path.name)
    assert (report.created, report.rejected) == (0, 0)
    assert report.unchanged + report.updated == 2
    # the importer keeps the file's holdings fields in the record; the copies are the rows:
    # exported again, every record is field for field what the first export wrote
    again = [
        record_marc_for_export(r, Item.objects.filter(record=r).select_related(
            "owning_library", "current_library"))
        for r in Record.objects.order_by("pk")
    ]  # fmt: skip
    assert [m["fields"] for m in again] == [m["fields"] for m in expected]
    assert sorted(Item.objects.values_list("barcode", "record_id", "owning_library_id",
                                           "call_number", "acquired_on")) == copies_before  # fmt: skip
