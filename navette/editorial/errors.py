"""Refusals of the portal's contents, each with a stable code (worded in
``editorial.messages``)."""

from __future__ import annotations

from navette.core.errors import DomainError


class ContentInvalid(DomainError):
    """A news item, page, selection or legal page cannot be saved. ``code`` says why:
    ``content_title_missing``, ``content_body_too_long``, ``publication_window_reversed``,
    ``selection_record_twice``, ``compliance_missing``; for an image, the agenda's codes and
    words: ``image_refused``, ``event_image_alt_missing``."""

    code = "content_invalid"
