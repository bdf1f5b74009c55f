"""Privacy of the patrons app: inactive patron purge, and the "all my data" export, which
must cover every table holding something about the patron."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.apps import apps
from django.db import models

from navette.circulation.models import Fine, FinePayment, Hold, Loan, PaymentMethod
from navette.core.actors import Actor
from navette.core.audit import audit_patron_events
from navette.core.models import AuditEvent
from navette.core.privacy import patron_data_exempt, patron_data_sections
from navette.digital.models import OidcAccessToken, OidcCode
from navette.digital.services import cas_login_grant, tokens_spend
from navette.events.models import Registration
from navette.notices.models import NoticeKind, SentNotice
from navette.patrons.models import FederatedPatron, Patron, PatronBlock
from navette.patrons.privacy import export_csv, export_json, patron_data_export, patrons_purge
from navette.patrons.services import add_months
from tests.catalogue.factories import make_item
from tests.circulation.factories import make_loan
from tests.digital import factories as digital
from tests.events import factories as events
from tests.network.factories import make_library
from tests.patrons.factories import NOW, make_patron

pytestmark = pytest.mark.django_db


def _returned_loan(patron, library, returned_at):  # type: ignore[no-untyped-def]
    item = make_item(library=library)
    loan = make_loan(
        item=item, patron=patron, library=library, now=returned_at - dt.timedelta(days=20)
    )
    Loan.objects.filter(pk=loan.pk).update(returned_at=returned_at)
    return loan


def test_inactive_patron_purged_only_without_open_loans():
    """Membership ended over 12 months ago: deleted if nothing is open; kept with an open
    loan; past loans survive without the patron; the journal no longer names them."""
    library = make_library()
    long_ago = NOW - dt.timedelta(days=800)
    gone = make_patron(library=library, now=long_ago)
    kept = make_patron(library=library, now=long_ago)
    recent = make_patron(library=library, now=long_ago)
    Patron.objects.filter(pk__in=[gone.pk, kept.pk]).update(
        membership_expires_on=add_months(NOW.date(), -13), last_activity_at=long_ago
    )
    Patron.objects.filter(pk=recent.pk).update(
        membership_expires_on=add_months(NOW.date(), -11), last_activity_at=long_ago
    )
    past = _returned_loan(gone, library, long_ago + dt.timedelta(days=30))
    make_loan(
        item=make_item(library=library),
        patron=kept,
        library=library,
        now=long_ago + dt.timedelta(days=1),
    )

    assert audit_patron_events(gone.pk).exists()

    assert patrons_purge(now=NOW) == 1
    assert not Patron.objects.filter(pk=gone.pk).exists()
    assert Patron.objects.filter(pk__in=[kept.pk, recent.pk]).count() == 2
    past.refresh_from_db()
    assert past.patron_id is None
    # the journal forgets the deleted patron, whatever the age of the events
    assert not audit_patron_events(gone.pk).exists()
    assert gone.card_number not in str(list(AuditEvent.objects.values()))
    assert patrons_purge(now=NOW) == 0


def test_export_holds_everything_but_the_pin():
    """The JSON and CSV exports list identity, cards and loans; never the PIN hash."""
    library = make_library()
    patron = make_patron(library=library, first_name="Éloïse")
    make_loan(
        item=make_item(library=library, title="Les Misérables"),
        patron=patron,
        library=library,
        now=NOW,
    )
    data = json.loads(export_json(patron))
    assert data["lecteur"]["first_name"] == "Éloïse"
    assert data["cartes"][0]["numero"] == patron.card_number
    assert data["prets"][0]["titre"] == "Les Misérables"
    assert "pin_hash" not in data["lecteur"]
    assert patron.pin_hash not in export_json(patron)
    rows = list(csv.reader(io.StringIO(export_csv(patron))))
    assert rows[0] == ["rubrique", "entree", "champ", "valeur"]
    assert ["prets", "1", "titre", "Les Misérables"] in rows


def _patron_with_data_everywhere() -> Patron:
    """A patron with at least one row in every table that can hold patron data."""
    library = make_library()
    patron = make_patron(library=library, first_name="Éloïse")
    loan = make_loan(
        item=make_item(library=library, title="Les Misérables"),
        patron=patron,
        library=library,
        now=NOW,
    )
    Hold.objects.create(patron=patron, record=make_item(library=library, title="Nana").record,
                        pickup_library=library, placed_at=NOW)  # fmt: skip
    Fine.objects.create(patron=patron, loan=loan, amount_cents=120, created_at=NOW)
    FinePayment.objects.create(patron=patron, amount_cents=50, method=PaymentMethod.CASH,
                               library=library, paid_at=NOW)  # fmt: skip
    Registration.objects.create(event=events.event(library, title="Heure du conte"),
                                patron=patron, created_at=NOW)  # fmt: skip
    SentNotice.objects.create(kind=NoticeKind.DUE_SOON, key=f"{loan.pk}:x", patron=patron,
                              claimed_at=NOW, sent_at=NOW)  # fmt: skip
    film = digital.film(digital.vod(), "Vent du Nord", 2019)
    tokens_spend(patron=patron, title=film, actor=Actor.patron(patron.pk), now=NOW)
    cas_login_grant(registration=film.resource.sso_service, patron=patron, now=NOW,
                    service=digital.VOD_SERVICE + f"?film={film.vendor_ref}")  # fmt: skip
    client = digital.oidc_client("http://cours.example.test/cb")
    OidcCode.objects.create(code_digest="a" * 64, registration=client, patron=patron,
                            redirect_uri="http://cours.example.test/cb", scope="openid",
                            code_challenge="c" * 43, created_at=NOW, expires_at=NOW)  # fmt: skip
    OidcAccessToken.objects.create(token_digest="b" * 64, registration=client, patron=patron,
                                   scope="openid", expires_at=NOW)  # fmt: skip
    PatronBlock.objects.create(patron=patron, reason="Carte perdue", created_at=NOW)
    FederatedPatron.objects.create(patron=patron, library=library, remote_category="ADULTE",
                                   age_band="26-64", method="sip2", confirmed_at=NOW)  # fmt: skip
    return patron


def test_export_covers_every_table_holding_the_patron():
    """The finding: the export left out event registrations, token entries, single sign-on
    tickets and journal rows. For a patron with data in every table, every section of the
    export has it."""
    patron = _patron_with_data_everywhere()
    data = patron_data_export(patron)
    sections = {s.section for s in patron_data_sections()}
    assert set(data) == sections
    assert [name for name in sections if not data[name]] == []
    assert data["inscriptions"][0]["evenement"] == "Heure du conte"
    assert data["jetons"][0]["titre"] == "Vent du Nord"
    assert data["jetons_par_mois"][0]["jetons_depenses"] == "1"
    protocols = sorted({row["protocole"] for row in data["connexions_fournisseurs"]})
    assert protocols == ["CAS", "OpenID Connect", "OpenID Connect (jeton d'accès)"]
    assert "Vent du Nord" in [row.get("titre") for row in data["connexions_fournisseurs"]]
    actions = {row["action"] for row in data["journal"]}
    assert {"loan.checkout", "token.spend", "patron.register"} <= actions
    assert data["amendes"][0]["titre"] == "Les Misérables"
    assert data["paiements"][0]["montant_euros"] == "0.50"
    rows = list(csv.reader(io.StringIO(export_csv(patron))))
    assert ["inscriptions", "1", "evenement", "Heure du conte"] in rows
    assert patron.pin_hash not in export_json(patron)


def _links_to_patron(model: type[models.Model]) -> list[str]:
    """The fields of ``model`` that point at a patron: a relation to Patron, or a plain
    column named as one (``patron``, ``patron_id``)."""
    links = []
    for field in [*model._meta.fields, *model._meta.many_to_many]:
        if field.is_relation and field.related_model is Patron:
            links.append(field.name)
        elif not field.is_relation and field.name in ("patron", "patron_id"):
            links.append(field.name)
    return links


def test_every_table_linked_to_a_patron_is_exported_or_exempt():
    """Walks every model of the project: one that points at a patron must be read by a
    section of the export (an app's ``PATRON_DATA``) or listed in ``PATRON_DATA_EXEMPT``
    with the reason. A new table holding patron data fails here until it is covered."""
    covered = {model for section in patron_data_sections() for model in section.models}
    exempt = patron_data_exempt()
    assert all(reason.strip() for reason in exempt.values())
    missing = [
        f"{model._meta.label} ({', '.join(_links_to_patron(model))})"
        for model in apps.get_models()
        if (_links_to_patron(model) or model is Patron)
        and model not in covered
        and model not in exempt
    ]
    assert missing == [], (
        "tables holding patron data left out of the patron's export: add a PatronData to "
        f"the app's privacy.PATRON_DATA, or a reason to PATRON_DATA_EXEMPT: {missing}"
    )
    assert AuditEvent in covered  # linked by actor and details, not by a foreign key


def test_a_new_patron_table_would_fail_the_coverage_walk():
    """The walk sees a foreign key to Patron on a model it was never told about."""

    class ReadingList(models.Model):
        patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "patrons"

    try:
        assert _links_to_patron(ReadingList) == ["patron"]
        covered = {model for section in patron_data_sections() for model in section.models}
        assert ReadingList not in covered and ReadingList not in patron_data_exempt()
    finally:
        apps.all_models["patrons"].pop("readinglist", None)
        apps.clear_cache()
