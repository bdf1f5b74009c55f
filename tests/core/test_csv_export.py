"""CSV injection: no export hands a spreadsheet a cell it would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.csvexport import csv_writer, neutralise
from navette.core.models import Role, User
from navette.digital.services import tokens_spend
from navette.patrons.privacy import export_csv
from tests.digital import factories as f

NOV = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)
ROOT = Path(__file__).resolve().parents[2] / "navette"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","clic")', '\'=HYPERLINK("http://x","clic")'),
        ("+33 3 21", "'+33 3 21"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Le Phénix", "Le Phénix"),
        ("", ""),
        (-5, -5),
        (12, 12),
        (None, None),
    ],
)
def test_formula_cells_get_a_leading_apostrophe(cell, written):
    """Text starting with = + - @ tab or CR is prefixed with '; other text and numbers are not."""
    assert neutralise(cell) == written


def test_the_writer_neutralises_every_row():
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";")
    writer.writerow(["titre", "=1+1"])
    writer.writerows([["@x", 3]])
    assert list(csv.reader(io.StringIO(out.getvalue()), delimiter=";")) == [
        ["titre", "'=1+1"],
        ["'@x", "3"],
    ]


def test_no_export_writes_csv_without_the_neutralising_writer():
    """Every CSV written by Navette goes through navette.core.csvexport (a new export that
    calls csv.writer directly fails here until it uses csv_writer)."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.name != "csvexport.py"
        and "migrations" not in path.parts
        and re.search(r"\bcsv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.django_db
def test_patron_data_export_neutralises_what_the_patron_typed():
    """A patron who writes a formula into their own details does not get it run when the
    file is opened (nor does staff, if they open it)."""
    patron = f.patron(first_name='=HYPERLINK("http://evil.example","x")', street="@SUM(1)")
    rows = list(csv.reader(io.StringIO(export_csv(patron))))
    values = {row[2]: row[3] for row in rows[1:]}
    assert values["first_name"].startswith("'=HYPERLINK")
    assert values["street"] == "'@SUM(1)"
    assert not any(row[3].startswith(("=", "+", "-", "@")) for row in rows[1:])


@pytest.mark.django_db
def test_usage_export_neutralises_a_resource_name(client):
    """A resource or library name beginning with = reaches the statistician's spreadsheet as text."""
    resource = f.vod()
    resource.name = "=cmd|' /C calc'!A0"
    resource.save()
    film = f.film(resource, "Film", 2019)
    patron = f.patron()
    tokens_spend(patron=patron, title=film, actor=Actor.patron(patron.pk), now=NOV)
    client.force_login(User.objects.create_user("stat", password="x", role=Role.STATISTICIAN))
    response = client.get("/personnel/mediatheque-en-ligne/usage.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
