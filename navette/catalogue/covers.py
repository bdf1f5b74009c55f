"""Cover images of records: uploaded by staff or fetched by ISBN from a cover service,
stored re-encoded, served in two sizes.

Nothing of what comes in is trusted: not the file's name, its declared type or what a
cover service says it sent. Pillow decodes the bytes (JPEG, PNG, WebP or GIF, within a pixel
budget: no decompression bomb); the pixels, turned upright and reduced to at most
``MAX_SIDE``, are written again as a new JPEG with no metadata (EXIF, GPS position,
comments, ICC profile) under a new random name in ``MEDIA_ROOT/covers``. The sizes served
(``SIZES``) are made from that file on first request, as WebP, and kept in
``MEDIA_ROOT/covers/sizes``: a cover's name changes with its image, so its addresses can be
cached for a year.

Adding or removing a cover is a change to the record, network-wide: staff who edit records
(``cataloguer_check``), audited (``cover.set``, ``cover.remove``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import urllib.error
import urllib.request
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from navette.catalogue.models import Cover, CoverService, CoverSource, Record
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.core.errors import DomainError
from navette.network.scope import cataloguer_check

#: what Pillow may decode
ACCEPTED = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
#: the stored image's longest side
MAX_SIDE = 1200
#: name -> (width, height) box of a served size
SIZES = {"vignette": (120, 180), "moyenne": (400, 600)}


class CoverRefused(DomainError):
    """``cover_not_an_image``, ``cover_too_big``, ``cover_no_isbn``, ``cover_no_service``,
    ``cover_not_found`` (the services had none), ``cover_fetch_failed`` (with ``service``)."""

    code = "cover_refused"


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int


def covers_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "covers"


def reencoded(data: bytes) -> Encoded:
    """``data`` decoded and written again as a JPEG without metadata. Raises CoverRefused
    (``cover_too_big``, ``cover_not_an_image``) for anything else than a raster image."""
    if len(data) > MAX_BYTES:
        raise CoverRefused(code="cover_too_big", limit=MAX_BYTES // (1024 * 1024))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED or probe.width * probe.height > MAX_PIXELS:
                    raise CoverRefused(code="cover_not_an_image")
                probe.verify()
            with Image.open(io.BytesIO(data)) as decoded:
                decoded.load()
                image = ImageOps.exif_transpose(decoded)
                if image.mode in ("RGBA", "LA", "P"):
                    # a transparent background becomes white, as on a page
                    rgba = image.convert("RGBA")
                    image = Image.new("RGB", rgba.size, "white")
                    image.paste(rgba, mask=rgba.getchannel("A"))
                elif image.mode != "RGB":
                    image = image.convert("RGB")
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                image.info = {}
                out = io.BytesIO()
                image.save(out, "JPEG", quality=85, optimize=True)
    except CoverRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):  # fmt: skip
        raise CoverRefused(code="cover_not_an_image") from None
    return Encoded(out.getvalue(), image.width, image.height)


def _store(encoded: Encoded, record_id: int) -> str:
    directory = covers_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{record_id}-{uuid.uuid4().hex}.jpg"
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(encoded.data)
    os.replace(tmp, directory / name)
    return name


def _remove_files(name: str) -> None:
    stem = Path(name).stem
    (covers_dir() / name).unlink(missing_ok=True)
    for size in SIZES:
        (covers_dir() / "sizes" / f"{stem}-{size}.webp").unlink(missing_ok=True)


def cover_set(*, record: Record, data: bytes, actor: Actor, now: dt.datetime,
              source: str = CoverSource.UPLOADED, origin: str = "") -> Cover:  # fmt: skip
    """Give ``record`` the cover in ``data`` (replacing its cover). Raises NotCataloguer
    (audited), CoverRefused (nothing stored)."""
    cataloguer_check(actor=actor, action=AuditAction.COVER_SET, now=now, obj=record)
    encoded = reencoded(data)
    name = _store(encoded, record.pk)
    try:
        with transaction.atomic():
            locked = Record.objects.select_for_update().get(pk=record.pk)
            old = Cover.objects.filter(record=locked).first()
            if old is None:
                cover = Cover(record=locked)
            else:
                cover = old
                previous = old.name
                transaction.on_commit(lambda: _remove_files(previous))
            cover.name, cover.width, cover.height = name, encoded.width, encoded.height
            cover.source, cover.updated_at = source, now
            cover.save()
            audit_record(actor=actor, action=AuditAction.COVER_SET, now=now, obj=locked,
                         data={"source": str(source), "origin": origin[:200],
                               "width": encoded.width, "height": encoded.height})  # fmt: skip
    except BaseException:
        _remove_files(name)
        raise
    return cover


def cover_remove(*, record: Record, actor: Actor, now: dt.datetime) -> None:
    """Remove the record's cover (the placeholder shows again). Raises NotCataloguer."""
    cataloguer_check(actor=actor, action=AuditAction.COVER_REMOVE, now=now, obj=record)
    with transaction.atomic():
        cover = Cover.objects.select_for_update().filter(record_id=record.pk).first()
        if cover is None:
            return
        name = cover.name
        cover.delete()
        audit_record(actor=actor, action=AuditAction.COVER_REMOVE, now=now, obj=record,
                     data={"name": name})  # fmt: skip
        transaction.on_commit(lambda: _remove_files(name))


def _isbn10(isbn13: str) -> str:
    if len(isbn13) != 13 or not isbn13.startswith("978"):
        return ""
    body = isbn13[3:12]
    total = sum((10 - i) * int(d) for i, d in enumerate(body))
    check = (11 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


def cover_url(service: CoverService, isbn: str) -> str:
    """The service's address for ``isbn`` (normalised ISBN-13)."""
    return service.url_template.replace("{isbn}", isbn).replace("{isbn10}", _isbn10(isbn))


def _download(url: str, timeout: int) -> bytes | None:
    """The body at ``url``, or None for a 404 or an empty answer; CoverRefused otherwise."""
    if not url.startswith(("http://", "https://")):
        raise CoverRefused(code="cover_fetch_failed", url=url[:200])
    request = urllib.request.Request(url, headers={"User-Agent": "Navette"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            body = answer.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise CoverRefused(code="cover_fetch_failed", url=url[:200], status=exc.code) from None
    except (urllib.error.URLError, OSError, ValueError):
        raise CoverRefused(code="cover_fetch_failed", url=url[:200]) from None
    return body or None


def cover_fetch(*, record: Record, actor: Actor, now: dt.datetime) -> Cover:
    """Fetch the record's cover by ISBN from the active cover services, in name order (the
    first that has one). Raises NotCataloguer, CoverRefused (``cover_no_isbn``,
    ``cover_no_service``, ``cover_not_found``, ``cover_fetch_failed``,
    ``cover_not_an_image``)."""
    cataloguer_check(actor=actor, action=AuditAction.COVER_SET, now=now, obj=record)
    isbns = [str(i) for i in record.isbns or () if i]
    if not isbns:
        raise CoverRefused(code="cover_no_isbn")
    services = list(CoverService.objects.filter(is_active=True).order_by("name"))
    if not services:
        raise CoverRefused(code="cover_no_service")
    for service in services:
        for isbn in isbns:
            url = cover_url(service, isbn)
            body = _download(url, service.timeout)
            if body is not None:
                return cover_set(record=record, data=body, actor=actor, now=now,
                                 source=CoverSource.FETCHED, origin=url)  # fmt: skip
    raise CoverRefused(code="cover_not_found", isbn=isbns[0])


def cover_rendition(cover_name: str, size: str) -> Path:
    """The file of cover ``cover_name`` at ``size`` (made now when missing). Raises
    KeyError for an unknown size, FileNotFoundError when the cover file is gone."""
    box = SIZES[size]
    stem = Path(cover_name).stem
    target = covers_dir() / "sizes" / f"{stem}-{size}.webp"
    if target.is_file():
        return target
    with Image.open(covers_dir() / cover_name) as source:
        source.load()
        image = source.copy()
    image.thumbnail(box)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    image.save(tmp, "WEBP", quality=80)
    os.replace(tmp, target)  # two requests at once both write; one wins whole
    return target


def rendition_box(width: int, height: int, size: str) -> tuple[int, int]:
    """The width and height of the served size of a cover of ``width`` x ``height``."""
    box_w, box_h = SIZES[size]
    scale = min(box_w / width, box_h / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))
