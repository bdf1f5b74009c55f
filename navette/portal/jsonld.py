"""JSON-LD for a page's <script type="application/ld+json"> element."""

from __future__ import annotations

import json
from typing import Any

from django.utils.safestring import SafeString, mark_safe

# What could end the script element or open a comment in it ("</script>", "<!--"),
# written as JSON escapes that read back as the same characters.
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_ld(data: dict[str, Any]) -> SafeString:
    """``data`` as JSON that is safe inside a script element, whatever its strings hold."""
    text = json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return mark_safe(text)  # noqa: S308 - <, > and & escaped above
