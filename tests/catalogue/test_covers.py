"""Covers: uploaded or fetched by ISBN, stored re-encoded without metadata, served in two
cached sizes, shown on the results and record pages (a placeholder otherwise)."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import threading

import pytest
from django.urls import reverse
from PIL import Image

from navette.catalogue import covers
from navette.catalogue.models import Cover, CoverService
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.models import AuditEvent, Role, User
from navette.network.scope import NotCataloguer
from tests.catalogue.factories import make_record

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def cataloguer():
    return Actor.staff(User.objects.create_user("cat", password="x", role=Role.LIBRARIAN))


def png_with_metadata(size=(300, 450)) -> bytes:
    """A PNG carrying a text chunk (as a camera or an editor would leave metadata)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret GPS 50.43N 2.83E")
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def test_upload_stores_a_reencoded_jpeg_without_metadata(cataloguer, media):
    """An uploaded PNG is stored as a new JPEG (random name, pixels only: the text chunk
    is gone), its size recorded; the change is audited."""
    record = make_record(title="Les Oiseaux")
    cover = covers.cover_set(record=record, data=png_with_metadata(), actor=cataloguer, now=NOW)
    stored = (media / "covers" / cover.name).read_bytes()
    assert stored[:3] == b"\xff\xd8\xff" and b"secret" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("JPEG", (300, 450))
        assert "exif" not in image.info and "comment" not in image.info
    assert (cover.width, cover.height, cover.source) == (300, 450, "uploaded")
    assert AuditEvent.objects.filter(
        action=AuditAction.COVER_SET, object_id=str(record.pk)
    ).exists()


@pytest.mark.parametrize(
    "data",
    [b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
     b"%PDF-1.4 not an image", png_with_metadata()[:200]],
    ids=["svg", "pdf", "truncated"],
)  # fmt: skip
def test_bad_file_refused_with_a_clear_error_and_nothing_stored(cataloguer, media, data):
    """SVG, a PDF or a truncated image are refused (``cover_not_an_image``, worded for
    staff); no cover, no file."""
    record = make_record(title="Les Oiseaux")
    with pytest.raises(covers.CoverRefused) as refused:
        covers.cover_set(record=record, data=data, actor=cataloguer, now=NOW)
    assert refused.value.code == "cover_not_an_image"
    assert "n'est pas une image" in refused.value.message
    assert not Cover.objects.exists()
    assert not list(media.glob("covers/*"))


def test_a_statistician_may_not_set_a_cover(media):
    """Only staff who edit records set covers: a statistician is refused (audited)."""
    who = Actor.staff(User.objects.create_user("stat", password="x", role=Role.STATISTICIAN))
    with pytest.raises(NotCataloguer):
        covers.cover_set(record=make_record(), data=png_with_metadata(), actor=who, now=NOW)
    assert AuditEvent.objects.filter(action=AuditAction.SCOPE_REFUSED).exists()


class _CoverHandler(http.server.BaseHTTPRequestHandler):
    images: dict[str, bytes] = {}
    asked: list[str] = []

    def do_GET(self):  # noqa: N802
        self.asked.append(self.path)
        body = self.images.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")  # whatever it says, the bytes decide
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def cover_server():
    """A real HTTP server on the loopback answering /isbn/<ISBN-13>.jpg."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CoverHandler)
    _CoverHandler.images, _CoverHandler.asked = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _CoverHandler
    server.shutdown()
    server.server_close()


def test_fetch_by_isbn_from_the_configured_service(cataloguer, cover_server):
    """The configured URL template is filled with the ISBN; the answer is decoded and stored
    like an upload. An ISBN the service does not know is ``cover_not_found``; a service
    answering an HTML page instead of an image is ``cover_not_an_image``."""
    server, handler = cover_server
    port = server.server_address[1]
    CoverService.objects.create(
        name="Test", url_template=f"http://127.0.0.1:{port}/isbn/{{isbn}}.jpg"
    )
    handler.images["/isbn/9782070612758.jpg"] = png_with_metadata((500, 800))
    handler.images["/isbn/9782203001091.jpg"] = b"<html>no cover</html>"
    record = make_record(title="Le Petit Prince", isbns=["9782070612758"])
    cover = covers.cover_fetch(record=record, actor=cataloguer, now=NOW)
    assert (cover.source, cover.width, cover.height) == ("fetched", 500, 800)
    assert handler.asked == ["/isbn/9782070612758.jpg"]
    unknown = make_record(title="Inconnu", isbns=["9780000000002"])
    with pytest.raises(covers.CoverRefused) as refused:
        covers.cover_fetch(record=unknown, actor=cataloguer, now=NOW)
    assert refused.value.code == "cover_not_found"
    html = make_record(title="Tintin", isbns=["9782203001091"])
    with pytest.raises(covers.CoverRefused) as refused:
        covers.cover_fetch(record=html, actor=cataloguer, now=NOW)
    assert refused.value.code == "cover_not_an_image"
    no_isbn = make_record(title="Sans ISBN")
    with pytest.raises(covers.CoverRefused) as refused:
        covers.cover_fetch(record=no_isbn, actor=cataloguer, now=NOW)
    assert refused.value.code == "cover_no_isbn"


def test_sizes_served_cached_and_pages_show_cover_or_placeholder(
    cataloguer, client, media, django_capture_on_commit_callbacks
):
    """The thumbnail and medium sizes are WebP within their box, cached a year
    (immutable, the name changes with the image); the record page shows the medium size
    with "Couverture de « Titre »" and a record without a cover a decorative placeholder;
    a replaced cover's old address is gone."""
    record = make_record(title="Les Oiseaux")
    other = make_record(title="Sans couverture")
    cover = covers.cover_set(record=record, data=png_with_metadata((600, 900)),
                             actor=cataloguer, now=NOW)  # fmt: skip
    stem = cover.name.removesuffix(".jpg")
    for size, box in (("vignette", (120, 180)), ("moyenne", (400, 600))):
        answer = client.get(reverse("portal:cover", args=[size, stem]))
        assert answer.status_code == 200 and answer["Content-Type"] == "image/webp"
        assert answer["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer["X-Content-Type-Options"] == "nosniff"
        with Image.open(io.BytesIO(b"".join(answer.streaming_content))) as image:
            assert image.size == box
        assert (media / "covers" / "sizes" / f"{stem}-{size}.webp").is_file()
    assert client.get(reverse("portal:cover", args=["geante", stem])).status_code == 404
    page = client.get(reverse("portal:record", args=[record.pk])).content.decode()
    src = reverse("portal:cover", args=["moyenne", stem])
    assert f'<img src="{src}" width="400" height="600" alt="Couverture de « Les Oiseaux »">' in page
    bare = client.get(reverse("portal:record", args=[other.pk])).content.decode()
    assert 'class="cover-placeholder cover-medium" aria-hidden="true"' in bare
    assert "Couverture de" not in bare
    with django_capture_on_commit_callbacks(execute=True):  # the old files go after commit
        replaced = covers.cover_set(record=record, data=png_with_metadata((100, 100)),
                                    actor=cataloguer, now=NOW)  # fmt: skip
    assert replaced.name != cover.name
    assert client.get(reverse("portal:cover", args=["vignette", stem])).status_code == 404
    assert not (media / "covers" / cover.name).exists()
    assert not (media / "covers" / "sizes" / f"{stem}-vignette.webp").exists()
    with django_capture_on_commit_callbacks(execute=True):
        covers.cover_remove(record=record, actor=cataloguer, now=NOW)
    assert not Cover.objects.exists() and not (media / "covers" / replaced.name).exists()
    assert AuditEvent.objects.filter(action=AuditAction.COVER_REMOVE).count() == 1


def test_results_page_shows_thumbnails_and_placeholders(cataloguer, client, settings, tmp_path,
                                                        relire):  # fmt: skip
    """A result with a cover shows its thumbnail with its text alternative; one without, a
    decorative placeholder."""
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    from navette.search.index import rebuild_index

    with_cover = make_record(title="Oiseaux de mer")
    make_record(title="Oiseaux des villes")
    cover = covers.cover_set(record=with_cover, data=png_with_metadata(), actor=cataloguer, now=NOW)
    rebuild_index()
    page = client.get(reverse("portal:search"), {"q": "oiseaux"}).content.decode()
    src = reverse("portal:cover", args=["vignette", cover.name.removesuffix(".jpg")])
    assert f'src="{src}" width="120" height="180" alt="Couverture de « Oiseaux de mer »"' in page
    assert page.count('<span class="cover-placeholder result-cover" aria-hidden="true">') == 1


def test_cover_service_address_is_checked():
    """A cover service's address must be http(s) and hold {isbn} or {isbn10}."""
    from django.core.exceptions import ValidationError

    for template in ("ftp://covers.example.org/{isbn}.jpg", "https://covers.example.org/x.jpg"):
        with pytest.raises(ValidationError) as refused:
            CoverService(name="X", url_template=template).full_clean()
        assert "url_template" in refused.value.message_dict
    CoverService(name="X", url_template="https://covers.example.org/{isbn10}.jpg").full_clean()
