"""The go-live pages: a run's report, its progress, the CSV, and the administrator's
decisions on possible duplicate patrons. Network administrators only."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.core import clock
from navette.core.models import Role, User
from navette.golive.engine import NetworkImport
from navette.golive.mapping import mapping_from_dict
from navette.golive.models import ImportRun, MergeDecision
from navette.patrons.models import Patron, PatronCard
from tests.network.factories import make_library
from tests.patrons.factories import make_category

NOW = dt.datetime(2026, 12, 6, 10, tzinfo=clock.PARIS)
HEADER = "card,last_name,first_name,birth_date,category,library\n"


def user(role: str) -> User:
    u = User(username=role, role=role)
    u.set_password("un-mot-de-passe-long")
    u.save()
    return u


@pytest.fixture
def export(db, tmp_path):
    make_library(code="lens", commune="Lens")
    make_library(code="lievin", commune="Liévin")
    make_category(code="adulte")
    (tmp_path / "patrons.lens.csv").write_text(
        HEADER + "A1,Le Bihan,Anne,1990-01-01,adulte,lens\n,Sans,Carte,,adulte,lens\n",
        encoding="utf-8")  # fmt: skip
    (tmp_path / "patrons.lievin.csv").write_text(
        HEADER + "B1,LE-BIHAN,Anne,1990-01-01,adulte,lievin\n", encoding="utf-8"
    )
    return tmp_path


def run(directory, *, apply: bool) -> ImportRun:
    NetworkImport(directory, mapping_from_dict({}), apply=apply, now=NOW).run()
    return ImportRun.objects.order_by("-pk").first()


def test_report_page_lists_counts_conflicts_duplicates_and_rejects(client, export):
    """The run's page says what would be created, the duplicate with its two cards, and the
    rejected row with its file, line and reason in words; the CSV lists every issue."""
    dry = run(export, apply=False)
    client.force_login(user(Role.NETWORK_ADMIN))
    page = client.get(f"/personnel/reseau/mise-en-service/{dry.pk}/").content.decode()
    assert "Lecteurs" in page and "même lecteur dans deux sources" in page
    assert "A1 (lens) / B1 (lievin)" in page
    assert "patrons.lens.csv" in page and "valeur obligatoire absente" in page
    listing = client.get("/personnel/reseau/mise-en-service/").content.decode()
    assert f"/personnel/reseau/mise-en-service/{dry.pk}/" in listing
    csv = b"".join(client.get(f"/personnel/reseau/mise-en-service/{dry.pk}/rapport.csv")
                   .streaming_content).decode()  # fmt: skip
    assert "patrons.lens.csv,3,missing_value" in csv
    assert "patrons.lievin.csv,2,same_patron_two_sources" in csv


def test_decisions_before_and_after_the_apply(client, export):
    """Before an apply, "merge" is recorded for the next apply; after an apply that kept
    them apart, "merge" merges the two patrons at once, the second card as an alias."""
    dry = run(export, apply=False)
    client.force_login(user(Role.NETWORK_ADMIN))
    page = client.get(f"/personnel/reseau/mise-en-service/{dry.pk}/").content.decode()
    issue = dry.issues.get(code="same_patron_two_sources")
    url = f"/personnel/reseau/mise-en-service/{dry.pk}/doublons/{issue.pk}/"
    assert url in page
    client.post(url, {"decision": "apart"})
    assert MergeDecision.objects.get().merge is False
    applied = run(export, apply=True)
    assert Patron.objects.count() == 2
    issue = applied.issues.get(code="same_patron_two_sources")
    response = client.post(f"/personnel/reseau/mise-en-service/{applied.pk}/doublons/{issue.pk}/",
                           {"decision": "merge"}, follow=True)  # fmt: skip
    assert "la carte B1 reste valable" in response.content.decode()
    anne = Patron.objects.get()
    assert anne.card_number == "A1"
    assert PatronCard.objects.get(number="B1").is_alias
    assert (
        "fusionnés"
        in client.get(f"/personnel/reseau/mise-en-service/{applied.pk}/").content.decode()
    )


def test_progress_polls_while_running_and_librarians_are_refused(client, export):
    """A running run's progress fragment asks to be polled and shows the batch reached; a
    finished one says so and stops polling; librarians get 403 on every page."""
    running = ImportRun.objects.create(directory="x", mode="apply", started_at=NOW,
                                       phase="patrons", done=40, total=100)  # fmt: skip
    client.force_login(user(Role.NETWORK_ADMIN))
    fragment = client.get(f"/personnel/reseau/mise-en-service/{running.pk}/avancement/")
    text = fragment.content.decode()
    assert 'hx-trigger="every 3s"' in text and 'value="40"' in text
    running.status = "done"
    running.save()
    text = client.get(
        f"/personnel/reseau/mise-en-service/{running.pk}/avancement/"
    ).content.decode()
    assert "hx-trigger" not in text and "Terminé" in text
    client.force_login(user(Role.LIBRARIAN))
    assert client.get("/personnel/reseau/mise-en-service/").status_code == 403
    assert client.get(f"/personnel/reseau/mise-en-service/{running.pk}/").status_code == 403


@pytest.mark.browser
def test_report_page_is_accessible(page, axe, export):
    """The report page, with a duplicate, a reject and the progress, has no serious axe
    violation."""
    dry = run(export, apply=False)
    User.objects.create_user("admin-reseau", password="pass-admin", role=Role.NETWORK_ADMIN)
    page.goto(
        f"{page.base_url}/personnel/connexion/?next=/personnel/reseau/mise-en-service/{dry.pk}/"
    )
    page.get_by_label("Identifiant").fill("admin-reseau")
    page.get_by_label("Mot de passe").fill("pass-admin")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", level=1).wait_for()
    assert "Import du" in page.get_by_role("heading", level=1).inner_text()
    assert axe(page) == []
