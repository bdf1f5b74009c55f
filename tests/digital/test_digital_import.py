"""`navette import-titles`: vendor titles become online catalogue records."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from navette.catalogue.models import DocType, Record
from navette.core.models import RecordChange
from navette.digital.messages import action_label
from navette.digital.models import ResourceKind, VendorTitle
from navette.digital.selectors import online_access_for_records

from . import factories as f

pytestmark = pytest.mark.django_db

CSV = """reference;titre;annee;duree;realisateurs;resume
F1;Les Oiseaux migrateurs;2024;98;Jacques Perrin|Jacques Cluzaud;Un voyage.
F2;Un film ancien;1960;;Agnès Varda;
F3;;2001;;;
F4;Année fausse;deux mille;;;
F1;Doublon;2020;;;
"""


def test_csv_import_creates_online_records_and_reports_rejections(tmp_path):
    f.vod()
    path = tmp_path / "films.csv"
    path.write_text(CSV, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_titles", str(path), resource="cinema", stdout=out, stderr=err)
    assert "2 titres créés, 0 mis à jour, 3 rejetés" in out.getvalue()
    assert f"{path}:4: rejeté : titre vide" in err.getvalue()
    assert "deux mille" in err.getvalue() and "en double" in err.getvalue()

    title = VendorTitle.objects.get(vendor_ref="F1")
    record = title.record
    assert record.doc_type == DocType.ONLINE
    assert (record.title, record.year) == ("Les Oiseaux migrateurs", 2024)
    assert record.authors[0] == {"name": "Jacques Perrin", "role": "réalisateur"}
    assert (title.release_year, title.duration_minutes) == (2024, 98)
    tags = [next(iter(field)) for field in record.marc["fields"]]
    assert tags[:3] == ["001", "003", "007"] and "856" in tags
    assert set(RecordChange.objects.values_list("record_id", flat=True)) == {
        t.record_id for t in VendorTitle.objects.all()
    }
    access = online_access_for_records([record.pk])[record.pk]
    assert access.kind == ResourceKind.VOD and action_label(access.kind) == "Regarder"
    assert access.url == f"/mediatheque-en-ligne/titre/{title.pk}/"


def test_reimport_updates_in_place(tmp_path):
    f.vod()
    path = tmp_path / "films.csv"
    path.write_text("ref,title,year\nF1,Premier titre,2020\n", encoding="utf-8")
    call_command("import_titles", str(path), resource="cinema", stdout=io.StringIO())
    path.write_text("ref,title,year\nF1,Titre corrigé,2021\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_titles", str(path), resource="cinema", stdout=out)
    assert "0 titres créés, 1 mis à jour" in out.getvalue()
    assert Record.objects.get().title == "Titre corrigé"
    assert VendorTitle.objects.get().release_year == 2021


def test_unknown_resource_is_a_clear_error(tmp_path):
    f.vod()
    path = tmp_path / "x.csv"
    path.write_text("ref,title\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Ressource « inconnue » inconnue .*cinema"):
        call_command("import_titles", str(path), resource="inconnue")


def test_marc_import_keeps_vendor_record_and_adds_link(tmp_path):
    """A vendor's MARC21 file is read with the catalogue's reader: the vendor's fields are
    kept, an 856 link to the title is added, the record is of type online."""
    import pymarc

    f.vod()
    records = []
    for ref, title, year in (("M1", "Film MARC", "2022"), ("M2", "Autre film", "1999")):
        rec = pymarc.Record(force_utf8=True)
        rec.add_field(pymarc.Field(tag="001", data=ref))
        rec.add_field(
            pymarc.Field(
                tag="100",
                indicators=pymarc.Indicators("1", " "),
                subfields=[pymarc.Subfield("a", "Varda, Agnès")],
            )
        )
        rec.add_field(
            pymarc.Field(
                tag="245",
                indicators=pymarc.Indicators("1", "0"),
                subfields=[pymarc.Subfield("a", title)],
            )
        )
        rec.add_field(
            pymarc.Field(
                tag="264",
                indicators=pymarc.Indicators(" ", "1"),
                subfields=[pymarc.Subfield("b", "Ciné"), pymarc.Subfield("c", year)],
            )
        )
        rec.add_field(
            pymarc.Field(
                tag="500",
                indicators=pymarc.Indicators(" ", " "),
                subfields=[pymarc.Subfield("a", "Note du fournisseur")],
            )
        )
        records.append(rec.as_marc())
    path = tmp_path / "films.mrc"
    path.write_bytes(b"".join(records))
    out = io.StringIO()
    call_command("import_titles", str(path), resource="cinema", stdout=out, stderr=io.StringIO())
    assert "2 titres créés" in out.getvalue()
    title = VendorTitle.objects.get(vendor_ref="M1")
    assert (title.title, title.release_year) == ("Film MARC", 2022)
    record = title.record
    assert record.doc_type == DocType.ONLINE
    tags = [next(iter(field)) for field in record.marc["fields"]]
    assert "500" in tags and tags[-1] == "856"
