"""Event images: raster photos only, decoded and re-encoded before they are stored.

An uploaded file is trusted for nothing: not its name, not its declared type.
Pillow decodes it; only JPEG, PNG and WebP are kept, and the pixels are written
again into a new file of the same format (no EXIF, GPS position, comments or
trailing bytes survive, so a polyglot file loses its other half). SVG and HTML
never decode as a raster image and are refused.
"""

from __future__ import annotations

import io
import uuid
import warnings
from typing import Any

from django.core.files.base import ContentFile, File
from django.db.models.fields.files import FieldFile
from PIL import Image, ImageOps, UnidentifiedImageError

from navette.events.errors import EventInvalid

#: Pillow format -> (extension, Content-Type) of the stored file
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
#: Content-Type of each stored extension (what the media view sends)
CONTENT_TYPES = {ext: ctype for ext, ctype in FORMATS.values()} | {"jpeg": "image/jpeg"}
#: an event poster, not a decompression bomb
MAX_PIXELS = 40_000_000
MAX_BYTES = 15 * 1024 * 1024


def is_new_upload(value: Any) -> bool:
    """Whether ``value`` is a file to be stored (an upload), not one already stored."""
    return isinstance(value, File) and not isinstance(value, FieldFile)


def _refused() -> EventInvalid:
    return EventInvalid(code="image_refused")


def reencoded(upload: File) -> ContentFile:
    """The upload decoded and written again, under a new random name with the format's
    extension. Raises ``EventInvalid`` for anything that is not a JPEG, PNG or WebP image
    (SVG, HTML, a truncated file, a decompression bomb)."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise _refused()
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refused()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in FORMATS or probe.width * probe.height > MAX_PIXELS:
                    raise _refused()
                probe.verify()  # structure and checksums, before decoding the pixels
            with Image.open(io.BytesIO(data)) as decoded:
                decoded.load()
                upright = ImageOps.exif_transpose(decoded)
                out = io.BytesIO()
                _save(upright, fmt, out)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):  # fmt: skip
        raise _refused() from None
    ext = FORMATS[fmt][0]
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}")


def _save(image: Image.Image, fmt: str, out: io.BytesIO) -> None:
    # Only the pixels (and a palette's transparent colour) are written: Pillow would carry
    # a JPEG comment or an ICC profile over from ``info``, so it is emptied first.
    transparency = image.info.get("transparency")
    image.info = {}
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        options = {} if transparency is None else {"transparency": transparency}
        image.save(out, "PNG", optimize=True, **options)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, "WEBP", quality=85)
