"""Scheduled jobs. Each domain app may define ``jobs.py`` with ``JOBS``.

``JOBS`` is a list of ``(name, callable)``; the callable takes ``now`` and
returns a short summary string. Every job must be idempotent: running the jobs
twice in a row does nothing more the second time.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
from collections.abc import Callable

from axes.models import AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings

log = logging.getLogger("navette.jobs")

Job = Callable[[dt.datetime], str]


def registered_jobs() -> list[tuple[str, Job]]:
    """All jobs of the installed Navette apps, in app order."""
    found: list[tuple[str, Job]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("navette."):
            continue
        module_name = f"{config.name}.jobs"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        found.extend(getattr(module, "JOBS", []))
    return found


def run_jobs(now: dt.datetime, only: set[str] | None = None) -> list[tuple[str, str]]:
    """Run every registered job once; a failing job is logged and the others run."""
    results: list[tuple[str, str]] = []
    for name, job in registered_jobs():
        if only and name not in only:
            continue
        try:
            summary = job(now)
        except Exception as exc:  # one broken job must not stop the others
            log.exception("job %s failed", name)
            summary = f"ÉCHEC : {exc}"
        results.append((name, summary))
    return results


def forget_staff_login_logs(now: dt.datetime) -> str:
    """Delete the staff login logs (successes and failures, with addresses) older than
    NAVETTE_STAFF_LOGIN_LOG_DAYS: kept for security, not for ever."""
    before = now - dt.timedelta(days=settings.NAVETTE_STAFF_LOGIN_LOG_DAYS)
    logins, _ = AccessLog.objects.filter(attempt_time__lt=before).delete()
    failures, _ = AccessFailureLog.objects.filter(attempt_time__lt=before).delete()
    return f"{logins + failures} entrées du journal des connexions du personnel effacées"


# the jobs of the core app itself (registered_jobs finds them like any app's)
JOBS: list[tuple[str, Job]] = [("staff-login-logs", forget_staff_login_logs)]
