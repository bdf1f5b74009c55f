"""The agenda's demo: a programme across the 27 libraries and weekly events, idempotent."""

from __future__ import annotations

import pytest

from navette.core.demo_loader import DemoContext
from navette.events import demo
from navette.events.models import Event, Programme, Registration

pytestmark = pytest.mark.django_db


def test_demo_programme_over_27_libraries_and_weekly_series(relire, tmp_path):
    """The Nuits des bibliothèques cover every library over three days; weekly
    storytimes run for six weeks; running the demo twice adds nothing."""
    ctx = DemoContext(home=tmp_path, log=lambda *_: None)
    demo.load(ctx)
    programme = Programme.objects.get(slug="nuits-des-bibliotheques")
    assert programme.events.values("library").distinct().count() == 27
    assert programme.events.count() == 81
    assert (programme.ends_on - programme.starts_on).days == 2
    assert Event.objects.filter(series__isnull=False).count() == 8 * 6
    assert Registration.objects.filter(status="waiting").count() == 2
    before = (Event.objects.count(), Registration.objects.count())
    demo.load(ctx)
    assert (Event.objects.count(), Registration.objects.count()) == before
