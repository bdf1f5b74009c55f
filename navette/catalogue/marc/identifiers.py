"""Normalising standard numbers: ISBN (always stored as ISBN-13), ISSN, EAN."""

from __future__ import annotations

import re

_CLEAN = re.compile(r"[^0-9Xx]")
_LEAD = re.compile(r"^\s*([0-9Xx][0-9Xx\- ]{8,20})")


def _isbn13_check(digits12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits12))
    return str((10 - total % 10) % 10)


def normalise_isbn(raw: str) -> str:
    """'2-07-036822-X (broché)' -> '9782070368228'; '' when it is not an ISBN.

    ISBN-10 become ISBN-13 (978 prefix, new check digit); hyphens and
    qualifiers are dropped. A wrong check digit is kept as given (libraries
    still search by it) but only when the length is right.
    """
    m = _LEAD.match(raw)
    if not m:
        return ""
    digits = _CLEAN.sub("", m.group(1)).upper()
    if len(digits) == 10 and digits[:9].isdigit():
        core = "978" + digits[:9]
        return core + _isbn13_check(core)
    if len(digits) == 13 and digits.isdigit():
        return digits
    return ""


def normalise_issn(raw: str) -> str:
    digits = _CLEAN.sub("", raw.strip().split(" ")[0]).upper()
    if len(digits) == 8 and digits[:7].isdigit():
        return f"{digits[:4]}-{digits[4:]}"
    return ""


def normalise_ean(raw: str) -> str:
    digits = re.sub(r"\D", "", raw.strip().split(" ")[0])
    return digits if len(digits) in (12, 13) else ""
