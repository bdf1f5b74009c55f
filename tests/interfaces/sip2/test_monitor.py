"""The kiosk monitor: counters fed by every SIP2 request, silent machines flagged during
their library's opening hours only (injected clock), the staff page and home alert."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.core.clock import PARIS
from navette.core.models import User
from navette.sip2.activity import kiosk_monitor
from navette.sip2.jobs import kiosk_alerts_send
from navette.sip2.models import KioskActivity
from tests.interfaces.sip2.conftest import build_world
from tests.interfaces.sip2.test_handlers import B, logged_in, talk

#: Tuesday 3 March 2026; the libraries open Tuesday to Saturday, 10:00 to 18:00
DAY = dt.date(2026, 3, 3)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def busy_world(db, clock_at):
    """At 13:00 the kiosk lends one copy and refuses an unknown one, then falls silent."""
    clock_at(at(13))
    world = build_world()
    session = logged_in()
    stamp = at(13).strftime("%Y%m%d    %H%M%S")
    assert talk(session, f"11NN{stamp}{B}AOrelire|AA29000001|AB31000001|AC|").startswith("121")
    assert talk(session, f"11NN{stamp}{B}AOrelire|AA29000001|AB99999999|AC|").startswith("120")
    assert talk(session, "9900802.00").startswith("98")
    return world


def test_every_request_is_counted_by_message_and_outcome(busy_world):
    """Two checkouts (one refused for an unknown copy) and a status: today's counts by
    type, the refusal rate over all requests and the reason."""
    (row,) = kiosk_monitor([busy_world.lens], at(13, 5))
    assert row.last_seen == at(13)
    assert row.by_type == {"checkout": 2, "other": 1}
    assert (row.requests, row.refusals, row.reasons) == (3, 1, [("item_not_found", 1)])
    assert KioskActivity.objects.get(message="11", outcome="ok").count == 1


@pytest.mark.parametrize(
    ("now", "silent"),
    [
        (at(13, 20), False),  # seen 20 minutes ago
        (at(14, 30), True),  # open, silent 90 minutes
        (at(18, 45), False),  # closed since 18:00
        (at(10, 20, DAY + dt.timedelta(days=1)), False),  # open for 20 minutes only
        (at(11, 0, DAY + dt.timedelta(days=1)), True),  # open an hour, silent since yesterday
        (at(11, 0, DAY + dt.timedelta(days=6)), False),  # Monday: closed all day
    ],
)
def test_a_silent_kiosk_is_flagged_during_opening_hours_only(busy_world, now, silent):
    """Silent for 30 minutes while the library is open (and was open 30 minutes ago)."""
    (row,) = kiosk_monitor([busy_world.lens], now)
    assert row.silent is silent
    assert row.alert is silent  # too few requests for a refusal jump


def test_a_jump_in_refusals_is_flagged(busy_world):
    """Refusing far more than over the last week, over enough requests, raises the alert."""
    kiosk = busy_world.kiosk
    KioskActivity.objects.create(kiosk=kiosk, day=DAY - dt.timedelta(days=1), message="11",
                                 outcome="ok", count=200, last_at=at(17, 0, DAY - dt.timedelta(days=1)))  # fmt: skip
    KioskActivity.objects.create(kiosk=kiosk, day=DAY, message="11", outcome="card_not_found",
                                 count=30, last_at=at(13))  # fmt: skip
    (row,) = kiosk_monitor([busy_world.lens], at(13, 5))
    assert row.rate_jumped and row.reasons[0] == ("card_not_found", 30)


def test_the_monitor_page_and_the_home_alert(busy_world, client, clock_at):
    """A librarian of Lens sees the kiosk, its activity and why it alerts, and the alert on
    the staff home; a librarian of another library sees neither."""
    clock_at(at(14, 30))
    librarian = User.objects.create_user("bib-lens", password="x", role="librarian")
    librarian.libraries.add(busy_world.lens)
    client.force_login(librarian)
    html = client.get("/personnel/automates/").content.decode()
    assert "Borne de prêt, Lens" in html and "silencieux pendant l'ouverture" in html
    assert "33 %" in html and "code-barres inconnu (1)" in html
    home = client.get("/personnel/").content.decode()
    assert (
        "1 automate silencieux depuis 30 minutes pendant l&#x27;ouverture : Borne de prêt, Lens"
        in home
    )
    other = User.objects.create_user("bib-lievin", password="x", role="librarian")
    other.libraries.add(busy_world.lievin)
    client.force_login(other)
    assert "Borne de prêt" not in client.get("/personnel/automates/").content.decode()
    assert "automate silencieux" not in client.get("/personnel/").content.decode()


def test_the_library_is_told_by_e_mail_once_per_silence(busy_world, mailoutbox):
    """The job mails the kiosk's library when the machine falls silent during opening
    hours, not outside them, once per silence: again only after it was seen and fell
    silent anew."""
    busy_world.lens.email = "lens@example.org"
    busy_world.lens.save()
    assert kiosk_alerts_send(at(18, 45)) == "alertes d'automate envoyées : 0"
    assert kiosk_alerts_send(at(14, 30)) == "alertes d'automate envoyées : 1"
    (mail,) = mailoutbox
    assert mail.to == ["lens@example.org"]
    assert mail.subject == "Automate à vérifier : Borne de prêt, Lens (Médiathèque Robert Cousin)"
    assert "ne s'est plus manifesté depuis le 03/03/2026 13:00" in mail.body
    assert kiosk_alerts_send(at(15, 0)) == "alertes d'automate envoyées : 0"
    KioskActivity.objects.filter(message="11").update(last_at=at(15, 10))
    assert kiosk_alerts_send(at(16, 0)) == "alertes d'automate envoyées : 1"
    assert len(mailoutbox) == 2


def test_counts_are_gathered_in_memory_and_written_in_one_go(busy_world, settings):
    """With a flush period, requests are counted in the process and written together when
    the period is over (or the server stops): the counts and the last request are the same
    as written one by one."""
    from navette.sip2.activity import activity_count, activity_flush

    settings.NAVETTE_SIP2_ACTIVITY_FLUSH_SECONDS = 3600
    kiosk = KioskActivity.objects.get(message="11", outcome="ok").kiosk_id
    for minute in (30, 10, 20):
        activity_count(kiosk_id=kiosk, message="11", outcome="ok", now=at(13, minute))
    assert KioskActivity.objects.get(message="11", outcome="ok").count == 1  # not yet written
    assert activity_flush() == 1
    row = KioskActivity.objects.get(message="11", outcome="ok")
    assert (row.count, row.last_at) == (4, at(13, 30))
    assert activity_flush() == 0
