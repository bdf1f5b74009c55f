"""Uploaded media (event images), served by Navette itself in production too.

Only what the upload path produced is served: JPEG, PNG and WebP files that were
decoded and re-encoded (navette.events.images). The Content-Type comes from the
stored extension, never from sniffing; ``nosniff`` stops the browser from guessing
another type, and a sandboxing Content-Security-Policy keeps anything opened
directly from running script on the portal's origin.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest
from django.utils._os import safe_join
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from navette.events.images import CONTENT_TYPES

MEDIA_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-site",
    "Cache-Control": "public, max-age=86400",
}


@require_safe
def media_file(request: HttpRequest, path: str) -> FileResponse:
    """The stored image at ``path`` under MEDIA_ROOT; 404 for any other file or type."""
    content_type = CONTENT_TYPES.get(Path(path).suffix.lower().lstrip("."))
    if content_type is None:
        raise Http404
    try:
        full = Path(safe_join(settings.MEDIA_ROOT, path))
    except SuspiciousFileOperation:
        raise Http404 from None
    if not full.is_file():
        raise Http404
    response = FileResponse(full.open("rb"), content_type=content_type)
    for name, value in MEDIA_HEADERS.items():
        response[name] = value
    response["Last-Modified"] = http_date(full.stat().st_mtime)
    return response
