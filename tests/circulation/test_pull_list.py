"""The pull list: copies to fetch from the shelves for waiting holds, each hold asked of one
library only; and the staff home page's counts of what waits today."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import HoldStatus
from navette.circulation.selectors import desk_summary, pull_list
from navette.circulation.services import hold_place, hold_suspend, loan_checkin
from navette.circulation.services.routing import CheckinAction
from navette.core.clock import PARIS
from navette.core.models import User

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
pytestmark = pytest.mark.django_db


def pulled(library):  # type: ignore[no-untyped-def]
    return [(e.item.pk, e.hold.pk) for e in pull_list(library, TODAY)]


def test_each_hold_is_pulled_at_one_library_preferring_the_pickup_library(
    libs, make_patron, make_record, make_item, actor
):
    record = make_record(title="Germinal")
    at_harnes = make_item(owner="Harnes", record=record)
    at_lens = make_item(owner="Lens", record=record)
    first = hold_place(
        patron=make_patron(), record=record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    second = hold_place(
        patron=make_patron(), record=record, pickup_library=libs["Avion"], actor=actor,
        now=NOW + dt.timedelta(minutes=1),
    )  # fmt: skip
    # the oldest hold takes the copy already at its pickup library (no navette needed),
    # the next one the remaining copy; Avion, with no copy, pulls nothing
    assert pulled(libs["Lens"]) == [(at_lens.pk, first.pk)]
    assert pulled(libs["Harnes"]) == [(at_harnes.pk, second.pk)]
    assert pulled(libs["Avion"]) == []
    # a third hold finds no free copy left: nobody pulls twice for the queue
    hold_place(
        patron=make_patron(), record=record, pickup_library=libs["Harnes"], actor=actor,
        now=NOW + dt.timedelta(minutes=2),
    )  # fmt: skip
    assert len(pulled(libs["Lens"]) + pulled(libs["Harnes"])) == 2


def test_suspended_holds_wait_and_a_hold_on_a_copy_asks_for_that_copy(
    libs, make_patron, make_record, make_item, actor
):
    record = make_record(title="Nana")
    make_item(owner="Lens", record=record)
    wanted = make_item(owner="Lens", record=record)
    away = hold_place(
        patron=make_patron(), record=record, pickup_library=libs["Lens"], actor=actor, now=NOW
    )
    hold_suspend(
        hold=away, start=TODAY, end=TODAY + dt.timedelta(days=10),
        actor=actor, now=NOW,
    )  # fmt: skip
    assert pulled(libs["Lens"]) == []
    on_copy = hold_place(
        patron=make_patron(), record=record, item=wanted, pickup_library=libs["Lens"],
        actor=actor, now=NOW,
    )  # fmt: skip
    assert pulled(libs["Lens"]) == [(wanted.pk, on_copy.pk)]


def test_a_pulled_copy_scanned_at_the_return_desk_goes_to_the_hold_shelf(
    libs, make_patron, make_record, make_item, actor
):
    record = make_record(title="L'Assommoir")
    copy = make_item(owner="Harnes", record=record)
    hold = hold_place(
        patron=make_patron(), record=record, pickup_library=libs["Harnes"], actor=actor, now=NOW
    )
    assert pulled(libs["Harnes"]) == [(copy.pk, hold.pk)]
    result = loan_checkin(item=copy, library=libs["Harnes"], actor=actor, now=NOW)
    assert result.action == CheckinAction.HOLD_SHELF
    hold.refresh_from_db()
    assert hold.status == HoldStatus.READY and hold.trapped_item_id == copy.pk
    assert pulled(libs["Harnes"]) == []
    summary = desk_summary(libs["Harnes"], NOW)
    assert (summary.to_pull, summary.hold_shelf, summary.to_send) == (0, 1, 0)


def test_staff_home_and_navette_page_show_what_waits_today(
    client, clock_at, libs, make_patron, make_record, make_item, actor
):
    clock_at(NOW)
    record = make_record(title="La Bête humaine")
    copy = make_item(owner="Lens", record=record, call_number="R ZOL")
    hold_place(
        patron=make_patron(), record=record, pickup_library=libs["Avion"], actor=actor, now=NOW
    )
    user = User.objects.create_user("bib", password="x", role="librarian")
    user.libraries.add(libs["Lens"])
    client.force_login(user)
    home = client.get("/personnel/").content.decode()
    assert "Aujourd&#x27;hui à" in home or "Aujourd'hui à" in home
    row = home.split("Documents à sortir des rayons pour les réservations")[1]
    assert row.split('class="count">')[1].startswith("1<")
    navette = client.get("/personnel/circulation/navette/").content.decode()
    section = navette.split('id="rayons"')[1].split('id="envoyer"')[0]
    assert "R ZOL" in section and "La Bête humaine" in section and copy.barcode in section
    assert "Avion" in section  # where the patron collects it
