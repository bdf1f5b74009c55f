"""Amounts of money are integers of cents; shown by navette.core.formats."""

from __future__ import annotations

from navette.core.formats import amount


def euros(cents: int | None) -> str:
    """The number of euros in the active language, without the currency: ``1234`` ->
    ``'12,34'`` in French, ``'12.34'`` in English (``navette.core.formats.amount``).
    Interfaces show amounts with ``navette.core.formats.euros``, which adds the currency."""
    return amount(cents)


def parse_euros(text: str) -> int | None:
    """``'12,50'``, ``'12.5'``, ``'12 €'`` -> cents; None unless an amount with at most 2 decimals."""
    text = text.strip().replace("\u202f", "").replace(" ", "").replace("€", "").replace(",", ".")
    whole, _sep, frac = text.partition(".")
    if not whole.isdigit() or len(frac) > 2 or (frac and not frac.isdigit()):
        return None
    return int(whole) * 100 + int((frac + "00")[:2])
