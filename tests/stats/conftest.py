"""Statistics fixtures: the circulation factories (libraries, patrons, copies, rules) and a
small year of loans."""

import datetime as dt

import pytest
from circulation.conftest import (  # noqa: F401  (fixtures shared with the circulation tests)
    actor,
    libs,
    make_item,
    make_patron,
    make_record,
)

from navette.circulation.services import loan_checkin, loan_checkout
from navette.core.clock import PARIS

DAY1 = dt.datetime(2025, 3, 4, 10, tzinfo=PARIS)
DAY2 = dt.datetime(2025, 3, 5, 11, tzinfo=PARIS)


@pytest.fixture
def year_2025(libs, make_patron, make_item, actor):  # noqa: F811  (the fixtures above)
    """Four borrowers in 2025: a child (Lens twice), an adult (Lens and Avion), a
    pensioner (Avion) and an adult of another commune (Lens); everything returned.
    The pensioner's and the visitor's cards have expired (purgeable next year)."""
    kept = dt.date(2027, 1, 1)
    child = make_patron(category="jeune", birth_date=dt.date(2015, 6, 1),
                        postcode="62300", city="Lens", membership_expires_on=kept)  # fmt: skip
    adult = make_patron(birth_date=dt.date(1980, 5, 1), postcode="62300", city=" lens ",
                        membership_expires_on=kept)  # fmt: skip
    senior = make_patron(birth_date=dt.date(1950, 1, 2), postcode="62210", city="Avion",
                         membership_expires_on=dt.date(2025, 4, 1))  # fmt: skip
    visitor = make_patron(birth_date=dt.date(1990, 1, 2), postcode="62000", city="Arras",
                          membership_expires_on=dt.date(2025, 4, 1))  # fmt: skip
    plan = [(child, "Lens", DAY1), (child, "Lens", DAY1), (adult, "Lens", DAY1),
            (adult, "Avion", DAY1), (senior, "Avion", DAY1), (visitor, "Lens", DAY2)]  # fmt: skip
    for patron, where, now in plan:
        item = make_item(owner=where)
        loan_checkout(item=item, patron=patron, library=libs[where], actor=actor, now=now)
        loan_checkin(item=item, library=libs[where], actor=actor, now=now + dt.timedelta(days=7))
    return {"child": child, "adult": adult, "senior": senior, "visitor": visitor}
