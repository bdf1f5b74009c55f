"""Staff write in Markdown (CommonMark); readers get sanitised HTML.

markdown-it-py renders with raw HTML and images turned off, then nh3 (the Ammonia
sanitiser) keeps only a short list of tags and attributes and the web, mail and phone
link schemes: whatever a staff account pastes, no script, style, frame, event handler or
``javascript:`` link reaches the portal. A first-level heading (``#``) becomes ``h2``, like
``##``: the page's own title is its only ``h1``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

#: the most a body may hold (a long page, not a book)
MAX_BODY_CHARS = 50_000

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable("image")


def render_markdown(text: str) -> str:
    """``text`` (Markdown) as safe HTML. Pure: no database, no settings."""
    tokens = _MARKDOWN.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(int(token.tag[1]), 2)}"
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
