"""The administration names every application in the administrator's language."""

import re
from html import unescape

import pytest
from django.apps import apps

from navette.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_admin(client):
    client.force_login(User.objects.create_user("admin-reseau", password="x", role="network_admin"))
    return client


def test_every_application_has_a_translated_name():
    for config in apps.get_app_configs():
        if config.name.startswith("navette."):
            assert "verbose_name" in type(config).__dict__, f"{config.name} has no verbose_name"


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("fr", ["Ressources numériques", "Lecteurs", "Automates (SIP2)"], ["Digital", "Patrons"]),
        ("en", ["Online resources", "Kiosks (SIP2)"], ["Ressources numériques", "Digital"]),
    ],
)
def test_admin_index_names_applications_in_the_chosen_language(
    network_admin, language, expected, absent
):
    network_admin.post("/i18n/setlang/", {"language": language, "next": "/admin/"})
    response = network_admin.get("/admin/")
    assert response.status_code == 200
    page = unescape(response.content.decode())
    captions = re.findall(r"<caption>\s*<a [^>]*>([^<]+)</a>", page)
    for name in expected:
        assert name in captions, captions
    for name in absent:
        assert name not in captions and name.upper() not in captions
