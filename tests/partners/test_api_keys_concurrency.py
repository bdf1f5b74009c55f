"""The per-key rate under real concurrency (PostgreSQL): never more calls than the rate."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from navette.core.actors import Actor
from navette.core.models import Role, User
from navette.partners.models import ApiKeyWindow, Scope
from navette.partners.services import RateLimited, api_call_admit, api_key_create

NOW = dt.datetime(2026, 3, 2, 10, 0, 5, tzinfo=dt.UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_parallel_first_calls_with_a_rate_of_five():
    """12 threads, each on its own connection, make the minute's first calls with a key
    allowed 5 a minute: exactly 5 are admitted (the window row is made once), 7 are 429."""
    admin = User.objects.create_user("admin", role=Role.NETWORK_ADMIN)
    key, token = api_key_create(name="p", scopes=[Scope.CATALOGUE_READ], rate_per_minute=5,
                                actor=Actor.staff(admin), user_id=admin.pk,
                                is_network_admin=True, now=NOW)  # fmt: skip
    barrier = threading.Barrier(12)
    outcomes: list[str] = []
    lock = threading.Lock()

    def admit() -> None:
        try:
            barrier.wait()
            api_call_admit(token=token, scope=Scope.CATALOGUE_READ, method="GET", path="/x",
                           now=NOW)  # fmt: skip
            result = "ok"
        except RateLimited:
            result = "limited"
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=admit) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["limited"] * 7 + ["ok"] * 5
    assert ApiKeyWindow.objects.get(key=key).calls == 5
