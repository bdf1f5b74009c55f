"""Scheduled jobs of the notices app (run by ``navette jobs`` and ``navette serve``)."""

from __future__ import annotations

from navette.notices.services import notices_send

JOBS = [("notices", notices_send)]
