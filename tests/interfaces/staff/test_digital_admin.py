"""Configuration in Django's admin: client secrets are stored hashed."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from navette.digital.admin import ServiceRegistrationForm
from tests.digital import factories as f


@pytest.mark.django_db
def test_new_client_secret_is_hashed():
    client = f.oidc_client("http://cours.example.test/cb")
    form = ServiceRegistrationForm(
        instance=client,
        data={"vendor": client.vendor_id, "name": client.name, "protocol": "oidc",
              "service_url": "", "client_id": client.client_id,
              "redirect_uris": '["http://cours.example.test/cb"]', "is_active": "on",
              "new_client_secret": "nouveau-secret-tres-long"},
    )  # fmt: skip
    assert form.is_valid(), form.errors
    saved = form.save()
    assert "nouveau-secret" not in saved.client_secret_hash
    assert check_password("nouveau-secret-tres-long", saved.client_secret_hash)
