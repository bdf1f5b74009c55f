"""The token ledger: spending, refusals, monthly renewal, network caps and alerts, refunds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.errors import ValidationFailed
from navette.core.models import Role, User
from navette.digital.errors import (
    AccessRefused,
    AlreadyRefunded,
    InsufficientTokens,
    NetworkCapReached,
)
from navette.digital.models import (
    CategoryAllowance,
    NetworkTokenPeriod,
    PatronTokenMonth,
    TokenEntry,
    UsageFact,
)
from navette.digital.selectors import (
    patron_balance,
    token_settings,
    usage_by_month_resource_library,
)
from navette.digital.services import tokens_refund, tokens_spend
from navette.patrons.models import PatronBlock

from . import factories as f

pytestmark = pytest.mark.django_db

NOV = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)
STAFF = Actor.system("test-staff")


@pytest.fixture
def films():
    resource = f.vod()
    return {
        "one_and_half": f.film(resource, "Film de 2024", 2024),  # 1.5 tokens in 2026
        "one": f.film(resource, "Film de 2019", 2019),  # 1 token
        "two": f.film(resource, "Film de 2026", 2026),  # 2 tokens
        "half": f.film(resource, "Film de 1960", 1960),  # 0.5 token
    }


def spend(patron, title, now=NOV):
    return tokens_spend(patron=patron, title=title, actor=Actor.patron(patron.pk), now=now)


def test_spend_debits_cost_and_records_entry_and_usage(films):
    """A 1.5-token film takes a 4-token balance to 2.5, with a ledger line and a usage fact."""
    patron = f.patron()
    assert patron_balance(patron, NOV).left == 8
    entry = spend(patron, films["one_and_half"])
    assert entry.amount_halves == 3 and entry.month == "2026-11"
    assert patron_balance(patron, NOV).left == 5  # 2.5 tokens
    fact = UsageFact.objects.get()
    assert (fact.launches, fact.tokens_halves, fact.library_id) == (1, 3, patron.home_library_id)


def test_refused_when_balance_too_low_then_renewed_on_the_first(films):
    """With 0.5 token left a 1-token film is refused, with a clear message and nothing
    changed; on the 1st of next month (Paris) the balance is back to 4."""
    patron = f.patron()
    spend(patron, films["two"])
    spend(patron, films["one_and_half"])  # 0.5 left
    assert patron_balance(patron, NOV).left == 1  # 0.5 token
    before = (TokenEntry.objects.count(), UsageFact.objects.count())
    with pytest.raises(InsufficientTokens) as exc:
        spend(patron, films["one"])
    assert "Votre solde de jetons ce mois-ci est de 0,5" in exc.value.message
    assert "en coûte 1" in exc.value.message
    assert "revient à 4 le 1er décembre 2026" in exc.value.message
    assert (TokenEntry.objects.count(), UsageFact.objects.count()) == before
    assert PatronTokenMonth.objects.get(patron=patron).spent_halves == 7

    last_minute = dt.datetime(2026, 11, 30, 23, 59, tzinfo=PARIS)
    assert patron_balance(patron, last_minute).left == 1  # 0.5 token
    first = dt.datetime(2026, 12, 1, 0, 1, tzinfo=PARIS)
    assert patron_balance(patron, first).left == 8  # 4 tokens
    spend(patron, films["one"], now=first)
    assert patron_balance(patron, first).left == 6  # 3 tokens


def test_category_allowance_overrides_network_default(films):
    """A category with 2 tokens a month cannot start a 1.5 then a 1-token film."""
    ts = token_settings()
    CategoryAllowance.objects.create(settings=ts, category=f.category("jeune"), allowance_halves=4)
    young = f.patron(category=f.category("jeune"))
    assert patron_balance(young, NOV).allowance == 4  # 2 tokens
    spend(young, films["one_and_half"])
    with pytest.raises(InsufficientTokens):
        spend(young, films["one"])


def test_expired_or_blocked_card_cannot_spend(films):
    """Expired and blocked cards are refused and nothing is debited."""
    expired = f.patron(membership_expires_on=dt.date(2026, 11, 1))
    with pytest.raises(AccessRefused) as exc:
        spend(expired, films["one"])
    assert "expiré" in exc.value.message
    blocked = f.patron()
    PatronBlock.objects.create(patron=blocked, reason="Carte perdue", created_at=NOV)
    with pytest.raises(AccessRefused):
        spend(blocked, films["one"])
    assert not PatronTokenMonth.objects.filter(spent_halves__gt=0).exists()
    assert not TokenEntry.objects.exists()


def test_network_monthly_cap_alerts_at_80_percent_and_stops_at_100(
    films, django_capture_on_commit_callbacks
):
    """With a monthly cap of 5 tokens: administrators are e-mailed once when spending
    reaches 4 tokens (80%), and at 5 tokens nobody can spend any more."""
    ts = token_settings()
    ts.monthly_cap_halves = 10
    ts.save()
    User.objects.create(username="admin1", email="admin1@reseau.test", role=Role.NETWORK_ADMIN)
    User.objects.create(username="admin2", email="admin2@reseau.test", role=Role.NETWORK_ADMIN)
    User.objects.create(username="biblio", email="biblio@reseau.test", role=Role.LIBRARIAN)
    a, b, c = f.patron(), f.patron(), f.patron()
    with django_capture_on_commit_callbacks(execute=True):
        spend(a, films["two"])  # 2
        spend(b, films["one"])  # 3
        assert mail.outbox == []
        spend(c, films["one"])  # 4 = 80%
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert sorted(alert.to) == ["admin1@reseau.test", "admin2@reseau.test"]
    assert "80 %" in alert.subject and "2026-11" in alert.subject
    with django_capture_on_commit_callbacks(execute=True):
        spend(a, films["one"])  # 5 = 100%
    assert len(mail.outbox) == 1  # alerted once only
    for patron in (a, b, c, f.patron()):
        with pytest.raises(NetworkCapReached) as exc:
            spend(patron, films["half"])
        assert "plafond mensuel" in exc.value.message
    month = NetworkTokenPeriod.objects.get(period="month", key="2026-11")
    assert month.spent_halves == 10
    # the refused spends left the patrons' months untouched
    assert PatronTokenMonth.objects.get(patron=b).spent_halves == 2
    # December is a new month for the network too
    spend(b, films["half"], now=dt.datetime(2026, 12, 1, 9, 0, tzinfo=PARIS))


def test_network_yearly_cap_stops_spending(films):
    ts = token_settings()
    ts.yearly_cap_halves = 4
    ts.save()
    patron = f.patron()
    spend(patron, films["one"])
    spend(patron, films["one"], now=dt.datetime(2026, 12, 2, 10, 0, tzinfo=PARIS))
    with pytest.raises(NetworkCapReached) as exc:
        spend(f.patron(), films["half"], now=dt.datetime(2026, 12, 3, 10, 0, tzinfo=PARIS))
    assert "plafond annuel" in exc.value.message


def test_refund_gives_tokens_back_once_with_a_reason(films):
    """Staff refund a spend with a reason: the patron and the network get it back; twice is refused."""
    patron = f.patron()
    entry = spend(patron, films["two"])
    with pytest.raises(ValidationFailed):
        tokens_refund(entry=entry, reason="  ", actor=STAFF, now=NOV)
    refund = tokens_refund(entry=entry, reason="Film illisible", actor=STAFF, now=NOV)
    assert refund.amount_halves == -4 and refund.reason == "Film illisible"
    assert patron_balance(patron, NOV).left == 8
    assert NetworkTokenPeriod.objects.get(period="month").spent_halves == 0
    assert NetworkTokenPeriod.objects.get(period="year").spent_halves == 0
    with pytest.raises(AlreadyRefunded):
        tokens_refund(entry=entry, reason="encore", actor=STAFF, now=NOV)
    rows = usage_by_month_resource_library()
    assert [(r.launches, r.tokens_halves) for r in rows] == [(1, 0)]


def test_usage_counts_survive_patron_deletion(films):
    """Launches and tokens per resource, library and month stay after the patron is deleted."""
    patron = f.patron()
    other = f.patron(home_library=f.library("roubaix"))
    spend(patron, films["two"])
    spend(patron, films["one"], now=dt.datetime(2026, 12, 5, 10, 0, tzinfo=PARIS))
    spend(other, films["one"])
    before = usage_by_month_resource_library()
    patron.delete()
    other.delete()
    after = usage_by_month_resource_library()
    assert after == before
    assert [(r.month, r.library, r.launches, r.tokens_halves) for r in after] == [
        ("2026-11", "Médiathèque lille", 1, 4),
        ("2026-11", "Médiathèque roubaix", 1, 2),
        ("2026-12", "Médiathèque lille", 1, 2),
    ]
    assert TokenEntry.objects.filter(patron__isnull=True).count() == 3
