"""The in-process cache of rules, settings and hours: one reload at a time per key."""

from __future__ import annotations

import threading
import time

import pytest

from navette.circulation.services import _common
from navette.circulation.services._common import cached, clear_cache


def test_an_expired_value_is_loaded_again_by_one_thread_only(settings):
    """While one thread loads an expired value again, the others go on with the old one
    (no pile of identical loads when it expires under load), then all see the new one."""
    settings.NAVETTE_CIRCULATION_CACHE_SECONDS = 0.05
    clear_cache()
    key = ("test-cache",)
    assert cached(key, lambda: "old") == "old"
    time.sleep(0.06)
    started, release, calls = threading.Event(), threading.Event(), []

    def slow_load() -> str:
        calls.append("slow")
        started.set()
        release.wait(5)
        return "new"

    loader = threading.Thread(target=lambda: cached(key, slow_load))
    loader.start()
    assert started.wait(5)
    others = [cached(key, lambda: calls.append("again") or "again") for _ in range(5)]
    release.set()
    loader.join(5)
    assert others == ["old"] * 5 and calls == ["slow"]
    assert cached(key, lambda: "unused") == "new"
    assert key not in _common._loading
    clear_cache()


def test_a_value_never_loaded_is_loaded_by_whoever_asks(settings):
    """With nothing to fall back on, each caller loads (and a failed load is not remembered)."""
    settings.NAVETTE_CIRCULATION_CACHE_SECONDS = 60
    clear_cache()

    def boom() -> str:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cached(("test-cache-2",), boom)
    assert cached(("test-cache-2",), lambda: "loaded") == "loaded"
    clear_cache()
