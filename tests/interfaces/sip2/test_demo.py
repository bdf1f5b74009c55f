"""The demo kiosks: one per library, idempotent, with passwords that work."""

from __future__ import annotations

import pytest

from navette.core.demo_loader import DemoContext
from navette.sip2 import demo
from navette.sip2.models import Kiosk

pytestmark = pytest.mark.django_db


def test_one_kiosk_per_library_listed_and_stable(world, tmp_path):
    """Each library gets a kiosk whose listed password logs in; a second run keeps it."""
    ctx = DemoContext(home=tmp_path, log=lambda *a: None)
    demo.load(ctx)
    listed = {entry["login"]: entry for entry in ctx.accounts["kiosks"]}
    assert set(listed) >= {"borne-lens", "borne-lievin"}
    assert listed["borne-lievin"]["library"] == "Médiathèque de Liévin"
    assert listed["borne-lens"]["sample_items"] == ["31000001", "31000002", "31000003"]
    for login, entry in listed.items():
        assert Kiosk.objects.get(login=login).check_password(entry["password"])
    ctx.write_accounts()
    again = DemoContext.for_home(tmp_path, log=lambda *a: None)
    demo.load(again)
    assert {e["login"]: e["password"] for e in again.accounts["kiosks"]} == {
        login: e["password"] for login, e in listed.items()
    }
    assert Kiosk.objects.count() == 2
