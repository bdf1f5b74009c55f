"""Loan rules and circulation settings in Django's admin: network administrators only."""

from __future__ import annotations

import pytest

from navette.circulation.models import Hold, Loan, LoanRule, Transit
from navette.core.models import AuditEvent, User

pytestmark = pytest.mark.django_db

RULES = "/admin/circulation/loanrule/"


@pytest.fixture
def admin_client(client, libs):
    user = User.objects.create_user("admin-reseau", password="x", role="network_admin")
    client.force_login(user)
    return client


def _rule_form(rule: LoanRule, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "library": rule.library_id or "",
        "patron_category": rule.patron_category_id or "",
        "doc_type": rule.doc_type,
    }
    for name in ("loan_days", "max_renewals", "max_loans", "max_holds", "hold_shelf_days"):
        value = getattr(rule, name)
        data[name] = "" if value is None else value
    for name in ("renew_when_waiting", "holds_allowed"):
        value = getattr(rule, name)
        data[name] = "unknown" if value is None else ("true" if value else "false")
    data.update(changes)
    return data


def test_network_admin_opens_and_saves_a_loan_rule(admin_client, libs):
    """A network administrator lists the rules, reads the precedence on the form, changes the
    DVD limit of Lens by adding a library rule, and the save is audited."""
    listing = admin_client.get(RULES)
    assert listing.status_code == 200
    assert "Réseau (toutes)" in listing.content.decode()

    rule = LoanRule.objects.get(library=None, doc_type="video")
    form = admin_client.get(f"{RULES}{rule.pk}/change/")
    assert form.status_code == 200
    assert "passe avant une règle du réseau" in form.content.decode()

    resp = admin_client.post(f"{RULES}{rule.pk}/change/", _rule_form(rule, max_loans=4))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.max_loans == 4

    lens = libs["Lens"]
    resp = admin_client.post(
        f"{RULES}add/", _rule_form(LoanRule(library=lens, doc_type="video"), max_loans=3)
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert LoanRule.objects.get(library=lens, doc_type="video").max_loans == 3
    assert AuditEvent.objects.filter(action="loan_rule.change", object_id=str(rule.pk)).exists()
    assert AuditEvent.objects.filter(action="loan_rule.add", library=lens).exists()


def test_loan_rule_form_refuses_empty_rules_and_an_incomplete_network_default(admin_client, libs):
    """A rule that sets nothing, a duplicate key, or a network default missing a parameter is
    refused with a French message; nothing is saved."""
    before = LoanRule.objects.count()
    empty = admin_client.post(f"{RULES}add/", _rule_form(LoanRule(library=libs["Avion"])))
    assert "Une règle doit fixer au moins un paramètre." in empty.content.decode()

    default = LoanRule.objects.get(library=None, patron_category=None, doc_type="")
    incomplete = admin_client.post(
        f"{RULES}{default.pk}/change/", _rule_form(default, hold_shelf_days="")
    )
    assert "La règle par défaut du réseau doit fixer ce paramètre" in incomplete.content.decode()
    default.refresh_from_db()
    assert default.hold_shelf_days == 7

    duplicate = admin_client.post(
        f"{RULES}add/", _rule_form(LoanRule(doc_type="video"), max_loans=9)
    )
    assert duplicate.status_code == 200
    assert LoanRule.objects.count() == before


def test_settings_and_read_only_lists_open_for_the_network_admin(admin_client, libs):
    """Circulation settings open for editing; loans, holds and transits are listed and
    searchable by barcode or card but cannot be added."""
    from navette.circulation.models import CirculationSettings

    settings_row = CirculationSettings.objects.get()
    page = admin_client.get(f"/admin/circulation/circulationsettings/{settings_row.pk}/change/")
    assert page.status_code == 200
    assert "jours sans emprunt pour chaque jour de retard" in page.content.decode()
    for model in (Loan, Hold, Transit):
        url = f"/admin/circulation/{model._meta.model_name}/"
        assert admin_client.get(url, {"q": "I00000001"}).status_code == 200
        assert admin_client.get(f"{url}add/").status_code == 403


def test_librarian_is_sent_away_from_the_rules(client, libs):
    """A librarian (not a network administrator) is redirected to the admin login and
    cannot save a rule."""
    librarian = User.objects.create_user("bib", password="x", role="librarian")
    librarian.libraries.add(libs["Lens"])
    client.force_login(librarian)
    rule = LoanRule.objects.get(library=None, doc_type="video")
    page = client.get(f"{RULES}{rule.pk}/change/")
    assert page.status_code == 302 and page["Location"].startswith("/admin/login/")
    resp = client.post(f"{RULES}{rule.pk}/change/", _rule_form(rule, max_loans=50))
    assert resp.status_code == 302
    rule.refresh_from_db()
    assert rule.max_loans == 5
