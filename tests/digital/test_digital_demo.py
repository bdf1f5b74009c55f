"""The digital demo hook: idempotent, with a CAS service and films of every cost."""

from __future__ import annotations

import pytest

from navette.core.demo_loader import DemoContext
from navette.digital import demo
from navette.digital.models import Resource, ServiceRegistration, VendorTitle


@pytest.mark.django_db
def test_demo_loads_twice_without_duplicates(tmp_path):
    for _ in range(2):
        ctx = DemoContext(home=tmp_path, log=lambda *a: None)
        demo.load(ctx)
    assert set(Resource.objects.values_list("kind", flat=True)) == {
        "vod",
        "presse",
        "autoformation",
    }
    assert VendorTitle.objects.filter(resource__code="cinema-du-nord").count() == len(demo.FILMS)
    years = set(VendorTitle.objects.values_list("release_year", flat=True))
    assert {2026, 2024, 2016, 1972} <= years
    assert ServiceRegistration.objects.get(protocol="cas").service_url == demo.VOD_SERVICE
    assert ctx.accounts["oidc_clients"][0]["client_id"] == "cours-demo"
