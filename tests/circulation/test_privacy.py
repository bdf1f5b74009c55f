"""Circulation forgets who borrowed what: loans, holds, settled fines, notices and the
audit journal lose their patron on the loan schedule (NAVETTE_ANONYMISE_AFTER_MONTHS)."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Fine, Loan
from navette.circulation.privacy import anonymise_cutoff, loans_anonymise
from navette.circulation.services import loan_checkin
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import ANONYMOUS_PATRON_LABEL, audit_patron_events, audit_record
from navette.core.jobs import run_jobs
from navette.core.models import AuditEvent
from navette.notices.models import NoticeKind, SentNotice
from tests.catalogue.factories import make_item
from tests.circulation.factories import make_loan
from tests.network.factories import make_library
from tests.patrons.factories import NOW, STAFF, make_patron

pytestmark = pytest.mark.django_db


def _returned_loan(patron, library, returned_at):
    item = make_item(library=library)
    loan = make_loan(
        item=item, patron=patron, library=library, now=returned_at - dt.timedelta(days=20)
    )
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
    loan = make_loan(
        item=make_item(library=library),
        patron=patron,
        library=library,
        now=NOW - dt.timedelta(days=300),
    )
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


def test_jobs_run_privacy_work_once():
    """`navette jobs` runs the anonymisation; a second run does nothing more."""
    library = make_library()
    patron = make_patron(library=library)
    _returned_loan(patron, library, NOW - dt.timedelta(days=200))
    first = dict(run_jobs(NOW, only={"loans-anonymise"}))
    second = dict(run_jobs(NOW, only={"loans-anonymise"}))
    assert first["loans-anonymise"].startswith("1 ")
    assert second["loans-anonymise"].startswith("0 ")


def test_journal_forgets_the_patron_on_the_loan_schedule():
    """The finding: after anonymisation the journal still linked patron and copy for every
    loan. Now the events older than the cutoff lose the patron (in their details, as
    actor, as object, with the account details) while who on the staff did what to which
    copy stays; recent events keep the patron."""
    library = make_library()
    patron = make_patron(library=library)
    old = NOW - dt.timedelta(days=200)
    item = make_item(library=library, barcode="31000000000042")
    make_loan(item=item, patron=patron, library=library, now=old)
    loan_checkin(item=item, library=library, actor=STAFF, now=old + dt.timedelta(days=20))
    audit_record(
        actor=Actor.patron(patron.pk), action=AuditAction.HOLD_PLACE, now=old, data={"record": 1}
    )
    audit_record(actor=STAFF, action=AuditAction.PATRON_REPLACE_CARD, now=old, obj=patron,
                 data={"old": patron.card_number, "new": "29009999"})  # fmt: skip
    recent_item = make_item(library=library)
    make_loan(item=recent_item, patron=patron, library=library, now=NOW - dt.timedelta(days=10))
    old_checkout = AuditEvent.objects.get(action="loan.checkout", at=old)
    assert old_checkout.data["patron"] == patron.pk  # the link the finding is about

    loans_anonymise(now=NOW)

    old_checkout.refresh_from_db()
    assert "patron" not in old_checkout.data
    assert old_checkout.data["item"] == "31000000000042"  # staff accountability stays
    assert old_checkout.actor_label == STAFF.label
    by_patron = AuditEvent.objects.get(action="hold.place")
    assert (by_patron.actor_id, by_patron.actor_label) == (None, ANONYMOUS_PATRON_LABEL)
    about_patron = AuditEvent.objects.get(action=AuditAction.PATRON_REPLACE_CARD, at=old)
    assert (about_patron.object_id, about_patron.data) == ("", {})
    assert patron.card_number not in str(
        list(AuditEvent.objects.filter(at__lt=anonymise_cutoff(NOW)).values())
    )
    remaining = list(audit_patron_events(patron.pk).values_list("action", "at"))
    assert all(at > anonymise_cutoff(NOW) for _action, at in remaining)
    assert ("loan.checkout", NOW - dt.timedelta(days=10)) in remaining
    # idempotent: nothing left to change
    assert loans_anonymise(now=NOW) == 0
    assert AuditEvent.objects.filter(action="loan.anonymise").count() == 1


def test_settled_fines_and_sent_notices_forget_the_patron():
    """A settled fine names its loan (hence the copy) and a notice's key names the loan:
    both lose the patron on the loan schedule; an unpaid fine keeps it."""
    library = make_library()
    patron = make_patron(library=library)
    old = NOW - dt.timedelta(days=200)
    settled_loan = _returned_loan(patron, library, old)
    unpaid_loan = _returned_loan(patron, library, old)
    settled = Fine.objects.create(patron=patron, loan=settled_loan, amount_cents=150,
                                  paid_cents=150, created_at=old, paid_at=old)  # fmt: skip
    unpaid = Fine.objects.create(patron=patron, loan=unpaid_loan, amount_cents=150,
                                 created_at=old)  # fmt: skip
    notice = SentNotice.objects.create(kind=NoticeKind.OVERDUE_1, key=f"{settled_loan.pk}:x",
                                       patron=patron, claimed_at=old, sent_at=old)  # fmt: skip
    run_jobs(NOW, only={"loans-anonymise", "notices-anonymise"})
    settled.refresh_from_db()
    unpaid.refresh_from_db()
    notice.refresh_from_db()
    assert settled.patron_id is None and unpaid.patron_id == patron.pk
    assert notice.patron_id is None
    assert Loan.objects.get(pk=unpaid_loan.pk).patron_id is None
