"""``navette import-events``: a whole programme from CSV, bad rows reported by line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from navette.core.clock import PARIS
from navette.events.importing import ImportFileError, import_events_csv
from navette.events.models import Event, Programme
from tests.events.factories import NOW, STAFF

pytestmark = pytest.mark.django_db
HEADER = ["programme", "titre", "bibliotheque", "debut", "fin", "public", "theme",
          "description", "inscription", "places", "tarif", "accessibilite"]  # fmt: skip
AUDIENCES = ["enfants", "ados", "adultes", "famille", "tout public"]


def _programme_csv(path: Path, libraries: list[str], bad_at: int) -> None:
    """300 events over 3 days and every library; data row ``bad_at`` has an impossible date."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(300):
            day = 15 + i % 3
            start = f"2027-01-{day} {14 + i % 6:02d}:{(i * 5) % 60:02d}"
            if i == bad_at:
                start = "2027-01-32 18:00"
            w.writerow([
                "Nuits des bibliothèques", f"Animation nocturne n°{i + 1}", libraries[i % len(libraries)],
                start, f"{20 + i % 3}:00", AUDIENCES[i % 5], ["Lecture", "Musique", "Jeux"][i % 3],
                "Une soirée, avec « guillemets », virgules, et accents.",
                "oui" if i % 4 == 0 else "non", "20" if i % 4 == 0 else "", "", "Accessible PMR",
            ])  # fmt: skip


def test_three_hundred_events_over_27_libraries(relire, tmp_path, capsys):
    """299 events load across the 27 libraries (named by commune or code), the
    programme spans the three days, and the bad row is reported with its line."""
    keys = sorted({lib.commune for lib in relire.values()} - {"Avion", "Liévin"}) + [
        code for code, lib in relire.items() if lib.commune in ("Avion", "Liévin")
    ]
    path = tmp_path / "nuits.csv"
    _programme_csv(path, keys, bad_at=41)  # data row 42 is on file line 43
    call_command("import_events", str(path))
    out, err = capsys.readouterr()
    assert "299 événements créés" in out and "1 ligne refusée" in out
    assert "nuits.csv, ligne 43 :" in err and "2027-01-32" in err
    assert Event.objects.count() == 299
    assert Event.objects.values("library").distinct().count() == 27
    programme = Programme.objects.get(slug="nuits-des-bibliotheques")
    assert (programme.starts_on, programme.ends_on) == (dt.date(2027, 1, 15), dt.date(2027, 1, 17))
    assert programme.events.count() == 299
    first = Event.objects.get(title="Animation nocturne n°1")
    assert first.starts_at == dt.datetime(2027, 1, 15, 14, 0, tzinfo=PARIS)
    assert first.ends_at == dt.datetime(2027, 1, 15, 20, 0, tzinfo=PARIS)
    assert first.registration_required and first.capacity == 20 and first.audience == "enfants"
    # Importing the same file again adds nothing.
    call_command("import_events", str(path))
    assert "299 déjà présents" in capsys.readouterr().out
    assert Event.objects.count() == 299


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "Atelier;Nulle-Part;2027-02-01 10:00;11:00;enfants;non;",
            "bibliothèque inconnue « Nulle-Part »",
        ),
        (";lens;2027-02-01 10:00;11:00;enfants;non;", "colonne titre vide"),
        ("Atelier;lens;2027-02-01 10:00;09:00;enfants;non;", "la fin précède le début"),
        ("Atelier;lens;2027-02-01 10:00;11:00;bébés;non;", "colonne public"),
        ("Atelier;lens;2027-02-01 10:00;11:00;enfants;oui;", "nombre de places"),
        ("Atelier;lens;2027-02-01 10:00;11:00;enfants;peut-être;", "colonne inscription"),
    ],
)
def test_each_bad_row_is_reported_with_its_line(row, message):
    """Every kind of bad row is refused with its line number and a French reason,
    while the good rows around it load (semicolon-separated file)."""
    from tests.events import factories as f

    f.library(code="lens", commune="Lens")
    text = "titre;bibliotheque;debut;fin;public;inscription;places\n"
    text += "Bon atelier;lens;2027-02-01 10:00;11:00;enfants;non;\n" + row + "\n"
    text += "Autre atelier;Lens;2027-02-02 10:00;11:00;famille;oui;12\n"
    report = import_events_csv(io.StringIO(text), actor=STAFF, now=NOW)
    assert report.created == 2
    assert len(report.errors) == 1
    line, reason = report.errors[0]
    assert line == 3 and message in reason


def test_unusable_file_is_refused_whole(tmp_path):
    """A file without the required columns is refused before anything loads."""
    path = tmp_path / "x.csv"
    path.write_text("nom,date\nA,B\n")
    with pytest.raises(ImportFileError, match="titre"):
        import_events_csv(path, actor=STAFF, now=NOW)
