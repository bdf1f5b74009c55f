"""Amounts of money are integers of cents; shown in euros with a French decimal comma."""

from __future__ import annotations


def euros(cents: int | None) -> str:
    """``1234`` -> ``'12,34'``; ``5`` -> ``'0,05'``."""
    cents = int(cents or 0)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"


def parse_euros(text: str) -> int | None:
    """``'12,50'``, ``'12.5'``, ``'12 €'`` -> cents; None unless an amount with at most 2 decimals."""
    text = text.strip().replace("\u202f", "").replace(" ", "").replace("€", "").replace(",", ".")
    whole, _sep, frac = text.partition(".")
    if not whole.isdigit() or len(frac) > 2 or (frac and not frac.isdigit()):
        return None
    return int(whole) * 100 + int((frac + "00")[:2])
