"""French that reads as French: no "(s)" plurals, no "(e)" agreements in what people read.

Plurals go through Django's plural forms (ngettext, blocktranslate count); a sentence that
would need "(e)" is rephrased. The scan covers code, templates and mail templates.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import navette

ROOT = Path(navette.__file__).parent
#: a word followed by (s), (e), (es), (x): "créée(s)", "inscrit(e)", "Né(e)"
LAZY_PLURAL = re.compile(r"[A-Za-zÀ-ÿ]\((?:s|e|es|x)\)")
SUFFIXES = {".py", ".html", ".txt", ".subject"}


def _texts(path: Path):
    """(line, text) pairs people may read: string literals of Python code, whole lines of
    templates."""
    source = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        yield from enumerate(source.splitlines(), 1)
        return
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            text = token.string
            if text[: text.index(text[-1])].lower().count("f"):  # an f-string: not its code
                text = re.sub(r"\{[^{}]*\}", "", text)
            yield token.start[0], text


def test_no_parenthesised_plural_or_agreement():
    found = []
    for path in sorted(ROOT.rglob("*")):
        if path.suffix not in SUFFIXES or "migrations" in path.parts:
            continue
        for number, text in _texts(path):
            for match in LAZY_PLURAL.finditer(text):
                found.append(f"{path.relative_to(ROOT.parent)}:{number}: {match.group(0)}")
    assert not found, "write plurals with ngettext / blocktranslate count:\n" + "\n".join(found)


def test_the_english_catalogue_translates_every_message():
    """Every French message has its English translation (none left empty or fuzzy)."""
    import polib

    po = polib.pofile(str(ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert not missing, f"{len(missing)} untranslated: {missing[:20]}"


def test_french_plural_forms_cover_every_plural_message():
    """French says "0 réservation expirée" (singular for 0 and 1): the French catalogue holds
    every plural message of the English one under French's rule (scripts/french-plurals)."""
    import polib

    english = polib.pofile(str(ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    french = polib.pofile(str(ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    assert "n > 1" in french.metadata["Plural-Forms"]
    plurals = {(e.msgctxt, e.msgid) for e in english if e.msgid_plural and not e.obsolete}
    held = {(e.msgctxt, e.msgid) for e in french if e.msgid_plural}
    assert plurals <= held, f"run scripts/french-plurals: {sorted(plurals - held)[:10]}"


def test_zero_is_singular_in_french_and_plural_in_english():
    from django.utils import translation

    message = ("%(n)d réservation expirée", "%(n)d réservations expirées")
    with translation.override("fr"):
        assert translation.ngettext(*message, 0) % {"n": 0} == "0 réservation expirée"
        assert translation.ngettext(*message, 2) % {"n": 2} == "2 réservations expirées"
    with translation.override("en"):
        assert translation.ngettext(*message, 0) % {"n": 0} == "0 holds expired"
