"""Pure rules of the online media library: no database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from navette.core.clock import PARIS
from navette.digital import policies
from navette.digital.errors import AccessRefused
from navette.digital.formats import format_tokens

UTC = dt.UTC


@pytest.mark.parametrize(
    ("instant", "month"),
    [
        (dt.datetime(2026, 11, 30, 22, 59, tzinfo=UTC), "2026-11"),  # 23:59 in Paris
        (dt.datetime(2026, 11, 30, 23, 0, tzinfo=UTC), "2026-12"),  # midnight in Paris
        (dt.datetime(2026, 3, 31, 21, 59, tzinfo=UTC), "2026-03"),  # 23:59 summer time
        (dt.datetime(2026, 3, 31, 22, 0, tzinfo=UTC), "2026-04"),
        (dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "2027-01"),
    ],
)
def test_month_key_follows_paris_calendar(instant, month):
    """The token month changes at midnight in Paris on the 1st, not at midnight UTC."""
    assert policies.month_key(instant) == month


@pytest.mark.parametrize(
    ("release_year", "cost"),
    [(2026, 4), (2025, 3), (2023, 3), (2022, 2), (2016, 2), (2015, 1), (1950, 1), (None, 4)],
)
def test_default_cost_rule_by_years_since_release(release_year, cost):
    """2 tokens in the release year, 1.5 up to 3 years, 1 up to 10, 0.5 beyond; unknown: dearest."""
    assert policies.token_cost(release_year, dt.date(2026, 11, 22)) == cost


def test_configured_cost_rule():
    """A network's own bands replace the default rule."""
    bands = [[1, 2], [5, 1]]
    today = dt.date(2026, 1, 1)
    assert policies.token_cost(2025, today, bands, oldest=1) == 2
    assert policies.token_cost(2021, today, bands, oldest=1) == 1
    assert policies.token_cost(2000, today, bands, oldest=3) == 3


@pytest.mark.parametrize(("halves", "text"), [(8, "4"), (5, "2,5"), (1, "0,5"), (0, "0")])
def test_format_tokens(halves, text):
    assert format_tokens(halves) == text


def test_allowance_override_by_category():
    assert policies.monthly_allowance(8, {"jeune": 4}, "jeune") == 4
    assert policies.monthly_allowance(8, {"jeune": 4}, "adulte") == 8


def test_alert_threshold_rounds_up():
    assert policies.alert_threshold(10, 80) == 8
    assert policies.alert_threshold(7, 80) == 6  # 5.6 -> 6


def _decide(**overrides):
    values = dict(
        today=dt.date(2026, 11, 22),
        membership_expires_on=dt.date(2027, 1, 1),
        blocked=False,
        category_code="adulte",
        allowed_categories=(),
        age=30,
        minimum_age=0,
    )
    values.update(overrides)
    return policies.access_decision(**values)


def test_access_decisions():
    """Expired and blocked cards are refused with a clear reason; category and age are checked."""
    assert _decide().allowed
    expired = _decide(membership_expires_on=dt.date(2026, 11, 21))
    assert (expired.allowed, expired.code) == (False, "card_expired")
    assert expired.data == {"expired_on": dt.date(2026, 11, 21)}
    # the policy says when; the words, with the date in the reader's format, are the
    # interface's (digital.messages through the error's code)
    refusal = AccessRefused(reason=expired.code, **expired.data)
    assert "21 novembre 2026" in refusal.message
    with translation.override("en"):
        assert "November 21, 2026" in refusal.message
    assert _decide(blocked=True).code == "card_blocked"
    assert _decide(allowed_categories=["jeune"]).code == "category_not_allowed"
    assert _decide(allowed_categories=["adulte"]).allowed
    assert _decide(minimum_age=16, age=12).code == "too_young"
    assert _decide(minimum_age=16, age=None).code == "too_young"


def test_paris_constant_is_used():
    assert policies.month_key(dt.datetime(2026, 1, 1, 0, 0, tzinfo=PARIS)) == "2026-01"
