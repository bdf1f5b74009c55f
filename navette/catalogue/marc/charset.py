"""Choosing and applying a record's character set.

MARC21 declares UTF-8 in leader/09 ('a') and otherwise means MARC-8. UNIMARC
leaves leader/09 blank and declares its sets in field 100$a positions 26-29
('50' is ISO 10646, i.e. UTF-8). A MARC-8-flagged record whose bytes are valid
UTF-8 with multi-byte sequences and no escape is UTF-8 mislabelled: MARC-8
diacritics (0xE0-0xFE followed by an ASCII letter) are never valid UTF-8.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

from pymarc.marc8 import MARC8ToUnicode

from navette.catalogue.marc import MarcError

Decoder = Callable[[bytes, str], str]

UNIMARC_SETS = {
    "01": "ISO 646 (ASCII)",
    "02": "ISO Registration #37 (cyrillique)",
    "03": "ISO 5426 (latin étendu)",
    "04": "ISO DIS 5427 (cyrillique étendu)",
    "05": "ISO 5428 (grec)",
    "06": "ISO 6438 (africain)",
    "07": "ISO 10586 (géorgien)",
    "08": "ISO 8957 (hébreu) table 1",
    "09": "ISO 8957 (hébreu) table 2",
    "10": "réservé",
    "11": "ISO 5426-2",
    "50": "ISO 10646 (Unicode, UTF-8)",
}


def decode_utf8(body: bytes, tag: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MarcError(
            f"encodage UTF-8 invalide dans le champ {tag} (octet {exc.start})"
        ) from None


def decode_marc8(body: bytes, tag: str) -> str:
    if body.isascii() and b"\x1b" not in body:
        return body.decode("ascii")
    sink = io.StringIO()
    parts = body.split(b"\x1f")
    try:
        with contextlib.redirect_stderr(sink):
            out = "\x1f".join(MARC8ToUnicode(quiet=False).translate(p) for p in parts)
    except Exception as exc:  # pymarc raises assorted errors on broken escapes
        raise MarcError(f"encodage MARC-8 invalide dans le champ {tag} ({exc})") from None
    if sink.getvalue():
        raise MarcError(
            f"encodage MARC-8 invalide dans le champ {tag} : "
            f"{sink.getvalue().strip().splitlines()[0]}"
        )
    return out


def _valid_utf8(fields: list[tuple[str, bytes]]) -> bool:
    try:
        for _tag, body in fields:
            body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _all_ascii(fields: list[tuple[str, bytes]]) -> bool:
    return all(body.isascii() and b"\x1b" not in body for _t, body in fields)


def marc21_decoder(leader: str, fields: list[tuple[str, bytes]]) -> tuple[Decoder, str]:
    """Return the decoder for a MARC21 record and the charset name."""
    if leader[9] == "a":
        return decode_utf8, "UTF-8"
    if _all_ascii(fields):
        return decode_utf8, "ASCII"
    if not any(b"\x1b" in body for _t, body in fields) and _valid_utf8(fields):
        return decode_utf8, "UTF-8"
    return decode_marc8, "MARC-8"


def unimarc_charset(fields: list[tuple[str, bytes]]) -> str:
    """The two-digit code of 100$a/26-27 (with 28-29 when set), or ''."""
    for tag, body in fields:
        if tag == "100":
            for part in body.split(b"\x1f")[1:]:
                if part[:1] == b"a":
                    value = part[1:].decode("latin-1")
                    return value[26:30].strip()
    return ""


def unimarc_decoder(fields: list[tuple[str, bytes]]) -> tuple[Decoder, str]:
    """Return the decoder for a UNIMARC record, or raise MarcError when unsupported."""
    code = unimarc_charset(fields)
    if code.startswith("50"):
        return decode_utf8, "UTF-8"
    if _all_ascii(fields):
        return decode_utf8, "ASCII"
    # Exports labelled ISO 646 or left blank but holding valid UTF-8 are common.
    if code in ("", "01", "0101", "01  ") and _valid_utf8(fields):
        return decode_utf8, "UTF-8"
    name = UNIMARC_SETS.get(code[:2], code or "non déclaré")
    raise MarcError(
        f"jeu de caractères UNIMARC {code or '(vide)'} ({name}) non pris en charge "
        f"(100$a/26-29) : convertissez le fichier en UTF-8"
    )
