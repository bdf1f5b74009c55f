"""Privacy jobs: loan anonymisation, inactive patron purge, data export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from navette.circulation.models import Loan
from navette.core.jobs import run_jobs
from navette.patrons.models import Patron
from navette.patrons.privacy import (
    anonymise_cutoff,
    export_csv,
    export_json,
    loans_anonymise,
    patrons_purge,
)
from navette.patrons.services import add_months
from tests.patrons.factories import NOW, checkout, make_item, make_library, make_patron

pytestmark = pytest.mark.django_db


def _returned_loan(patron, library, returned_at):
    item = make_item(library)
    loan = checkout(item, patron, library, returned_at - dt.timedelta(days=20))
    Loan.objects.filter(pk=loan.pk).update(returned_at=returned_at)
    return loan


def test_loan_returned_four_months_and_a_day_ago_is_anonymised_but_still_counted():
    """A loan returned 4 months and a day ago loses its patron but stays counted;
    one returned 4 months minus a day ago keeps its patron."""
    library = make_library()
    patron = make_patron(library=library)
    now = NOW
    four_months_ago = now.replace(month=now.month - 4 + 12, year=now.year - 1)  # 10 Nov 2025
    old = _returned_loan(patron, library, four_months_ago - dt.timedelta(days=1))
    recent = _returned_loan(patron, library, four_months_ago + dt.timedelta(days=1))
    loans_before = Loan.objects.filter(library=library).count()

    assert loans_anonymise(now=now) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.patron_id is None
    assert recent.patron_id == patron.pk
    # statistics still count it: the loan row, its library, type and dates remain
    assert Loan.objects.filter(library=library).count() == loans_before == 2
    assert (
        Loan.objects.filter(library=library, patron__isnull=True, doc_type=old.doc_type).count()
        == 1
    )
    # running again changes nothing
    assert loans_anonymise(now=now) == 0


def test_history_opt_in_keeps_the_link():
    """With history opted in, old returned loans keep pointing to the patron."""
    library = make_library()
    patron = make_patron(library=library, history_opt_in=True)
    loan = _returned_loan(patron, library, NOW - dt.timedelta(days=200))
    loans_anonymise(now=NOW)
    loan.refresh_from_db()
    assert loan.patron_id == patron.pk


def test_open_loans_are_never_anonymised():
    """An open loan keeps its patron however old it is."""
    library = make_library()
    patron = make_patron(library=library)
    loan = checkout(make_item(library), patron, library, NOW - dt.timedelta(days=300))
    loans_anonymise(now=NOW)
    loan.refresh_from_db()
    assert loan.patron_id == patron.pk


def test_anonymisation_period_is_configurable(settings):
    """NAVETTE_ANONYMISE_AFTER_MONTHS changes the cutoff."""
    settings.NAVETTE_ANONYMISE_AFTER_MONTHS = 1
    library = make_library()
    patron = make_patron(library=library)
    loan = _returned_loan(patron, library, NOW - dt.timedelta(days=40))
    assert anonymise_cutoff(NOW).date() == dt.date(2026, 2, 10)
    loans_anonymise(now=NOW)
    loan.refresh_from_db()
    assert loan.patron_id is None


def test_inactive_patron_purged_only_without_open_loans():
    """Membership ended over 12 months ago: deleted if nothing is open; kept with an open
    loan; past loans survive without the patron."""
    library = make_library()
    long_ago = NOW - dt.timedelta(days=800)
    gone = make_patron(library=library, now=long_ago)
    kept = make_patron(library=library, now=long_ago)
    recent = make_patron(library=library, now=long_ago)
    Patron.objects.filter(pk__in=[gone.pk, kept.pk]).update(
        membership_expires_on=add_months(NOW.date(), -13), last_activity_at=long_ago
    )
    Patron.objects.filter(pk=recent.pk).update(
        membership_expires_on=add_months(NOW.date(), -11), last_activity_at=long_ago
    )
    past = _returned_loan(gone, library, long_ago + dt.timedelta(days=30))
    checkout(make_item(library), kept, library, long_ago + dt.timedelta(days=1))

    assert patrons_purge(now=NOW) == 1
    assert not Patron.objects.filter(pk=gone.pk).exists()
    assert Patron.objects.filter(pk__in=[kept.pk, recent.pk]).count() == 2
    past.refresh_from_db()
    assert past.patron_id is None
    assert patrons_purge(now=NOW) == 0


def test_jobs_run_privacy_work_once():
    """`navette jobs` runs the anonymisation; a second run does nothing more."""
    library = make_library()
    patron = make_patron(library=library)
    _returned_loan(patron, library, NOW - dt.timedelta(days=200))
    first = dict(run_jobs(NOW, only={"patrons-anonymise"}))
    second = dict(run_jobs(NOW, only={"patrons-anonymise"}))
    assert first["patrons-anonymise"].startswith("1 ")
    assert second["patrons-anonymise"].startswith("0 ")


def test_export_holds_everything_but_the_pin():
    """The JSON and CSV exports list identity, cards and loans; never the PIN hash."""
    library = make_library()
    patron = make_patron(library=library, first_name="Éloïse")
    checkout(make_item(library, title="Les Misérables"), patron, library, NOW)
    data = json.loads(export_json(patron))
    assert data["lecteur"]["first_name"] == "Éloïse"
    assert data["cartes"][0]["numero"] == patron.card_number
    assert data["prets"][0]["titre"] == "Les Misérables"
    assert "pin_hash" not in data["lecteur"]
    assert patron.pin_hash not in export_json(patron)
    rows = list(csv.reader(io.StringIO(export_csv(patron))))
    assert rows[0] == ["rubrique", "entree", "champ", "valeur"]
    assert ["prets", "1", "titre", "Les Misérables"] in rows
