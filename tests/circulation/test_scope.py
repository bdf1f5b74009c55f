"""Library scope in the domain: every use case refuses a librarian acting at another
library (``OutOfScope``, audited, nothing changed), whatever interface calls it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from navette.circulation.models import Fine, Hold, HoldStatus, Loan
from navette.circulation.services import (
    fines_pay,
    hold_cancel,
    hold_change_pickup,
    hold_place,
    hold_suspend,
    loan_checkin,
    loan_checkout,
    loan_renew,
    transit_receive,
)
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.models import AuditEvent, Role, User
from navette.events.services import event_create
from navette.network.scope import OutOfScope, actor_may_act_at, staff_libraries, user_may_act_at

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(libs):
    def make(name: str, role: str = Role.LIBRARIAN, *libraries: str) -> User:
        user = User.objects.create_user(name, password="x", role=role)
        user.libraries.add(*(libs[c] for c in libraries))
        return user

    return make


def test_the_policy_by_role(staff, libs):
    """A network administrator acts everywhere and for the whole network; a librarian at the
    attached libraries only; a statistician or a deactivated account nowhere; non-staff
    actors (kiosk, patron, job) are not restricted by it."""
    admin = staff("a", Role.NETWORK_ADMIN)
    avion = staff("b", Role.LIBRARIAN, "Avion")
    stat = staff("s", Role.STATISTICIAN, "Avion")
    gone = staff("g", Role.LIBRARIAN, "Avion")
    gone.is_active = False
    gone.save()
    lens, av = libs["Lens"].pk, libs["Avion"].pk
    assert user_may_act_at(admin, lens) and user_may_act_at(admin, None)
    assert user_may_act_at(avion, av) and not user_may_act_at(avion, lens)
    assert not user_may_act_at(avion, None) and not user_may_act_at(stat, av)
    assert actor_may_act_at(Actor.staff(admin), [lens])
    assert actor_may_act_at(Actor.staff(avion), [lens, av])
    assert not actor_may_act_at(Actor.staff(avion), [lens])
    assert not actor_may_act_at(Actor.staff(avion), [None])
    assert not actor_may_act_at(Actor.staff(stat), [av])
    assert not actor_may_act_at(Actor.staff(gone), [av])
    for other in (Actor.kiosk(1, "k"), Actor.patron(1), Actor.system("job")):
        assert actor_may_act_at(other, [lens])
    assert list(staff_libraries(avion)) == [libs["Avion"]]
    assert staff_libraries(admin).count() > 2 and not staff_libraries(stat).exists()


def _cases(libs: dict, make_item: Any, make_patron: Any, actor: Actor) -> dict[str, Callable]:
    """Each use case called at Lens (or on Lens data), as a function of the acting actor."""
    lens = libs["Lens"]
    patron = make_patron(home="Lens")
    free = make_item(owner="Lens")
    lent = make_item(owner="Lens")
    loan = loan_checkout(item=lent, patron=patron, library=lens, actor=actor, now=NOW)
    held = make_item(owner="Lens")
    hold = hold_place(patron=patron, record=held.record, pickup_library=lens, actor=actor, now=NOW)
    debtor = make_patron(home="Lens")
    old = loan_checkout(item=make_item(owner="Lens"), patron=debtor, library=lens, actor=actor,
                        now=NOW)  # fmt: skip
    Fine.objects.create(patron=debtor, loan=old, amount_cents=150, created_at=NOW)
    return {
        "loan.checkout": lambda a: loan_checkout(
            item=free, patron=patron, library=lens, actor=a, now=NOW
        ),  # fmt: skip
        "loan.checkin": lambda a: loan_checkin(item=lent, library=lens, actor=a, now=NOW),
        "loan.renew": lambda a: loan_renew(loan=loan, actor=a, now=NOW),
        "hold.place": lambda a: hold_place(
            patron=patron, record=free.record, pickup_library=lens, actor=a, now=NOW
        ),  # fmt: skip
        "hold.cancel": lambda a: hold_cancel(hold=hold, actor=a, now=NOW),
        "hold.suspend": lambda a: hold_suspend(
            hold=hold, start=NOW.date(), end=None, actor=a, now=NOW
        ),  # fmt: skip
        "hold.change_pickup": lambda a: hold_change_pickup(
            hold=hold, pickup_library=libs["Avion"], actor=a, now=NOW
        ),  # fmt: skip
        "fine.pay": lambda a: fines_pay(
            patron=debtor, amount_cents=100, method="cash", library=None, actor=a, now=NOW
        ),  # fmt: skip
        "transit.receive": lambda a: transit_receive(item=free, library=lens, actor=a, now=NOW),
        "event.create": lambda a: event_create(
            fields={
                "title": "Heure du conte",
                "library": lens,
                "starts_at": NOW,
                "ends_at": NOW + dt.timedelta(hours=1),
            },
            actor=a,
            now=NOW,
        ),  # fmt: skip
    }


@pytest.mark.parametrize(
    "action",
    ["loan.checkout", "loan.checkin", "loan.renew", "hold.place", "hold.cancel", "hold.suspend",
     "hold.change_pickup", "fine.pay", "transit.receive", "event.create"],
)  # fmt: skip
def test_an_avion_librarian_is_refused_at_lens(action, staff, libs, make_item, make_patron, actor):
    """The use case refuses before changing anything and leaves a ``scope.refused`` audit entry
    naming what was attempted and where."""
    run = _cases(libs, make_item, make_patron, actor)[action]
    avion = Actor.staff(staff("bib-avion", Role.LIBRARIAN, "Avion"))
    before = (
        list(Loan.objects.values_list("pk", "returned_at", "renewals", "due_on")),
        list(Hold.objects.values_list("pk", "status", "pickup_library", "suspended_from")),
        list(Fine.objects.values_list("pk", "paid_cents")),
        AuditEvent.objects.exclude(action="scope.refused").count(),
    )
    with pytest.raises(OutOfScope) as refused:
        run(avion)
    assert refused.value.code == "forbidden_library"
    assert refused.value.message == "Vous ne travaillez pas à Lens."
    after = (
        list(Loan.objects.values_list("pk", "returned_at", "renewals", "due_on")),
        list(Hold.objects.values_list("pk", "status", "pickup_library", "suspended_from")),
        list(Fine.objects.values_list("pk", "paid_cents")),
        AuditEvent.objects.exclude(action="scope.refused").count(),
    )
    assert after == before
    event = AuditEvent.objects.get(action="scope.refused")
    assert event.data["attempted"] == action and event.library_id == libs["Lens"].pk
    assert event.actor_label == "bib-avion"


@pytest.mark.parametrize("role", ["lens", "admin"])
@pytest.mark.parametrize(
    "action",
    ["loan.checkout", "loan.checkin", "loan.renew", "hold.place", "hold.cancel", "hold.suspend",
     "hold.change_pickup", "fine.pay", "event.create"],
)  # fmt: skip
def test_lens_staff_and_administrators_may(action, role, staff, libs, make_item, make_patron,
                                           actor):  # fmt: skip
    """The same use cases pass the scope check for a Lens librarian and an administrator."""
    run = _cases(libs, make_item, make_patron, actor)[action]
    user = (
        staff("admin", Role.NETWORK_ADMIN)
        if role == "admin"
        else staff("bib-lens", Role.LIBRARIAN, "Lens")
    )
    run(Actor.staff(user))
    assert not AuditEvent.objects.filter(action="scope.refused").exists()
    if action == "hold.cancel":
        assert Hold.objects.filter(status=HoldStatus.CANCELLED).exists()
