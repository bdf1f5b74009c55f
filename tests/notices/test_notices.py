"""E-mail notices against a real SMTP server: sent once, in the patron's language."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import Hold, HoldStatus, Loan
from navette.core.jobs import run_jobs
from navette.notices.models import NoticeKind, SentNotice
from navette.notices.services import notices_hold_ready, notices_loans, overdue_level
from tests.catalogue.factories import make_item
from tests.circulation.factories import make_loan
from tests.network.factories import make_library
from tests.patrons.factories import NOW, make_patron

pytestmark = pytest.mark.django_db


def _ready_hold(patron, pickup, *, title="L'Assommoir", last_day=dt.date(2026, 3, 17)):
    item = make_item(library=make_library(), title=title)
    return Hold.objects.create(
        patron=patron, record=item.record, pickup_library=pickup, status=HoldStatus.READY,
        placed_at=NOW - dt.timedelta(days=5), trapped_item=item, trapped_at=NOW,
        ready_at=NOW, shelf_expires_on=last_day,
    )  # fmt: skip


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_hold_ready_mail_arrives_once_in_french(smtp_server):
    """The hold-ready mail reaches the SMTP server once, in French, naming the pickup
    library and the last day; running the jobs again sends nothing new."""
    pickup = make_library(code="lievin", name="Médiathèque Jean-Jaurès de Liévin")
    patron = make_patron(email="lucie@example.org", first_name="Lucie")
    _ready_hold(patron, pickup)

    results = dict(run_jobs(NOW, only={"notices"}))
    assert results["notices"].startswith("1 ")
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["X-Envelope-To"] == "lucie@example.org"
    assert message["Subject"] == "Votre réservation est disponible : L'Assommoir"
    body = _body(message)
    assert "Bonjour Lucie" in body
    assert "Médiathèque Jean-Jaurès de Liévin" in body
    assert "jusqu'au mardi 17 mars 2026 inclus" in body

    run_jobs(NOW, only={"notices"})
    run_jobs(NOW + dt.timedelta(hours=1), only={"notices"})
    assert len(smtp_server.messages) == 1
    assert SentNotice.objects.filter(kind=NoticeKind.HOLD_READY, sent_at__isnull=False).count() == 1


def test_hold_ready_in_english_for_english_speaking_patron(smtp_server):
    """A patron who chose English gets the English template."""
    pickup = make_library(name="Bibliothèque d'Avion")
    patron = make_patron(email="sam@example.org", preferred_language="en")
    _ready_hold(patron, pickup, title="Nana")
    assert notices_hold_ready(now=NOW) == 1
    message = smtp_server.messages[0]
    assert message["Subject"] == "Your hold is ready: Nana"
    assert "until Tuesday, March 17, 2026" in _body(message)


def test_no_notice_without_consent_or_address(smtp_server):
    """Patrons who turned notices off are not mailed."""
    patron = make_patron(email="off@example.org", notify_by_email=False)
    _ready_hold(patron, make_library())
    assert notices_hold_ready(now=NOW) == 0
    assert smtp_server.messages == []


def test_refused_mail_is_retried_next_run(settings, smtp_server):
    """When the SMTP server cannot be reached, the claim is released and the next run sends."""
    patron = make_patron(email="retry@example.org")
    _ready_hold(patron, make_library())
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    with pytest.raises(OSError):
        notices_hold_ready(now=NOW)
    assert SentNotice.objects.count() == 0
    settings.EMAIL_PORT = port
    assert notices_hold_ready(now=NOW) == 1
    assert len(smtp_server.messages) == 1


def test_due_soon_and_overdue_reminders(settings, smtp_server):
    """Due in 3 days: one "due soon" mail; then the 1st, 2nd, 3rd reminders on the
    configured days, each once."""
    settings.NAVETTE_OVERDUE_REMINDER_DAYS = [2, 5, 9]
    library = make_library()
    patron = make_patron(library=library, email="late@example.org")
    loan = make_loan(
        item=make_item(library=library, title="La Bête humaine"),
        patron=patron,
        library=library,
        now=NOW,
    )
    due = dt.date(2026, 4, 1)
    Loan.objects.filter(pk=loan.pk).update(due_on=due)
    at = lambda day: dt.datetime.combine(day, dt.time(9), tzinfo=NOW.tzinfo)  # noqa: E731

    assert notices_loans(now=at(due - dt.timedelta(days=4))) == 0
    assert notices_loans(now=at(due - dt.timedelta(days=3))) == 1
    assert notices_loans(now=at(due - dt.timedelta(days=2))) == 0
    assert notices_loans(now=at(due + dt.timedelta(days=1))) == 0
    assert notices_loans(now=at(due + dt.timedelta(days=2))) == 1
    assert notices_loans(now=at(due + dt.timedelta(days=2))) == 0
    assert notices_loans(now=at(due + dt.timedelta(days=5))) == 1
    assert notices_loans(now=at(due + dt.timedelta(days=9))) == 1
    assert notices_loans(now=at(due + dt.timedelta(days=30))) == 0
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == [
        "Vos documents sont à rendre bientôt",
        "Premier rappel : documents en retard",
        "Deuxième rappel : documents en retard",
        "Troisième et dernier rappel : documents en retard",
    ]
    assert "La Bête humaine" in _body(smtp_server.messages[1])


@pytest.mark.parametrize(
    ("days_late", "level"), [(0, 0), (1, 1), (7, 1), (8, 2), (14, 2), (15, 3), (90, 3)]
)
def test_overdue_level(days_late, level):
    """The highest reminder reached, with the default days 1, 8, 15."""
    assert overdue_level(days_late, [1, 8, 15]) == level
