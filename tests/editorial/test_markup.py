"""Staff's Markdown becomes safe HTML: no script, no raw HTML, no javascript: links."""

from html.parser import HTMLParser

import pytest

from navette.editorial.markup import ALLOWED_TAGS, render_markdown


def test_markdown_is_rendered_with_no_second_h1():
    """Emphasis, lists and links render; '#' becomes h2 like '##' (the page's title is the
    h1), '###' stays h3."""
    html = render_markdown(
        "# Horaires\n\n**Fermé** le *lundi*.\n\n- un\n- deux\n\n[Lens](https://lens.fr)"
    )
    assert "<h2>Horaires</h2>" in html
    assert "<strong>Fermé</strong>" in html and "<em>lundi</em>" in html
    assert "<li>un</li>" in html
    assert 'href="https://lens.fr"' in html and 'rel="noopener noreferrer"' in html
    assert "<h1" not in html
    assert render_markdown("## Accès\n\n### En bus") == "<h2>Accès</h2>\n<h3>En bus</h3>\n"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[clic](javascript:alert(1))",
        '<a href="https://x" onclick="alert(1)">x</a>',
        "![image](https://tracker.example/pixel.png)",
        "<iframe src='https://x'></iframe>",
        '<p style="position:fixed">x</p>',
    ],
)
def test_nothing_active_or_raw_survives(source):
    """Raw HTML is kept as text (escaped), never as tags; images, javascript: links, event
    handlers and styles never reach the page."""
    html = render_markdown(source)
    for tag, attrs in _tags(html):
        assert tag in ALLOWED_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", html
            assert not (value or "").lower().startswith("javascript"), html
    assert not any(tag in ("script", "img", "iframe") for tag, _attrs in _tags(html))


def test_raw_html_is_shown_as_text():
    """A tag typed in the text is shown as typed, not interpreted."""
    assert "&lt;b&gt;gras&lt;/b&gt;" in render_markdown("<b>gras</b> ici")
