"""Settings for the test suite: same as production, with a throwaway data directory."""

import os
import tempfile

os.environ.setdefault("NAVETTE_HOME", tempfile.mkdtemp(prefix="navette-test-"))
os.environ.setdefault("NAVETTE_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from navette.settings.base import *  # noqa: E402,F403
from navette.settings.base import DATABASES  # noqa: E402
from navette.settings.env import env_bool, env_str  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Tests get their own database file so the live server and threads share it.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(os.environ["NAVETTE_HOME"], "test.sqlite3")
    }
else:
    # One test database per run (test_<name>_<run>), dropped by pytest-django at the end: two
    # runs on one PostgreSQL server (two checkouts, CI beside a developer) never collide.
    # NAVETTE_TEST_RUN names the run (scripts/test sets it); by default the process id.
    _run = os.environ.setdefault("NAVETTE_TEST_RUN", str(os.getpid()))
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_run}"}
#: NAVETTE_TEST_PRODUCTION_CACHES=1 (scripts/test sets it for the PostgreSQL pass) keeps the
#: production caches: the in-process cache of circulation rules, settings and hours, which is
#: the only cache these settings otherwise turn off (templates, Django's cache and the portal's
#: network name are as in production; the root conftest clears the in-process caches around
#: each test, as a restart would, since tests roll back what they wrote).
NAVETTE_TEST_PRODUCTION_CACHES = env_bool("NAVETTE_TEST_PRODUCTION_CACHES", False)
if not NAVETTE_TEST_PRODUCTION_CACHES:
    # Tests create rules and opening hours by bulk inserts and roll back between tests: no
    # in-process cache of circulation rules (tests that measure it turn it on).
    NAVETTE_CIRCULATION_CACHE_SECONDS = 0
#: the kill tests of ``import-network`` run the command with this variable (see base.py)
NAVETTE_GOLIVE_KILL_AT = env_str("NAVETTE_GOLIVE_KILL_AT", "")

#: the kiosk monitor's counts written at each request, so tests read them at once (the
#: buffered write has its own test)
NAVETTE_SIP2_ACTIVITY_FLUSH_SECONDS = 0.0
