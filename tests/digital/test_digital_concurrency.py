"""The token ledger under real concurrency (PostgreSQL): no overspending."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.digital.errors import InsufficientTokens
from navette.digital.models import NetworkTokenPeriod, PatronTokenMonth, TokenEntry
from navette.digital.services import tokens_spend

from . import factories as f

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_starts_of_a_one_token_film_with_four_tokens():
    """20 threads, each on its own connection, start the same 1-token film for a patron
    with 4 tokens: exactly 4 succeed, 16 are refused, and every counter says 4."""
    patron = f.patron()
    title = f.film(f.vod(), "Film de 2019", 2019)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def start() -> None:
        try:
            barrier.wait()
            tokens_spend(patron=patron, title=title, actor=Actor.patron(patron.pk), now=NOW)
            result = "ok"
        except InsufficientTokens:
            result = "refused"
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=start) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 4 + ["refused"] * 16
    assert PatronTokenMonth.objects.get(patron=patron).spent_halves == 8
    assert TokenEntry.objects.filter(patron=patron).count() == 4
    assert NetworkTokenPeriod.objects.get(period="month").spent_halves == 8
