"""Notice settings (navette/settings/notices.py, checked by navette.notices.checks)."""

from __future__ import annotations

from django.conf import settings


def due_soon_days() -> int:
    """Days before the due date when the "due soon" notice leaves."""
    return int(settings.NAVETTE_DUE_SOON_DAYS)


def overdue_reminder_days() -> list[int]:
    """Days after the due date of the first, second and third reminders, in order.

    Raises ``ValueError`` unless three positive counts are set (the system check
    navette.E020 refuses such a set-up at start-up).
    """
    problem = overdue_reminder_problem(settings.NAVETTE_OVERDUE_REMINDER_DAYS)
    if problem:
        raise ValueError(problem)
    return sorted(int(d) for d in settings.NAVETTE_OVERDUE_REMINDER_DAYS)


def overdue_reminder_problem(days: object) -> str:
    """What is wrong with a NAVETTE_OVERDUE_REMINDER_DAYS value, or ``""``."""
    try:
        counts = sorted(int(d) for d in days)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return f"NAVETTE_OVERDUE_REMINDER_DAYS must be day counts, got {days!r}"
    if len(counts) != 3 or counts[0] < 1:
        return (
            "NAVETTE_OVERDUE_REMINDER_DAYS: three positive day counts, e.g. 1,8,15; "
            f"got {','.join(str(c) for c in counts) or 'nothing'}"
        )
    return ""
