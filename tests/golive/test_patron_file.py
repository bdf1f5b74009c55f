"""A member library's deposited patron file, read with the go-live mapping, then a first
login by card and date of birth (issue 22)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from navette.core import clock
from navette.golive.mapping import load_mapping, mapping_from_dict
from navette.golive.patron_file import patron_file_load
from navette.network.models import MemberSystem
from navette.patrons.errors import FirstLoginRefused, MemberCardRefused
from navette.patrons.federation import patron_file_first_login, patron_login
from navette.patrons.models import PatronFileEntry
from tests.network.factories import make_library
from tests.patrons.factories import make_category

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=clock.PARIS)
KOHA = (
    "cardnumber;surname;firstname;dateofbirth;categorycode;branchcode;email;dateexpiry\n"
    "P001;Martin;Lou;2012-04-01;J;PMB1;lou@example.org;2026-12-31\n"
    "P002;Durand;Max;1975-11-30;A;PMB1;;2025-01-31\n"
)


@pytest.fixture
def member():
    make_category(code="adulte")
    make_category(code="jeune")
    library = make_library(code="wattrelos", commune="Wattrelos")
    return MemberSystem.objects.create(
        library=library, system_name="PMB", auth_order="patron_file", card_prefixes="P"
    )


def koha_mapping():
    return mapping_from_dict(
        {"preset": "koha", "delimiter": ";", "codes": {"category": {"J": "jeune", "A": "adulte"}}}
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lecteurs.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_koha_file_keeps_only_card_validity_category_and_birth_year(member, tmp_path):
    """Koha's columns through the preset, codes through the mapping: names and e-mails
    are not kept, the birth date only as a year and a digest."""
    report = patron_file_load(
        library=member.library, path=write(tmp_path, KOHA), mapping=koha_mapping(), now=NOW
    )
    assert (report.applied, report.loaded) == (True, 2)
    lou = PatronFileEntry.objects.get(card_number="P001")
    assert (lou.category, lou.expires_on, lou.birth_year) == ("jeune", dt.date(2026, 12, 31), 2012)
    assert len(lou.birth_date_digest) == 64 and "2012-04-01" not in lou.birth_date_digest


def test_first_login_then_password_and_an_expired_card(member, tmp_path):
    """After the deposit, P001 confirms with card and date of birth and sets a password,
    then logs in with it; P002, expired in the file, is refused saying so."""
    patron_file_load(
        library=member.library, path=write(tmp_path, KOHA), mapping=koha_mapping(), now=NOW
    )
    with pytest.raises(FirstLoginRefused):
        patron_file_first_login(card_number="P001", birth_date=dt.date(2012, 4, 2),
                                password="1357", now=NOW, ip="x")  # fmt: skip
    patron = patron_file_first_login(
        card_number="P001", birth_date=dt.date(2012, 4, 1), password="1357", now=NOW, ip="x"
    )
    assert patron.category.code == "jeune" and patron.federation.age_band == "12-14"
    assert patron_login(card_number="P001", pin="1357", now=NOW, ip="x").patron == patron
    with pytest.raises(MemberCardRefused) as expired:
        patron_file_first_login(card_number="P002", birth_date=dt.date(1975, 11, 30),
                                password="2468", now=NOW, ip="x")  # fmt: skip
    assert expired.value.context["reason"] == "expired"


def test_a_bad_row_changes_nothing_and_says_where(member, tmp_path):
    """A file with an unreadable date on line 3 and a card twice on line 4: the previous
    file stays whole, the report gives each line."""
    patron_file_load(
        library=member.library, path=write(tmp_path, KOHA), mapping=koha_mapping(), now=NOW
    )
    bad = KOHA + "P003;X;Y;31/02/1990;A;PMB1;;2027-01-01\nP001;X;Y;;A;PMB1;;\n"
    bad = bad.replace("P002;", "P004;")
    report = patron_file_load(
        library=member.library, path=write(tmp_path, bad), mapping=koha_mapping(), now=NOW
    )
    assert not report.applied
    assert [(r.line, r.code) for r in report.rejected] == [(4, "bad_date"), (5, "card_twice")]
    assert sorted(PatronFileEntry.objects.values_list("card_number", flat=True)) == [
        "P001", "P002",
    ]  # fmt: skip


def test_a_new_file_replaces_the_old_one_through_the_command(member, tmp_path):
    """``navette load-patron-file`` with a generic mapping: the new file replaces the old;
    an unknown library is an error saying so."""
    generic = "card,category,expires_on,birth_date\nP010,adulte,31/12/2026,17/05/1980\n"
    mapping = tmp_path / "m.toml"
    mapping.write_text("")
    assert load_mapping(mapping).preset == "generic"
    patron_file_load(
        library=member.library, path=write(tmp_path, KOHA), mapping=koha_mapping(), now=NOW
    )
    call_command("load_patron_file", "wattrelos", str(write(tmp_path, generic)),
                 "--mapping", str(mapping))  # fmt: skip
    assert list(PatronFileEntry.objects.values_list("card_number", "expires_on")) == [
        ("P010", dt.date(2026, 12, 31))
    ]
    with pytest.raises(CommandError, match="aucune bibliothèque"):
        call_command("load_patron_file", "inconnue", str(write(tmp_path, generic)))
