"""Every row refused with its file, line and reason; the conflicts of a network's sources;
the Koha preset and a generic mapping. In process, on small files written by each test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password

from navette.catalogue.models import Item, ItemStatus
from navette.circulation.models import Fine, Hold, HoldStatus, Loan
from navette.core import clock
from navette.golive.engine import ExportError, NetworkImport
from navette.golive.mapping import MappingError, load_mapping, mapping_from_dict
from navette.golive.models import ImportIssue, ImportRun, MergeDecision
from navette.patrons.models import Patron, PatronCard
from navette.stats.models import CirculationFact
from tests.catalogue.factories import make_item, make_record
from tests.network.factories import make_library
from tests.patrons.factories import make_category

NOW = dt.datetime(2026, 12, 6, 10, tzinfo=clock.PARIS)


@pytest.fixture
def net(db):
    lens, lievin = make_library(code="lens"), make_library(code="lievin")
    make_category(code="adulte")
    record = make_record(title="Germinal")
    items = [make_item(library=lens, record=record, barcode=f"B{n}") for n in range(1, 5)]
    make_item(library=lievin, record=record, barcode="L1")
    return {"lens": lens, "lievin": lievin, "record": record, "items": items}


def files(directory: Path, **texts: str) -> Path:
    for name, text in texts.items():
        (directory / f"{name.replace('__', '.')}.csv").write_text(text, encoding="utf-8")
    return directory


def run(directory: Path, mapping: dict | None = None, *, apply: bool = True):
    return NetworkImport(directory, mapping_from_dict(mapping or {}), apply=apply, now=NOW,
                         batch_size=2).run()  # fmt: skip


def issues(report) -> set[tuple[str, str, int, str]]:
    return {(i.kind, i.file, i.line, i.code) for i in report.issues}


PATRONS = "card,last_name,first_name,birth_date,category,library,email,history_opt_in\n"


def test_each_reason_is_reported_with_file_and_line(net, tmp_path):
    """Each bad row is refused with its file, line and reason; the good rows come in; the
    refused rows write nothing."""
    d = files(
        tmp_path,
        patrons=PATRONS
        + "P1,Zola,Émile,1840-04-02,adulte,lens,,oui\n"  # 2 fine
        + ",Sans,Carte,,adulte,lens,,\n"  # 3
        + "P3,Hugo,Victor,1802-02-30,adulte,lens,,\n"  # 4
        + "P4,Sand,George,,inconnue,lens,,\n"  # 5
        + "P5,Verne,Jules,,adulte,nulle-part,,\n"  # 6
        + "P6,Dumas,Alexandre,,adulte,lens,pas-un-courriel,\n"  # 7
        + "P7,Colette,Sidonie,,adulte,lens,,peut-être\n"  # 8
        + "P1,Zola,Émile,1840-04-02,adulte,lens,,oui\n",  # 9 the same row again
        loans="card,barcode,loaned_on,due_on,renewals\n"
        + "P1,B1,2026-11-20,2026-12-18,0\n"  # 2 fine
        + "P1,NOPE,2026-11-20,2026-12-18,0\n"  # 3 no such copy
        + "NOBODY,B2,2026-11-20,2026-12-18,0\n"  # 4 no such patron
        + "P1,B3,2026-11-20,2026-11-01,0\n"  # 5 due before loan
        + "P1,B4,2026-11-20,2026-12-18,deux\n",  # 6
        holds="hold_id,card,record,barcode,pickup_library,placed_at,queue,status\n"
        + f"H1,P1,{net['record'].pk},,lens,2026-11-01T10:00:00,1,waiting\n"  # 2 fine
        + f"H2,GHOST,{net['record'].pk},,lens,2026-11-01,2,waiting\n"  # 3 missing patron
        + "H3,P1,999999,,lens,2026-11-01,3,waiting\n"  # 4 missing record
        + f"H4,P1,{net['record'].pk},,lens,2026-11-01,4,perhaps\n"  # 5 status
        + f"H5,P1,{net['record'].pk},,lens,2026-11-02,5,waiting\n",  # 6 second hold
        fines='fine_id,card,barcode,amount,created_on\nF1,P1,B2,"2,50",2026-10-01\n'
        + "F2,P1,B2,-1,2026-10-01\nF3,P1,B2,abc,2026-10-01\n",
        history="day,library,action,doc_type\n2025-01-02,lens,checkout,book\n"
        + "2025-01-02,lens,dance,book\nhier,lens,checkout,book\n",
    )
    report = run(d)
    assert issues(report) == {
        ("reject", "patrons.csv", 3, "missing_value"),
        ("reject", "patrons.csv", 4, "bad_date"),
        ("reject", "patrons.csv", 5, "unknown_category"),
        ("reject", "patrons.csv", 6, "unknown_library"),
        ("reject", "patrons.csv", 7, "bad_email"),
        ("reject", "patrons.csv", 8, "bad_boolean"),
        ("reject", "patrons.csv", 9, "duplicate_row"),
        ("conflict", "loans.csv", 3, "copy_missing"),
        ("conflict", "loans.csv", 4, "patron_missing"),
        ("reject", "loans.csv", 5, "due_before_loan"),
        ("reject", "loans.csv", 6, "bad_number"),
        ("conflict", "holds.csv", 3, "patron_missing"),
        ("conflict", "holds.csv", 4, "record_missing"),
        ("reject", "holds.csv", 5, "unknown_status"),
        ("conflict", "holds.csv", 6, "hold_duplicate"),
        ("reject", "fines.csv", 3, "bad_amount"),
        ("reject", "fines.csv", 4, "bad_amount"),
        ("reject", "history.csv", 3, "unknown_action"),
        ("reject", "history.csv", 4, "bad_date"),
    }
    patron = Patron.objects.get()
    assert (patron.card_number, patron.history_opt_in) == ("P1", True)
    assert Loan.objects.open().get().item.barcode == "B1"
    assert Item.objects.get(barcode="B1").status == ItemStatus.ON_LOAN
    assert Hold.objects.get().status == HoldStatus.WAITING
    assert Fine.objects.get().amount_cents == 250
    assert CirculationFact.objects.count() == 1
    stored = ImportRun.objects.get()
    assert stored.counts["patrons.rejected"] == 7
    assert ImportIssue.objects.filter(run=stored).count() == len(report.issues)


def test_a_file_without_a_required_column_stops_before_writing(net, tmp_path):
    """A file lacking a required column is an error that names it; nothing is written."""
    d = files(tmp_path, patrons="card,last_name,category,library\nP1,Zola,adulte,lens\n")
    with pytest.raises(ExportError, match="first_name"):
        run(d)
    assert not Patron.objects.exists()
    assert ImportRun.objects.get().status == "failed"


def test_conflicts_between_sources(net, tmp_path):
    """The same card for two people in two sources, one person with two cards in one
    source, the same barcode in two libraries, a loan on a copy already lent: listed as
    conflicts (a dry run writes nothing); a librarian's decision merges the two cards."""
    d = files(
        tmp_path,
        patrons__lens=PATRONS
        + "C1,Martin,Anne,1990-01-01,adulte,lens,,\n"
        + "C2,Petit,Luc,1985-03-03,adulte,lens,,\n"
        + "C3,Petit,Luc,1985-03-03,adulte,lens,,\n",
        patrons__lievin=PATRONS + "C1,Durand,Paul,1970-01-01,adulte,lievin,,\n",
        copies__lievin="barcode,library,status\nB1,lievin,available\n",
        loans__lens="card,barcode,loaned_on,due_on\nC1,B2,2026-11-01,2026-12-01\n",
        loans__lievin="card,barcode,loaned_on,due_on\nC1,B2,2026-11-02,2026-12-02\n",
    )
    report = run(d, apply=False)
    assert ("conflict", "patrons.lievin.csv", 2, "card_in_two_sources") in issues(report)
    assert ("candidate", "patrons.lens.csv", 4, "patron_two_cards") in issues(report)
    assert ("conflict", "copies.lievin.csv", 2, "barcode_in_two_libraries") in issues(report)
    assert ("conflict", "loans.lievin.csv", 2, "patron_missing") in issues(report)
    assert not Patron.objects.exists()
    MergeDecision.objects.create(source_a="lens", card_a="C2", source_b="lens", card_b="C3",
                                 merge=True, decided_by="admin", decided_at=NOW)  # fmt: skip
    report = run(d)
    assert report.counts["patrons.merged"] == 1
    luc = Patron.objects.get(card_number="C2")
    assert PatronCard.objects.get(number="C3").patron == luc
    assert Loan.objects.open().get(item__barcode="B2").patron.card_number == "C1"


def test_barcode_collision_prefixed_by_rule(net, tmp_path):
    """With ``barcode_collision = "prefix"`` the other library's copy comes in under its
    library's code, and that source's loans find it."""
    d = files(
        tmp_path,
        patrons__lievin=PATRONS + "V1,Roux,Lise,,adulte,lievin,,\n",
        copies__lievin=f"barcode,library,status,record\nB1,lievin,available,{net['record'].pk}\n",
        loans__lievin="card,barcode,loaned_on,due_on\nV1,B1,2026-11-01,2026-12-01\n",
    )
    run(d, {"copies": {"barcode_collision": "prefix"}})
    copy = Item.objects.get(barcode="lievin-B1")
    assert copy.owning_library == net["lievin"]
    assert Loan.objects.open().get().item == copy
    assert Item.objects.get(barcode="B1").status == ItemStatus.AVAILABLE


def test_koha_preset_reads_the_patron_import_layout(net, tmp_path):
    """Koha's patron import columns are read as they are: names, dates, branch and
    category codes through the mapping, privacy 0 as the history opt-in, a clear password
    hashed and a Koha bcrypt hash kept."""
    header = ("cardnumber,surname,firstname,title,othernames,dateofbirth,branchcode,"
              "categorycode,email,phone,address,zipcode,city,dateenrolled,dateexpiry,"
              "password,privacy,userid\n")  # fmt: skip
    d = files(tmp_path, patrons=header
              + "K1,Hugo,Adèle,Mme,,1830-07-28,CPL,PT,a@example.org,0102030405,1 rue,62300,"
                "Lens,2020-01-15,2027-01-15,1234,0,ahugo\n"
              + "K2,Hugo,Léopoldine,,,1824-08-28,CPL,PT,,,,,,2020-01-15,2027-01-15,"
                "$2a$08$abcdefghijklmnopqrstuu5JQfoVCQg0nYIzRn1Z3LmE3h1bYwq2W,1,\n")  # fmt: skip
    mapping = {"preset": "koha", "codes": {"library": {"CPL": "lens"},
                                           "category": {"PT": "adulte"}}}  # fmt: skip
    report = run(d, mapping)
    assert report.counts["patrons.created"] == 2, report.issues
    adele = Patron.objects.get(card_number="K1")
    assert (adele.last_name, adele.birth_date, adele.home_library) == (
        "Hugo",
        dt.date(1830, 7, 28),
        net["lens"],
    )
    assert adele.membership_expires_on == dt.date(2027, 1, 15)
    assert adele.history_opt_in and adele.city == "Lens" and adele.postcode == "62300"
    assert check_password("1234", adele.pin_hash)
    leo = Patron.objects.get(card_number="K2")
    assert leo.pin_hash.startswith("bcrypt$$2a$") and not leo.history_opt_in


def test_generic_mapping_file_renames_columns_and_codes(net, tmp_path):
    """The documented generic mapping: another file name, other column names, a
    semicolon, French dates, codes translated; a bad mapping names its mistake."""
    (tmp_path / "mapping.toml").write_text(
        'delimiter = ";"\n'
        '[files]\npatrons = "lecteurs"\n'
        '[columns.patrons]\ncard = "carte"\nlast_name = "nom"\nfirst_name = "prenom"\n'
        'birth_date = "naissance"\ncategory = "cat"\nlibrary = "site"\n'
        '[codes.library]\nMED = "lens"\n[codes.category]\nA = "adulte"\n',
        encoding="utf-8",
    )
    (tmp_path / "lecteurs.csv").write_text(
        "carte;nom;prenom;naissance;cat;site\nG1;Vian;Boris;10/03/1920;A;MED\n",
        encoding="utf-8")  # fmt: skip
    mapping = load_mapping(tmp_path / "mapping.toml")
    NetworkImport(tmp_path, mapping, apply=True, now=NOW).run()
    assert Patron.objects.get().birth_date == dt.date(1920, 3, 10)
    with pytest.raises(MappingError, match="colonne inconnue 'carte'"):
        mapping_from_dict({"columns": {"patrons": {"carte": "x"}}})
    with pytest.raises(MappingError, match="merge"):
        mapping_from_dict({"patrons": {"merge": "always"}})
