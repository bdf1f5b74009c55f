"""Possible duplicate patrons across sources: pure functions over names and birth dates."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-‐‑–'’.]+")


def normal_name(name: str) -> str:
    """A name without accents, case, hyphens or apostrophes: "Le Bihan-Éric" → "le bihan eric"."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_SEPARATORS.split(bare.casefold())).strip()


def person_key(first_name: str, last_name: str, birth_date: dt.date | None) -> str | None:
    """Two patrons with the same key are one person (same names and birth date); None
    without a birth date (names alone are too common to merge on)."""
    if birth_date is None:
        return None
    surname = " ".join(sorted(normal_name(last_name).split()))
    return f"{surname}|{normal_name(first_name)}|{birth_date.isoformat()}"


def may_be_same(a: tuple[str, str, dt.date | None], b: tuple[str, str, dt.date | None]) -> bool:
    """A looser test, for the list shown to librarians: the same first name and birth date,
    and one surname's words contained in the other's (a compound surname given in full in
    one library and in part in another: "Martin-Dupont" and "Dupont")."""
    if a[2] is None or a[2] != b[2] or normal_name(a[0]) != normal_name(b[0]):
        return False
    sa, sb = set(normal_name(a[1]).split()), set(normal_name(b[1]).split())
    return bool(sa) and bool(sb) and (sa <= sb or sb <= sa)
