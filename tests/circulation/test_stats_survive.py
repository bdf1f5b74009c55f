"""Circulation statistics count anonymous facts: anonymising loans takes nothing away."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Loan
from navette.circulation.privacy import loans_anonymise
from navette.circulation.services import loan_checkin, loan_checkout
from navette.stats import selectors

pytestmark = pytest.mark.django_db


def test_figures_survive_the_anonymisation_of_loans(libs, make_patron, make_item, actor):
    """Loans are anonymised 4 months after return; the facts counted here are not touched."""
    now = dt.datetime(2025, 3, 4, 10, tzinfo=dt.UTC)
    item = make_item()
    loan_checkout(item=item, patron=make_patron(), library=libs["Lens"], actor=actor, now=now)
    loan_checkin(item=item, library=libs["Lens"], actor=actor, now=now + dt.timedelta(days=3))
    assert loans_anonymise(now=now + dt.timedelta(days=200)) == 1
    assert Loan.objects.get().patron_id is None
    rows = {
        r.library.code: r for r in selectors.by_library(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    }
    assert (rows["lens"].checkouts, rows["lens"].checkins) == (1, 1)
