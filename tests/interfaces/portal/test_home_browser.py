"""The living home page and the news editor in a real browser (Debian's chromium): axe
finds nothing serious at 1280, 360 and 320 px (the ``axe`` fixture also measures the
phone widths), no page scrolls sideways; a carousel scrolls inside itself with its
buttons, and without JavaScript from the keyboard."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from navette.core.models import Role, User
from navette.editorial.models import Article
from tests.editorial.factories import NOW, make_home_contents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 360, 320)


@pytest.fixture
def home(relire, clock_at):
    clock_at(NOW)
    return make_home_contents(relire, NOW, selection_size=10)


def _axe_at_every_width(page, axe, what: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert axe(page) == [], f"{what} at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_home_page_is_accessible_and_its_carousel_scrolls(page, axe, home):
    """Every section shows; a carousel that fits has no buttons; at 320 px the selection's
    carousel overflows inside itself (the page does not) and its 'next' button scrolls it."""
    page.goto(page.base_url + "/")
    expect(page.get_by_role("heading", name="Actualités", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Nouveautés")).to_be_visible()
    expect(page.get_by_role("heading", name="Coups de cœur")).to_be_visible()
    expect(page.get_by_text("Heure du conte")).to_be_visible()
    expect(page.get_by_role("link", name="Accessibilité : non conforme")).to_be_visible()
    _axe_at_every_width(page, axe, "home page")
    # two new arrivals fit at 1280 px: no buttons for a carousel that does not scroll
    arrivals = page.locator("section[aria-labelledby='carousel-nouveautes-title']")
    expect(arrivals.get_by_role("button", name="Suivants")).to_be_hidden()
    page.set_viewport_size({"width": 320, "height": 800})
    track = f"#carousel-{home.pk}-track"
    overflow = page.evaluate(
        "(sel) => { const t = document.querySelector(sel); return t.scrollWidth - t.clientWidth; }",
        track,
    )
    assert overflow > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    carousel = page.locator(f"section[aria-labelledby='carousel-{home.pk}-title']")
    next_button = carousel.get_by_role("button", name="Suivants")
    expect(next_button).to_be_visible()
    start = page.evaluate("(sel) => document.querySelector(sel).scrollLeft", track)
    next_button.click()
    page.wait_for_function(
        "([sel, start]) => document.querySelector(sel).scrollLeft > start + 100", arg=[track, start]
    )
    carousel.get_by_role("button", name="Précédents").click()
    page.wait_for_function(
        "([sel, start]) => document.querySelector(sel).scrollLeft <= start", arg=[track, start]
    )


def test_carousel_without_javascript_scrolls_from_the_keyboard(browser, live_server, home):
    """Without JavaScript the buttons stay hidden; the list takes the focus and the arrow
    keys scroll it."""
    context = browser.new_context(java_script_enabled=False, locale="fr-FR",
                                  viewport={"width": 360, "height": 800})  # fmt: skip
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        carousel = page.locator(f"section[aria-labelledby='carousel-{home.pk}-title']")
        expect(carousel.get_by_role("button", name="Suivants")).to_be_hidden()
        track = carousel.get_by_role("region", name="Coups de cœur (liste défilante)")
        track.focus()
        assert page.evaluate("document.activeElement.id") == f"carousel-{home.pk}-track"
        start = page.evaluate("document.activeElement.scrollLeft")
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(500)  # the browser's own smooth scrolling
        assert page.evaluate("document.activeElement.scrollLeft") > start + 50
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_portal_content_pages_are_accessible(page, axe, home):
    for path in ("/actualites/", f"/actualites/{Article.objects.get(title='Nouvelles liseuses').pk}/",
                 "/nouveautes/", "/bibliotheques/lens/", "/accessibilite/"):  # fmt: skip
        page.goto(page.base_url + path)
        _axe_at_every_width(page, axe, path)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_news_editor_publishes_a_news_item(page, axe, home, relire, settings, tmp_path):
    """A Lens librarian writes a news item with a photo in the staff editor (accessible at
    every width); it shows on the home page and on the library's page."""
    settings.MEDIA_ROOT = tmp_path / "media"
    user = User.objects.create_user("bib-lens", password="x", role=Role.LIBRARIAN)
    user.libraries.add(relire["lens"])
    page.goto(page.base_url + "/personnel/")
    page.get_by_label("Identifiant").fill("bib-lens")
    page.get_by_label("Mot de passe").fill("x")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    page.goto(page.base_url + "/personnel/portail/")
    _axe_at_every_width(page, axe, "contents list")
    with page.expect_navigation():
        page.get_by_role("link", name="Nouvelle actualité", exact=True).click()
    _axe_at_every_width(page, axe, "news editor")
    page.get_by_label("Titre").fill("Grainothèque ouverte")
    page.get_by_label("Chapô").fill("Des graines à échanger à l'accueil.")
    page.get_by_label("Texte", exact=True).fill("## Comment faire\n\nApportez **vos graines**.")
    page.get_by_label("Image", exact=True).set_input_files(
        files=[{"name": "graines.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.get_by_label("Texte alternatif de l'image").fill("Des sachets de graines")
    page.get_by_label("État").select_option("published")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Actualité enregistrée.")).to_be_visible()
    page.goto(page.base_url + "/")
    with page.expect_navigation():
        page.get_by_role("link", name="Grainothèque ouverte").click()
    expect(page.get_by_role("heading", name="Comment faire", level=2)).to_be_visible()
    expect(page.locator("article strong")).to_have_text("vos graines")
    image = page.get_by_role("img", name="Des sachets de graines")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 40
    page.goto(page.base_url + "/bibliotheques/lens/")
    expect(page.get_by_role("link", name="Grainothèque ouverte")).to_be_visible()
