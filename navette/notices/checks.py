"""System checks of the notice settings (navette/settings/notices.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from navette.notices.conf import overdue_reminder_problem


@register(Tags.compatibility)
def check_notice_settings(app_configs: Any = None, **kwargs: Any) -> list:
    problem = overdue_reminder_problem(settings.NAVETTE_OVERDUE_REMINDER_DAYS)
    if problem:
        return [Error(problem + ".", hint="For example: 1,8,15", id="navette.E014")]
    return []
