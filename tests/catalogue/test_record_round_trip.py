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
