"""Network pages in a real browser: keyboard, 360 px, axe-core."""

import pytest

from navette.network.demo import example_week
from navette.network.services import library_set_week

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def network(relire):
    for lib in relire.values():
        library_set_week(lib, example_week(lib.commune), examples=True)
    return relire


def test_directory_in_browser_is_accessible_and_fits_360px(page, axe, network):
    """The directory has no serious or critical axe violation, no horizontal scroll at 360 px,
    and the skip link is the first thing the keyboard reaches."""
    for path in ("/", "/bibliotheques/", "/bibliotheques/lens/"):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(page.base_url + path)
        assert axe(page) == [], path
        page.set_viewport_size({"width": 360, "height": 740})
        page.goto(page.base_url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls horizontally by {overflow}px at 360px"
    page.goto(page.base_url + "/bibliotheques/")
    assert page.locator(".library-card").count() == 27
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_language_switch_in_browser(page, network):
    page.goto(page.base_url + "/bibliotheques/")
    assert page.locator("h1").inner_text() == "Les bibliothèques du réseau"
    page.select_option("#lang-select", "en")
    page.click(".lang-switch button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "The network's libraries"
    page.click("text=Médiathèque La Source")
    assert "/bibliotheques/harnes/" in page.url
