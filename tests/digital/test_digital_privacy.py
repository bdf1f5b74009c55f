"""The media library forgets which patron launched which title: ledger lines, monthly
counters and the journal's token events after the retention period; single sign-on
tickets and codes once expired."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.core.actors import Actor
from navette.core.audit import ANONYMOUS_PATRON_LABEL, audit_patron_events
from navette.core.clock import PARIS
from navette.core.jobs import run_jobs
from navette.core.models import AuditEvent
from navette.digital.models import (
    CasTicket,
    OidcAccessToken,
    OidcCode,
    PatronTokenMonth,
    TokenEntry,
)
from navette.digital.privacy import sso_forget, token_entries_anonymise, token_entries_cutoff
from navette.digital.selectors import usage_by_month_resource_library
from navette.digital.services import cas_login_grant, tokens_spend

from . import factories as f

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=PARIS)


def _spend(patron, title, at):  # type: ignore[no-untyped-def]
    return tokens_spend(patron=patron, title=title, actor=Actor.patron(patron.pk), now=at)


def test_which_film_a_patron_watched_is_forgotten_after_the_retention_period():
    """The finding: token entries kept forever which film each patron watched. Lines older
    than 4 months (the default) lose the patron, with the patron's counters of those
    months and the journal's token events; amounts and statistics stay; recent lines keep
    the patron (refunds, relaunch window). A second run changes nothing."""
    resource = f.vod()
    old_film, new_film = f.film(resource, "Ancien", 2019), f.film(resource, "Récent", 2019)
    patron = f.patron()
    old = dt.datetime(2026, 6, 10, 20, 0, tzinfo=PARIS)
    old_entry = _spend(patron, old_film, old)
    new_entry = _spend(patron, new_film, NOW - dt.timedelta(days=3))
    usage = usage_by_month_resource_library()
    assert token_entries_cutoff(NOW) == dt.datetime(2026, 7, 20, 15, 0, tzinfo=PARIS)

    assert dict(run_jobs(NOW, only={"digital-anonymise"}))["digital-anonymise"].startswith("1 ")

    old_entry.refresh_from_db()
    new_entry.refresh_from_db()
    assert old_entry.patron_id is None and old_entry.title == old_film
    assert old_entry.amount_halves == 2
    assert new_entry.patron_id == patron.pk
    assert list(PatronTokenMonth.objects.filter(patron=patron).values_list("month", flat=True)) == [
        "2026-11"
    ]
    old_event = AuditEvent.objects.get(action="token.spend", at=old)
    assert (old_event.actor_id, old_event.actor_label) == (None, ANONYMOUS_PATRON_LABEL)
    assert [e.at for e in audit_patron_events(patron.pk).filter(action="token.spend")] == [
        new_entry.at
    ]
    assert usage_by_month_resource_library() == usage
    assert token_entries_anonymise(now=NOW) == 0


def test_retention_period_is_a_setting(settings):
    """NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS=1 forgets a line six weeks old."""
    settings.NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS = 1
    patron = f.patron()
    entry = _spend(patron, f.film(f.vod(), "Film", 2019), NOW - dt.timedelta(weeks=6))
    assert token_entries_anonymise(now=NOW) == 1
    entry.refresh_from_db()
    assert entry.patron_id is None
    assert TokenEntry.objects.filter(patron__isnull=False).count() == 0


def test_expired_sign_in_tickets_and_codes_are_deleted():
    """A CAS ticket names the title it opened: once expired (five minutes), it is deleted,
    like expired OpenID Connect codes and access tokens; live ones stay."""
    film = f.film(f.vod(), "Film", 2019)
    patron = f.patron()
    service = f.VOD_SERVICE + f"?film={film.vendor_ref}"
    cas_login_grant(registration=film.resource.sso_service, service=service, patron=patron,
                    now=NOW - dt.timedelta(hours=1))  # fmt: skip
    cas_login_grant(registration=film.resource.sso_service, service=service, patron=patron,
                    now=NOW)  # fmt: skip
    client = f.oidc_client("http://cours.example.test/cb")
    for n, expires in enumerate((NOW - dt.timedelta(minutes=1), NOW + dt.timedelta(minutes=1))):
        OidcCode.objects.create(code_digest=f"{n}" * 64, registration=client, patron=patron,
                                redirect_uri="http://cours.example.test/cb", scope="openid",
                                code_challenge="c" * 43, created_at=NOW, expires_at=expires)  # fmt: skip
        OidcAccessToken.objects.create(token_digest=f"{n}" * 64, registration=client,
                                       patron=patron, scope="openid", expires_at=expires)  # fmt: skip
    assert sso_forget(now=NOW) == 3
    assert CasTicket.objects.count() == OidcCode.objects.count() == 1
    assert OidcAccessToken.objects.get().expires_at > NOW
    assert sso_forget(now=NOW) == 0
