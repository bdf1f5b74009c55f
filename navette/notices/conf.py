"""Notice settings, from Django settings or the environment."""

from __future__ import annotations

from django.conf import settings

from navette.settings.env import env_int, env_list


def due_soon_days() -> int:
    """Days before the due date when the "due soon" notice leaves."""
    value = getattr(settings, "NAVETTE_DUE_SOON_DAYS", None)
    return int(value) if value is not None else env_int("NAVETTE_DUE_SOON_DAYS", 3)


def overdue_reminder_days() -> list[int]:
    """Days after the due date of the first, second and third reminders."""
    value = getattr(settings, "NAVETTE_OVERDUE_REMINDER_DAYS", None)
    raw = (
        value if value is not None else env_list("NAVETTE_OVERDUE_REMINDER_DAYS", ["1", "8", "15"])
    )
    days = sorted(int(d) for d in raw)[:3]
    if len(days) != 3 or days[0] < 1:
        raise ValueError("NAVETTE_OVERDUE_REMINDER_DAYS: three positive day counts, e.g. 1,8,15")
    return days
