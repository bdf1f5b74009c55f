"""Staff and administrator logins are throttled per account and per client address
(django-axes, navette.core.throttle); lockouts are audited and expire."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import override_settings
from django.urls import reverse

from navette.core.client import client_ip
from navette.core.jobs import run_jobs
from navette.core.models import AuditEvent, User
from navette.core.throttle import AUDIT_LOCKOUT

pytestmark = pytest.mark.django_db

PASSWORD = "juste-le-bon-mot-de-passe"  # noqa: S105
ATTACKER = "192.0.2.66"


@pytest.fixture
def librarian():
    return User.objects.create_user("biblio", password=PASSWORD, role="librarian")


@pytest.fixture
def admin_user():
    return User.objects.create_user("admin", password=PASSWORD, role="network_admin")


def staff_login(client, username, password, address=ATTACKER, **extra):
    return client.post(
        reverse("staff:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def admin_login(client, username, password, address=ATTACKER):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_staff_login_refuses_the_right_password_after_30_wrong_ones(client, librarian):
    """30 wrong passwords, then the right one: refused (429, no session), the password is
    not even checked while locked; the lockout is written once to the audit journal and
    every failure to axes' failure log."""
    for attempt in range(30):
        response = staff_login(client, "biblio", f"faux-{attempt}")
        assert response.status_code in (200, 429)
        assert not logged_in(client)
    response = staff_login(client, "biblio", PASSWORD)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert not logged_in(client)
    events = AuditEvent.objects.filter(action=AUDIT_LOCKOUT)
    assert events.count() == 1
    assert events.get().data == {
        "username": "biblio",
        "address": ATTACKER,
        "path": reverse("staff:login"),
    }
    assert AccessFailureLog.objects.filter(username="biblio").count() == 31


def test_the_fifth_failure_locks_the_account_not_the_fourth(client, librarian):
    """Four wrong passwords leave the account usable; the fifth locks it."""
    for attempt in range(4):
        assert staff_login(client, "biblio", f"faux-{attempt}").status_code == 200
    assert staff_login(client, "biblio", PASSWORD).status_code == 302
    assert logged_in(client)
    client.logout()
    for attempt in range(5):
        staff_login(client, "biblio", f"faux-{attempt}")
    assert staff_login(client, "biblio", PASSWORD).status_code == 429


def test_admin_login_refuses_the_right_password_after_30_wrong_ones(client, admin_user):
    """The administration's own login page is guarded the same way."""
    for attempt in range(30):
        admin_login(client, "admin", f"faux-{attempt}")
    response = admin_login(client, "admin", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    # the lock is per account: from elsewhere, the administrator is still refused
    assert admin_login(client, "admin", PASSWORD, address="198.51.100.9").status_code == 429


def test_an_address_that_tried_many_accounts_is_throttled(client, librarian):
    """20 failures from one address, spread over accounts that each stay under their own
    limit, lock the address: a real account from that address is refused, the same account
    from another address logs in."""
    for name in ("alice", "bruno", "chloe", "denis", "elise"):
        for attempt in range(4):
            staff_login(client, name, f"faux-{attempt}")
    response = staff_login(client, "biblio", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    response = staff_login(client, "biblio", PASSWORD, address="198.51.100.9")
    assert response.status_code == 302
    assert logged_in(client)


def test_nineteen_failures_from_an_address_do_not_lock_it(client, librarian):
    """Under the per-address limit, other accounts from the address still log in."""
    for index in range(19):
        staff_login(client, f"inconnu-{index}", "faux")
    assert staff_login(client, "biblio", PASSWORD).status_code == 302


def test_the_lockout_expires(client, librarian):
    """After NAVETTE_STAFF_LOCKOUT_MINUTES (15) without attempts, the account logs in again."""
    for attempt in range(5):
        staff_login(client, "biblio", f"faux-{attempt}")
    assert staff_login(client, "biblio", PASSWORD).status_code == 429
    # 14 minutes later: still locked
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14))
    assert staff_login(client, "biblio", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    response = staff_login(client, "biblio", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_forwarded_addresses_are_ignored_unless_the_proxy_is_trusted(client, librarian):
    """Without NAVETTE_TRUSTED_PROXIES, an attacker cannot escape the per-address count by
    sending a new X-Forwarded-For with each attempt."""
    for index in range(20):
        staff_login(client, f"inconnu-{index}", "faux", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")
    assert staff_login(client, "biblio", PASSWORD).status_code == 429


@override_settings(NAVETTE_TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"])
def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, librarian):
    """Behind a trusted proxy every client is counted apart: 20 failures from one forwarded
    address lock it, not the proxy, so other clients of the same proxy still log in."""
    for index in range(20):
        staff_login(
            client, f"inconnu-{index}", "faux", address="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"{ATTACKER}, 10.1.2.3",
        )  # fmt: skip
    locked = staff_login(
        client, "biblio", PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER
    )
    assert locked.status_code == 429
    other = staff_login(
        client, "biblio", PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert other.status_code == 302


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "192.0.2.1", "203.0.113.5", "192.0.2.1"),
        (["127.0.0.1"], "127.0.0.1", "203.0.113.5", "203.0.113.5"),
        (["127.0.0.1"], "127.0.0.1", "203.0.113.5, 198.51.100.1", "198.51.100.1"),
        (["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", "203.0.113.5, 10.0.0.4", "203.0.113.5"),
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1", "pas-une-adresse", "127.0.0.1"),
        (["127.0.0.1"], "192.0.2.1", "203.0.113.5", "192.0.2.1"),
    ],
)
def test_client_ip(rf, settings, trusted, remote, forwarded, expected):
    """The client is the right-most forwarded address that is not a trusted proxy, and
    X-Forwarded-For counts only when the peer is a trusted proxy."""
    settings.NAVETTE_TRUSTED_PROXIES = trusted
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_staff_login_logs_are_forgotten_after_their_retention(client, librarian):
    """The scheduled job deletes login logs older than NAVETTE_STAFF_LOGIN_LOG_DAYS (180)
    and keeps the recent ones."""
    staff_login(client, "biblio", "faux")
    staff_login(client, "biblio", PASSWORD)
    now = dt.datetime.now(dt.UTC)
    assert AccessLog.objects.count() == 1 and AccessFailureLog.objects.count() == 1
    assert run_jobs(now, only={"staff-login-logs"}) == [
        ("staff-login-logs", "0 entrées du journal des connexions du personnel effacées")
    ]
    AccessLog.objects.update(attempt_time=now - dt.timedelta(days=181))
    AccessFailureLog.objects.update(attempt_time=now - dt.timedelta(days=181))
    assert run_jobs(now, only={"staff-login-logs"}) == [
        ("staff-login-logs", "2 entrées du journal des connexions du personnel effacées")
    ]
    assert not AccessLog.objects.exists() and not AccessFailureLog.objects.exists()
