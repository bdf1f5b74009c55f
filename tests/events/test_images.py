"""Event images: raster only, decoded and re-encoded on upload, served with safe headers
outside debug mode too."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from navette.core.models import Role, User
from navette.events import services
from navette.events.errors import EventInvalid
from navette.events.models import Event
from tests.events import factories as f
from tests.events.factories import NOW, STAFF

pytestmark = pytest.mark.django_db

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<script>fetch('/compte/mes-donnees.json')</script></svg>"
)
HTML = b"<!doctype html><script>alert(document.domain)</script>"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Appareil du voleur"  # Make
    exif[0x8825] = {1: "N", 2: (50.0, 25.0, 0.0)}  # GPS position
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"<script>alert(1)</script>")
    return out.getvalue()


def _png(size: tuple[int, int] = (20, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""
    data = bytearray(_png())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def librarian(client, clock_at):
    clock_at(NOW)
    lib = f.library(code="lens")
    user = User.objects.create_user("biblio", password="x", role=Role.LIBRARIAN)
    user.libraries.add(lib)
    client.force_login(user)
    return lib


def _form(lib, image: SimpleUploadedFile) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "title": "Atelier", "description": "", "library": str(lib.pk), "place_name": "",
        "place_address": "", "starts_at": "2027-05-20T14:00", "ends_at": "2027-05-20T16:00",
        "audience": "adultes", "theme": "", "programme": "", "is_free": "on", "price": "",
        "accessibility": "", "capacity": "", "image_alt": "Affiche de l'atelier",
        "registration_opens_at": "", "registration_closes_at": "", "repeat_until": "",
        "image": image,
    }  # fmt: skip


def _stored(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("affiche.svg", SVG, "image/svg+xml"),
        ("affiche.png", SVG, "image/png"),  # an SVG under a raster name
        ("affiche.jpg", HTML, "image/jpeg"),
        ("affiche.gif", b"GIF89a" + b"\x00" * 20, "image/gif"),
        ("bombe.png", _png_claiming(20_000, 20_000), "image/png"),
        ("coupee.jpg", _jpeg_with_gps()[:200], "image/jpeg"),
    ],
)
def test_anything_but_a_jpeg_png_or_webp_image_is_refused(
    client, librarian, media, name, data, content_type
):
    """SVG and HTML (stored XSS once served from the portal's origin), other formats, a
    decompression bomb and a truncated file are refused with a message; nothing is stored."""
    response = client.post(
        reverse("staff:event_create"),
        _form(librarian, SimpleUploadedFile(name, data, content_type=content_type)),
    )
    assert response.status_code == 200
    assert "JPEG, PNG ou WebP" in response.content.decode()
    assert Event.objects.count() == 0
    assert _stored(media) == []


def test_a_photo_is_re_encoded_without_its_metadata(client, librarian, media):
    """A JPEG carrying a GPS position, a camera make and a comment is stored as a new JPEG
    under a random name: same pixels size, no EXIF, no comment."""
    response = client.post(
        reverse("staff:event_create"),
        _form(librarian, SimpleUploadedFile("../../maison.jpg", _jpeg_with_gps(), "image/jpeg")),
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.image.name.startswith("events/") and event.image.name.endswith(".jpg")
    assert "maison" not in event.image.name
    with Image.open(event.image.path) as stored:
        assert stored.format == "JPEG" and stored.size == (64, 48)
        assert not stored.getexif()
        assert "comment" not in stored.info and "exif" not in stored.info
    assert b"<script>" not in Path(event.image.path).read_bytes()


def test_a_png_polyglot_loses_its_payload(media, librarian):
    """Bytes appended after the image (an HTML or ZIP payload) do not survive re-encoding;
    transparency does."""
    upload = SimpleUploadedFile("x.png", _png() + HTML, "image/png")
    event = services.event_create(
        fields={"title": "Lecture", "library": librarian, "starts_at": NOW, "ends_at": NOW,
                "image": upload, "image_alt": "Affiche"},
        actor=STAFF, now=NOW,
    )  # fmt: skip
    stored = Path(event.image.path).read_bytes()
    assert b"<script>" not in stored
    with Image.open(event.image.path) as image:
        assert image.format == "PNG" and image.mode == "RGBA"


def test_the_service_refuses_an_svg_whatever_the_interface(media, librarian):
    with pytest.raises(EventInvalid, match="JPEG, PNG ou WebP"):
        services.event_create(
            fields={"title": "Lecture", "library": librarian, "starts_at": NOW, "ends_at": NOW,
                    "image": SimpleUploadedFile("x.svg", SVG), "image_alt": "Affiche"},
            actor=STAFF, now=NOW,
        )  # fmt: skip
    assert _stored(media) == []


def test_a_series_stores_its_image_once(media, librarian):
    """Four weekly dates share one stored, re-encoded image."""
    start = NOW + dt.timedelta(days=1)
    events = services.event_series_create(
        fields={"title": "Conte", "library": librarian, "starts_at": start,
                "ends_at": start + dt.timedelta(hours=1), "image_alt": "Affiche",
                "image": SimpleUploadedFile("x.webp", _png(), "image/webp")},
        until=(start + dt.timedelta(weeks=3)).date(), actor=STAFF, now=NOW,
    )  # fmt: skip
    assert len(events) == 4
    assert len({e.image.name for e in events}) == 1
    assert len(_stored(media)) == 1


def test_images_are_served_outside_debug_mode_with_safe_headers(client, settings, media, librarian):
    """With DEBUG off (production), an event image answers 200 with the Content-Type of its
    re-encoded format, nosniff, inline and a sandboxing CSP; the portal page shows it."""
    settings.DEBUG = False
    event = services.event_create(
        fields={"title": "Lecture", "library": librarian, "starts_at": NOW, "ends_at": NOW,
                "image": SimpleUploadedFile("x.jpg", _jpeg_with_gps()), "image_alt": "Affiche"},
        actor=STAFF, now=NOW,
    )  # fmt: skip
    response = client.get(event.image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_other_files_under_media_are_not_served(client, settings, media):
    """An SVG or HTML file left in the media folder (uploaded before this check), a path
    outside it, or a missing file: 404."""
    settings.DEBUG = False
    (media / "events").mkdir(parents=True)
    (media / "events" / "old.svg").write_bytes(SVG)
    (media / "events" / "old.html").write_bytes(HTML)
    (media.parent / "secret.jpg").write_bytes(b"secret")
    assert client.get("/media/events/old.svg").status_code == 404
    assert client.get("/media/events/old.html").status_code == 404
    assert client.get("/media/../secret.jpg").status_code == 404
    assert client.get("/media/events/%2e%2e/%2e%2e/secret.jpg").status_code == 404
    assert client.get("/media/events/absent.jpg").status_code == 404
