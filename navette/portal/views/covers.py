"""Cover images in the sizes the pages show, and their address.

A cover's stored name changes with its image, so a size's address never shows another
image: it is cached a year (``immutable``). Same defensive headers as the other media.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from navette.catalogue.covers import SIZES, cover_rendition
from navette.catalogue.models import Cover
from navette.portal.views.media import MEDIA_HEADERS

CACHE_CONTROL = "public, max-age=31536000, immutable"


def cover_src(name: str, size: str) -> str:
    """The address of a cover (its stored ``name``) at ``size``."""
    stem = name.rsplit(".", 1)[0]
    return reverse("portal:cover", args=[size, stem])


@require_safe
def cover(request: HttpRequest, size: str, stem: str) -> FileResponse:
    """A record's current cover at ``size`` (WebP); 404 for an unknown size or a cover
    replaced since."""
    if size not in SIZES or not Cover.objects.filter(name=f"{stem}.jpg").exists():
        raise Http404
    try:
        path = cover_rendition(f"{stem}.jpg", size)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(path.open("rb"), content_type="image/webp")
    for name, value in MEDIA_HEADERS.items():
        response[name] = value
    response["Cache-Control"] = CACHE_CONTROL
    response["Last-Modified"] = http_date(path.stat().st_mtime)
    return response
