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
from navette.digital.services import cas_login_grant, cas_ticket_validate, tokens_spend

from . import factories as f

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_starts_of_one_token_films_with_four_tokens():
    """20 threads, each on its own connection, start 20 different 1-token films for a patron
    with 4 tokens: exactly 4 succeed, 16 are refused, and every counter says 4."""
    patron = f.patron()
    resource = f.vod()
    titles = [f.film(resource, f"Film {n}", 2019) for n in range(20)]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def start(title) -> None:  # type: ignore[no-untyped-def]
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

    threads = [threading.Thread(target=start, args=(title,)) for title in titles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 4 + ["refused"] * 16
    assert PatronTokenMonth.objects.get(patron=patron).spent_halves == 8
    assert TokenEntry.objects.filter(patron=patron).count() == 4
    assert NetworkTokenPeriod.objects.get(period="month").spent_halves == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_validations_of_one_title_charge_it_once():
    """A patron relaunches one film 20 times and the vendor validates the 20 CAS tickets at
    the same instant, each on its own connection: all 20 are honoured (the film's access
    window covers them) and the film is charged once."""
    patron = f.patron()
    title = f.film(f.vod(), "Film de 2019", 2019)
    service = f.VOD_SERVICE + f"?film={title.vendor_ref}"
    tickets = [
        cas_login_grant(
            registration=title.resource.sso_service, service=service, patron=patron, now=NOW
        ).split("ticket=")[1]
        for _ in range(20)
    ]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def validate(ticket: str) -> None:
        try:
            barrier.wait()
            result = cas_ticket_validate(ticket=ticket, service=service, now=NOW)
            outcome = "ok" if result.ok else f"refused: {result.message}"
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=validate, args=(t,)) for t in tickets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["ok"] * 20
    assert TokenEntry.objects.filter(patron=patron).count() == 1
    assert PatronTokenMonth.objects.get(patron=patron).spent_halves == 2
    assert NetworkTokenPeriod.objects.get(period="month").spent_halves == 2
