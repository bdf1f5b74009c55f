"""The loan-rule simulator: a lowered limit gives the expected refusals on a fixed set of
facts (pure), shorter periods change loan lengths and overdue days, renewals are re-decided;
replaying the database's facts never changes the published rules."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.circulation.models import LoanRule
from navette.circulation.policies import RuleRow
from navette.reports.simulator import CHECKIN, CHECKOUT, RENEW, FactRow, rules_replay, simulate

D = dt.date(2025, 3, 3)  # a Monday
NETWORK_RULE = [RuleRow(loan_days=21, max_renewals=2, max_loans=20)]
ANY_DAY: dict = {}  # no schedule: every day is a due day as computed


def _fact(days: int, action: str, who: str, doc: str = "book", library: int = 1,
          age: str = "15-64") -> FactRow:  # fmt: skip
    return FactRow(D + dt.timedelta(days=days), action, library, doc, None, age, who)


def test_a_lowered_limit_refuses_the_loans_over_it():
    """Books limited to 2: the third book Anne holds at once is refused (at library 1, book,
    15-64, max_loans_type); once she returned one, the next is lent, the one after refused
    again; Bob, with one
    book and a film, is never refused."""
    facts = [
        _fact(0, CHECKOUT, "anne"), _fact(1, CHECKOUT, "anne"), _fact(2, CHECKOUT, "anne"),
        _fact(3, CHECKOUT, "bob"), _fact(3, CHECKOUT, "bob", doc="video", library=2),
        _fact(10, CHECKIN, "anne"), _fact(11, CHECKOUT, "anne"), _fact(12, CHECKOUT, "anne"),
    ]  # fmt: skip
    draft = [*NETWORK_RULE, RuleRow(doc_type="book", max_loans=2)]
    impact = simulate(facts, current=NETWORK_RULE, draft=draft, schedules=ANY_DAY)
    assert (impact.loans, impact.refused) == (7, 2)
    assert dict(impact.refused_by_library) == {1: 2}
    assert dict(impact.refused_by_doc_type) == {"book": 2}
    assert dict(impact.refused_by_age_group) == {"15-64": 2}
    assert dict(impact.refused_by_reason) == {"max_loans_type": 2}
    assert (impact.shorter, impact.longer) == (0, 0)


def test_a_shorter_period_shortens_loans_and_adds_overdue_days():
    """14 days instead of 21: both loans shorter; a book returned after 20 days was on time
    and is 6 days late under the draft; a renewal beyond the draft's one renewal is refused."""
    facts = [
        _fact(0, CHECKOUT, "anne"), _fact(20, CHECKIN, "anne"),
        _fact(0, CHECKOUT, "bob"), _fact(10, RENEW, "bob"), _fact(20, RENEW, "bob"),
    ]  # fmt: skip
    draft = [RuleRow(loan_days=14, max_renewals=1, max_loans=20)]
    impact = simulate(facts, current=NETWORK_RULE, draft=draft, schedules=ANY_DAY)
    assert (impact.shorter, impact.longer, impact.refused) == (2, 0, 0)
    assert (impact.overdue_days_now, impact.overdue_days_draft) == (0, 6)
    assert (impact.renewals, impact.renewals_refused) == (2, 1)


@pytest.mark.django_db
def test_replaying_the_database_never_changes_the_published_rules(year_2025, libs):
    """The child borrowed two books at once at Lens, the adult one at Lens then one at Avion:
    with books limited to one, each second loan is refused (Lens for the child, 0-14; Avion
    for the adult, 15-64); the published rules are as they were."""
    before = list(LoanRule.objects.order_by("pk").values())
    impact = rules_replay(change=RuleRow(doc_type="book", max_loans=1),
                          today=dt.date(2025, 12, 1))  # fmt: skip
    assert (impact.loans, impact.refused) == (6, 2)
    assert dict(impact.refused_by_library) == {libs["Lens"].pk: 1, libs["Avion"].pk: 1}
    assert dict(impact.refused_by_age_group) == {"0-14": 1, "15-64": 1}
    assert list(LoanRule.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_the_simulator_page_is_for_network_administrators(year_2025, libs, client, clock_at):
    """A network administrator sees the refusals of a lowered limit; a statistician is
    refused; a limit that is not a number is a clear error."""
    from navette.core.clock import PARIS
    from navette.core.models import Role, User

    clock_at(dt.datetime(2025, 12, 1, 10, tzinfo=PARIS))
    client.force_login(User.objects.create_user("stat", password="x", role=Role.STATISTICIAN))
    url = "/personnel/statistiques/simulateur-regles/"
    assert client.get(url).status_code == 403
    client.force_login(User.objects.create_user("adm", password="x", role=Role.NETWORK_ADMIN))
    page = client.get(url, {"type": "book", "maximum": "1"}).content.decode()
    assert "Prêts refusés</th><td>2</td>" in page
    bad = client.get(url, {"maximum": "beaucoup"})
    assert bad.status_code == 400 and "un nombre entier" in bad.content.decode()
