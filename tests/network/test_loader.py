"""Loading the network from a CSV file."""

import csv
from pathlib import Path

import pytest

from navette.network.demo import DATA
from navette.network.models import Library, Network
from navette.network.services import NetworkFileError, load_network_csv

pytestmark = pytest.mark.django_db

PRESS_KIT = list(csv.DictReader(DATA.read_text(encoding="utf-8").splitlines()))


def test_loads_the_27_relire_libraries_with_press_kit_facts():
    """Every row of the press kit becomes a library with its address and phone."""
    report = load_network_csv(DATA, network_name="Relire")
    assert report.created == 27 and not report.errors
    assert Library.objects.count() == 27
    for row in PRESS_KIT:
        lib = Library.objects.get(name=row["name"], commune=row["commune"])
        assert lib.street == row["street"]
        assert lib.postcode == row["postcode"]
        assert lib.phone == row["phone"]


def test_loading_twice_changes_nothing():
    """Idempotent: the second run creates and updates nothing."""
    load_network_csv(DATA)
    before = list(Library.objects.order_by("code").values())
    report = load_network_csv(DATA)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 27)
    assert list(Library.objects.order_by("code").values()) == before
    assert Network.objects.count() == 1


def test_communes_with_two_libraries_get_distinct_codes():
    load_network_csv(DATA)
    codes = set(Library.objects.filter(commune="Liévin").values_list("code", flat=True))
    assert codes == {"lievin-gambetta", "lievin-desrousseaux"}
    assert Library.objects.get(commune="Lens").code == "lens"


def test_second_phone_in_note_becomes_a_phone():
    load_network_csv(DATA)
    villers = Library.objects.get(commune="Villers-au-Bois")
    assert villers.phone_alt == "06 87 69 86 21"
    assert "06 87" not in villers.note


def test_changed_row_updates_the_library(tmp_path: Path):
    load_network_csv(DATA)
    changed = DATA.read_text(encoding="utf-8").replace("03 21 69 08 30", "03 21 00 00 00")
    path = tmp_path / "libs.csv"
    path.write_text(changed, encoding="utf-8")
    report = load_network_csv(path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 26)
    assert Library.objects.get(code="lens").phone == "03 21 00 00 00"


def test_bad_row_is_reported_with_its_line_and_the_others_load(tmp_path: Path):
    path = tmp_path / "libs.csv"
    path.write_text(
        "commune,name,phone,street,postcode,city,note,latitude\n"
        "Lens,Médiathèque Robert Cousin,03 21 69 08 30,13D route de Béthune,62300,Lens,,50.43\n"
        ",Sans commune,03 00 00 00 00,rue,62000,X,,\n"
        "Harnes,Médiathèque La Source,03 21 49 24 14,8 chemin,62440,Harnes,,nord\n"
        "Vimy,Médiathèque André Malraux,03 21 73 73 76,1 rue,62580,Vimy,,\n",
        encoding="utf-8",
    )
    report = load_network_csv(path)
    assert report.created == 2
    lines = [line for line, _ in report.errors]
    assert lines == [3, 4]
    assert "ligne 3" in report.errors[0][1] and "obligatoires" in report.errors[0][1]
    assert "latitude" in report.errors[1][1]
    assert set(Library.objects.values_list("code", flat=True)) == {"lens", "vimy"}


def test_missing_columns_is_a_clear_file_error(tmp_path: Path):
    path = tmp_path / "libs.csv"
    path.write_text("ville,tel\nLens,03\n", encoding="utf-8")
    with pytest.raises(NetworkFileError, match="colonne"):
        load_network_csv(path)
    with pytest.raises(NetworkFileError, match="introuvable"):
        load_network_csv(tmp_path / "absent.csv")


def test_command_reports_bad_rows_and_fails(tmp_path: Path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "libs.csv"
    path.write_text("commune,name\nLens,Médiathèque\n,Sans commune\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_network", str(path))
    captured = capsys.readouterr()
    assert "ligne 3" in captured.err
    assert "1 bibliothèque créée" in captured.out
