"""MARC export: lossless round trip on the golden set, copies in the holdings field, yaz accepts it."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from conftest import FIXTURES
from navette.catalogue.exporter import export_marc
from navette.catalogue.marc.holdings import HOLDINGS_TAG
from navette.catalogue.models import Item, Record, RecordIdentifier

pytestmark = pytest.mark.django_db

GOLDEN = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".mrc", ".xml"))
YAZ = shutil.which("yaz-marcdump") or "/usr/bin/yaz-marcdump"


def _snapshot():
    """Per record key: (flavour, leader/05-08, fields without holdings) and copies."""
    out = {}
    for r in Record.objects.order_by("pk"):
        tag = HOLDINGS_TAG[r.flavour]
        fields = [f for f in r.marc["fields"] if next(iter(f)) != tag]
        copies = sorted(
            (i.barcode, i.owning_library.code, i.call_number, i.status)
            for i in r.items.select_related("owning_library")
        )
        key = (r.control_source, r.control_number, r.title)
        out[key] = (r.flavour, r.marc["leader"][5:9].replace("a", " ", 1), fields, copies)
    return out


def _wipe():
    Item.objects.all().delete()
    RecordIdentifier.objects.all().delete()
    Record.objects.all().delete()


@pytest.mark.parametrize("fmt", ["iso2709", "marcxml"])
def test_golden_round_trip_is_lossless(import_paths, import_bytes, relire, unimarc, fmt):
    """Import, export, wipe, import the export: every field and every copy is the same."""
    import_paths(GOLDEN, default_library="lens")
    import_bytes(unimarc("Phénix", ppn="PH1", copies=[("lens", "B1"), ("harnes", "B2")]))
    before = _snapshot()
    out = io.BytesIO()
    count, problems = export_marc(out, fmt=fmt)
    assert problems == []
    assert count == len(before)
    _wipe()
    name = "export.xml" if fmt == "marcxml" else "export.mrc"
    report = import_bytes(out.getvalue(), name=name)
    assert report.rejected == 0, report.rejects[:3]
    after = _snapshot()
    assert after.keys() == before.keys()
    for key, (flavour, _leader, fields, copies) in before.items():
        flavour2, _l2, fields2, copies2 = after[key]
        assert flavour2 == flavour
        assert copies2 == copies, key
        for f1, f2 in zip(fields, fields2, strict=True):
            assert f1 == f2, key


def test_phenix_utf8_unimarc_stored_and_exported_as_phenix(import_bytes, relire, unimarc):
    """UTF-8 UNIMARC 'Phénix' is stored as 'Phénix' and comes out as 'Phénix' in UTF-8."""
    report = import_bytes(unimarc("Phénix", ppn="PH2", copies=[("lens", "PX1")]))
    assert report.created == 1
    record = Record.objects.get()
    assert record.flavour == "unimarc"
    assert record.title == "Phénix"
    assert record.authors == [{"name": "Autrice, Anne", "role": "auteur"}]
    out = io.BytesIO()
    export_marc(out, fmt="iso2709")
    data = out.getvalue()
    assert "Phénix".encode() in data
    assert b"\x1fbLens" not in data and b"\x1fblens" in data  # 995$b owning library code
    xml = io.BytesIO()
    export_marc(xml, fmt="marcxml")
    assert "Phénix" in xml.getvalue().decode("utf-8")


def test_copies_go_to_the_flavour_holdings_field(import_bytes, relire, unimarc):
    """MARC21 copies are written as 952 ($a library, $p barcode); UNIMARC as 995 ($b, $f)."""
    import_bytes(unimarc("Oiseaux", ppn="O1", copies=[("avion-emile-zola", "AV1")]))
    out = io.BytesIO()
    export_marc(out, fmt="marcxml")
    text = out.getvalue().decode()
    assert '<datafield tag="995"' in text
    assert '<subfield code="f">AV1</subfield>' in text
    assert '<subfield code="b">avion-emile-zola</subfield>' in text


@pytest.mark.parametrize(("fmt", "yaz_in"), [("iso2709", "marc"), ("marcxml", "marcxml")])
def test_yaz_marcdump_reads_exports_without_complaint(import_paths, relire, tmp_path, fmt, yaz_in):
    """yaz-marcdump converts every exported record, exits 0 and prints no warning."""
    import_paths(GOLDEN, default_library="lens")
    path = tmp_path / f"export.{fmt}"
    with open(path, "wb") as fh:
        count, _ = export_marc(fh, fmt=fmt)
    out = subprocess.run(
        [YAZ, "-i", yaz_in, "-o", "marc", str(path)], capture_output=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == b""
    assert out.stdout.count(b"\x1d") == count
