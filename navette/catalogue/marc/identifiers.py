"""Normalising standard numbers: ISBN (always stored as ISBN-13), ISSN, EAN, LCCN, BnF.

Check digits and conversions come from python-stdnum; what to keep of a number that
fails its check is decided here (libraries still search by a misprinted ISBN).
"""

from __future__ import annotations

import re

from stdnum import ean as std_ean
from stdnum import isbn as std_isbn
from stdnum import issn as std_issn

_LEAD = re.compile(r"^\s*([0-9Xx][0-9Xx\- ]{8,20})")
_BNF = re.compile(r"(?:FRBNF|ark:/12148/cb)\s*(\d{8,9})", re.IGNORECASE)


def normalise_isbn(raw: str) -> str:
    """'2-07-036822-X (broché)' -> '9782070368228'; '' when it is not an ISBN.

    ISBN-10 become ISBN-13 (978 prefix, new check digit); hyphens and
    qualifiers are dropped. A wrong check digit is kept as given (libraries
    still search by it) but only when the length is right.
    """
    m = _LEAD.match(raw)
    if not m:
        return ""
    digits = std_isbn.compact(m.group(1)).upper()
    if len(digits) == 10 and digits[:9].isdigit():
        return std_isbn.to_isbn13(digits)
    if len(digits) == 13 and digits.isdigit():
        return digits
    return ""


def normalise_issn(raw: str) -> str:
    digits = std_issn.compact(raw.strip().split(" ")[0]).upper()
    if len(digits) == 8 and digits[:7].isdigit():
        return std_issn.format(digits)
    return ""


def normalise_ean(raw: str) -> str:
    digits = std_ean.compact(raw.strip().split(" ")[0])
    digits = "".join(c for c in digits if c.isdigit())
    return digits if len(digits) in (12, 13) else ""


def ean13(value: str) -> str:
    """A UPC-A (12 digits) as the EAN-13 it is (a leading 0); a valid EAN-13 as is; '' else."""
    value = "0" + value if len(value) == 12 else value
    return value if std_ean.is_valid(value) and len(value) == 13 else ""


def normalise_lccn(raw: str) -> str:
    """A Library of Congress control number (MARC21 010$a) in its normalised form:
    blanks dropped, '85-2' -> '85000002' (the serial padded to six digits)."""
    value = raw.strip().split("/")[0].replace(" ", "").lower()
    if "-" in value:
        prefix, _, serial = value.partition("-")
        if serial.isdigit():
            value = prefix + serial.zfill(6)
    return value if any(c.isdigit() for c in value) else ""


def normalise_bnf(raw: str) -> str:
    """The BnF record number (FRBNF12345678, ark:/12148/cb12345678x) as its digits; ''."""
    m = _BNF.search(raw)
    return m.group(1)[:8] if m else ""
