"""The SIP2 tests' small network (two libraries, a kiosk, copies 31000001...), for the
merged patron's visits to the desk and the kiosk."""

from __future__ import annotations

import pytest

from tests.interfaces.sip2.conftest import NOW, World, build_world


@pytest.fixture
def world(db, clock_at, settings) -> World:
    clock_at(NOW)
    settings.NAVETTE_SEARCH_UPDATES = "deferred"  # loans re-index records; not looked at here
    return build_world()
