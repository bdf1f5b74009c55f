"""Token counts as people read them, in the active language (amounts are counted in
half-tokens everywhere else): ``core.formats.tokens``, under the name the digital pages use."""

from __future__ import annotations

from navette.core.formats import tokens as format_tokens

__all__ = ["format_tokens"]
