"""The annual report (SCRIB survey): figures equal a hand count on a small fixed network,
per site and for the network; the ODS opens with odfpy and has the form's layout; the CSV
neutralises formulas; the figures to type by hand are listed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow

from navette.catalogue.models import ItemStatus
from navette.core.clock import PARIS
from navette.core.models import Role, User
from navette.events.models import Event, Registration
from navette.patrons.models import Patron
from navette.reports.annual import annual_report
from tests.digital import factories as digital

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_2025(year_2025, libs, make_item):
    """On top of the year of loans: copies acquired (two books and a film at Lens, a book at
    Avion since withdrawn), the patrons registered in January, a children's event at Lens
    with three people present (and a cancelled one), two launches of an online resource."""
    lens, avion = libs["Lens"], libs["Avion"]
    make_item(owner="Lens", acquired_on=dt.date(2025, 2, 1))
    make_item(owner="Lens", acquired_on=dt.date(2025, 2, 1))
    make_item(owner="Lens", doc_type="video", acquired_on=dt.date(2024, 5, 1))
    make_item(owner="Avion", acquired_on=dt.date(2025, 6, 1), status=ItemStatus.WITHDRAWN)
    make_item(owner="Lens", acquired_on=dt.date(2026, 1, 2))  # next year: not counted
    Patron.objects.update(created_at=dt.datetime(2025, 1, 5, tzinfo=PARIS))
    start = dt.datetime(2025, 4, 2, 15, tzinfo=PARIS)
    tale = Event.objects.create(title="Conte", library=lens, starts_at=start, status="published",
                                ends_at=start + dt.timedelta(hours=1), audience="enfants")  # fmt: skip
    Event.objects.create(title="Annulé", library=lens, starts_at=start, status="cancelled",
                         ends_at=start + dt.timedelta(hours=1), audience="adultes")  # fmt: skip
    Registration.objects.create(event=tale, guest_name="A", seats=3, status="confirmed",
                                created_at=start, attended=True)  # fmt: skip
    Registration.objects.create(event=tale, guest_name="B", seats=2, status="confirmed",
                                created_at=start, attended=False)  # fmt: skip
    resource = digital.vod(cas=False)
    from navette.digital.models import UsageFact

    for _n in range(2):
        UsageFact.objects.create(at=start, month="2025-04", resource=resource, library=lens)
    return {"lens": lens, "avion": avion}


def test_network_figures_equal_a_hand_count(network_2025):
    report = annual_report(2025)
    assert report.figure("A1").value == 27  # the Relire network
    lens, avion = str(network_2025["lens"]), str(network_2025["avion"])
    hours = dict(report.figure("A2").rows)
    assert hours[lens] == 40 and hours[avion] == 40  # Tuesday to Saturday, 10-18
    assert dict(report.figure("B1").rows) == {"Livre": 2, "DVD ou Blu-ray": 1}
    assert dict(report.figure("B2").rows) == {"Livre": 3}
    assert dict(report.figure("E1").rows) == {"0-14": 1, "15-64": 2, "65+": 1, "inconnu": 0}
    assert dict(report.figure("E4").rows) == {"0-14": 1, "15-64": 2, "65+": 1, "inconnu": 0}
    assert dict(report.figure("E5").rows) == {"62300 LENS": 2, "62210 AVION": 1, "62000 ARRAS": 1}
    assert dict(report.figure("E6").rows) == {"Livre": 6}
    loans = dict(report.figure("E7").rows)
    assert (loans[lens], loans[avion], sum(loans.values())) == (4, 2, 6)
    assert report.figure("E12").rows == (("Cinéma en ligne", 2),)
    assert dict(report.figure("F1").rows) == {"Enfants": 1}
    assert report.figure("F2").value == 3
    assert {f.code for f in report.manual} >= {"B4", "C1", "D1", "E3", "E13"}


def test_site_figures_equal_a_hand_count(network_2025):
    lens = annual_report(2025, network_2025["lens"])
    assert lens.figure("A1").value == 1
    assert dict(lens.figure("B2").rows) == {"Livre": 2}
    assert dict(lens.figure("E4").rows) == {"0-14": 1, "15-64": 2, "65+": 0, "inconnu": 0}
    assert dict(lens.figure("E6").rows) == {"Livre": 4}
    assert dict(lens.figure("E1").rows)["65+"] == 1  # all four registered at Lens
    avion = annual_report(2025, network_2025["avion"])
    assert dict(avion.figure("B1").rows) == {}  # the one copy was withdrawn
    assert dict(avion.figure("B2").rows) == {"Livre": 1}
    assert dict(avion.figure("E4").rows) == {"0-14": 0, "15-64": 1, "65+": 1, "inconnu": 0}
    assert avion.figure("F2").value == 0 and avion.figure("E12").rows == ()


@pytest.fixture
def staff_client(client, db):
    user = User.objects.create_user("stat", password="x", role=Role.STATISTICIAN)
    client.force_login(user)
    return client


def _sheets(content: bytes) -> dict[str, list[list[str]]]:
    document = load(io.BytesIO(content))
    return {
        table.getAttribute("name"): [
            [str(cell) for cell in row.getElementsByType(TableCell)]
            for row in table.getElementsByType(TableRow)
        ]
        for table in document.spreadsheet.getElementsByType(Table)
    }


def test_the_ods_opens_with_odfpy_and_has_the_forms_layout(network_2025, staff_client):
    """One sheet for the network, then one per site; each with the title, the column
    headings, the sections in the survey's order and each figure with its method."""
    response = staff_client.get("/personnel/statistiques/rapport-annuel.ods?annee=2025")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    sheets = _sheets(response.content)
    assert list(sheets)[:2] == ["Réseau", "Aix-Noulette"] and len(sheets) == 28
    rows = sheets["Réseau"]
    assert rows[0] == ["Rapport annuel 2025", "Réseau (unité administrative)"]
    assert rows[1] == ["Code", "Question", "Réponse", "Mode de calcul"]
    sections = [r[:2] for r in rows if len(r) >= 2 and r[0] in "ABCDEF" and len(r[0]) == 1]
    assert [s[0] for s in sections] == ["A", "B", "C", "D", "E", "F"]
    loans = next(r for r in rows if r[0] == "E6")
    assert loans[1:3] == ["Prêts, par support", "6"] and "prolongations" in loans[3]
    assert next(r for r in rows if r[0] == "D1")[2] == "à saisir"
    lens = sheets["Lens"]
    assert next(r for r in lens if r[0] == "E6")[2] == "4"


def test_the_page_links_each_figure_to_its_method(network_2025, staff_client):
    page = staff_client.get("/personnel/statistiques/rapport-annuel/?annee=2025&bibliotheque="
                            + network_2025["lens"].code).content.decode()  # fmt: skip
    assert 'href="#calcul-E4"' in page and 'id="calcul-E4"' in page
    assert "Chiffres à saisir à la main" in page
    bad = staff_client.get("/personnel/statistiques/rapport-annuel/?annee=1800")
    assert bad.status_code == 400


def test_the_csv_is_the_same_layout_with_formulas_neutralised(network_2025, staff_client):
    Patron.objects.filter(city="Arras").update(city="=HYPERLINK(1)")
    # the commune is read from the facts written at the loan: rename a fact's too
    from navette.stats.models import CirculationFact

    CirculationFact.objects.filter(residence="62000 ARRAS").update(residence="=1+1")
    response = staff_client.get("/personnel/statistiques/rapport-annuel.csv?annee=2025")
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows[1] == ["Code", "Question", "Réponse", "Mode de calcul"]
    assert ["", "'=1+1", "1", ""] in rows


def test_every_statistics_table_exports_as_csv_and_ods(network_2025, staff_client):
    """The ODS holds one sheet per table of the page with its heading row; each table's CSV
    has the same rows; an unknown table is a 404."""
    query = "?de=2025-01&a=2025-12"
    sheets = _sheets(staff_client.get("/personnel/statistiques/tableaux.ods" + query).content)
    # sheet names: at most 31 characters, no apostrophe (what spreadsheets accept)
    assert len(sheets) == 7 and list(sheets)[:2] == ["Par bibliothèque", "Prêts par mois"]
    assert "Prêts par tranche d âge" in sheets
    assert sheets["Prêts par type de document"] == [["Type de document", "Prêts", "%"],
                                                    ["Livre", "6", "100"]]  # fmt: skip
    response = staff_client.get("/personnel/statistiques/tableau-types.csv" + query)
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows == [["Type de document", "Prêts", "%"], ["Livre", "6", "100"]]
    months = staff_client.get("/personnel/statistiques/tableau-emprunteurs.csv" + query)
    assert "décembre 2025;4" in months.content.decode()
    assert staff_client.get("/personnel/statistiques/tableau-autre.csv").status_code == 404
