"""Shared test fixtures: clock, browser (Debian's chromium via Playwright),
real SMTP server (aiosmtpd), and the PostgreSQL / browser gates.

- Tests marked ``postgres`` need row locks and real concurrency: on SQLite
  they are deselected (not skipped) and run in the PostgreSQL pass.
- When a browser or PostgreSQL is missing, tests say so loudly; with
  CI=true that is a failure, never a skip.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("NAVETTE_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _using_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _using_postgres():
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    caches = "production" if settings.NAVETTE_TEST_PRODUCTION_CACHES else "off"
    return [
        f"navette: database {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or db['NAME']}",
        f"navette: in-process circulation caches {caches} (NAVETTE_TEST_PRODUCTION_CACHES)",
    ]


def missing(reason: str) -> None:
    """Fail in CI, skip loudly elsewhere."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(f"NOT RUN — {reason}")


@pytest.fixture
def clock_at():
    """Freeze ``navette.core.clock.now()`` for code reached through HTTP.

    Usage: ``clock_at(datetime(..., tzinfo=PARIS))``; reset after the test.
    """
    from navette.core import clock

    def freeze(instant: dt.datetime) -> dt.datetime:
        if instant.tzinfo is None:
            raise ValueError("clock_at needs an aware datetime")
        clock.frozen = instant
        return instant

    yield freeze
    clock.frozen = None


# --- browser -------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        missing(f"no chromium at {CHROMIUM}: install Debian's package 'chromium'")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (French, 1280x900); ``page.base_url`` is the live server."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.base_url = live_server.url  # type: ignore[attr-defined]
    # every page runs under the site's Content-Security-Policy: nothing may be refused by it
    refused: list[str] = []
    pg.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield pg
    context.close()
    assert not refused, f"the Content-Security-Policy refused: {refused}"


@pytest.fixture
def axe():
    """Run axe-core in a page; returns the serious and critical violations."""
    if not AXE_JS.exists():
        missing(f"axe-core is not installed ({AXE_JS}); run: npm ci")
    source = AXE_JS.read_text()

    def run(pg) -> list[dict]:  # type: ignore[no-untyped-def]
        # evaluated through the DevTools protocol: a <script> tag would be refused by the CSP
        pg.evaluate(source)
        result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        found = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]  # fmt: skip
        return found + horizontal_scroll(pg)

    return run


#: phone widths every page checked by ``axe`` must fit without scrolling sideways
PHONE_WIDTHS = (320, 360)

_WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit + 1) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
        + ' (' + Math.round(box.right) + 'px)');
    }
  }
  return {scroll: document.documentElement.scrollWidth, width: limit, wide: wide.slice(-5)};
}"""


def horizontal_scroll(pg) -> list[dict]:  # type: ignore[no-untyped-def]
    """The page at 320 and 360 px wide: a violation for each width that scrolls sideways."""
    size = pg.viewport_size
    found = []
    try:
        for width in PHONE_WIDTHS:
            pg.set_viewport_size({"width": width, "height": 800})
            measure = pg.evaluate(_WIDEST)
            if measure["scroll"] > measure["width"]:
                found.append(
                    {"id": "horizontal-scroll", "impact": "serious",
                     "help": f"{pg.url} scrolls sideways at {width} px "
                             f"({measure['scroll']} px wide)",
                     "nodes": measure["wide"]}
                )  # fmt: skip
    finally:
        if size:
            pg.set_viewport_size(size)
    return found


# --- mail ----------------------------------------------------------------------------------


class SmtpSink:
    """Messages received by a real SMTP server (aiosmtpd) on localhost."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=default_policy
        )
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpSink]:
    """Start a real SMTP server and point Django's SMTP backend at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


# --- data ----------------------------------------------------------------------------------


@pytest.fixture
def relire(db):
    """The 27 Relire libraries, loaded from the shipped CSV (no hours)."""
    from navette.network.demo import DATA, NETWORK_NAME
    from navette.network.models import Library
    from navette.network.services import load_network_csv

    load_network_csv(DATA, network_name=NETWORK_NAME)
    return {lib.code: lib for lib in Library.objects.all()}


@pytest.fixture(autouse=True)
def _fresh_circulation_cache():
    """Each test starts and ends with an empty in-process cache of rules, settings and hours.

    Tests roll back what they wrote, which no signal sees; with the production caches on
    (NAVETTE_TEST_PRODUCTION_CACHES=1) a test must not read what an earlier one cached.
    """
    from navette.circulation.services._common import clear_cache
    from navette.patrons.pseudonyms import forget_cached_keys

    clear_cache()
    forget_cached_keys()
    yield
    clear_cache()
    forget_cached_keys()


@pytest.fixture(autouse=True)
def _fresh_network_name():
    """Each test sees its own network's name (the portal caches it per process)."""
    from navette.editorial.selectors import forget_footer_compliance
    from navette.portal import context_processors

    context_processors._network_name = None
    forget_footer_compliance()
    yield
    context_processors._network_name = None
    forget_footer_compliance()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a page served in English (the portal's
    middleware activates the chosen language for the thread) does not leak into the next
    test's messages."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


# --- Z39.50 ---------------------------------------------------------------------------------


@pytest.fixture
def ztest_server(tmp_path) -> Iterator[str]:
    """Debian's yaz-ztest (the YAZ test Z39.50 server) on a free loopback port; yields
    ``127.0.0.1:port``. Its Default database answers any Bib-1 query with sample MARC21
    records."""
    import subprocess
    import time

    if shutil.which("yaz-ztest") is None:
        missing("yaz-ztest is missing: install Debian's package yaz")
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        ["yaz-ztest", "-l", str(tmp_path / "ztest.log"), f"tcp:127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("yaz-ztest did not start")
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=5)
