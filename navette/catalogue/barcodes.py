"""Copy barcodes: the check digit a network may require (pure functions, no I/O).

``check_digit(rule, body)`` computes the digit a barcode's body should end with;
``barcode_problem(rule, barcode)`` says what is wrong with a barcode under ``rule`` (None
when it passes). Rules are ``BarcodeChecksum`` values: none, Luhn (the modulo 10 of
payment cards and many library labels), GS1 (the EAN-13 / UPC modulo 10, weights 3 and 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from navette.catalogue.models import BarcodeChecksum


@dataclass(frozen=True)
class BarcodeProblem:
    """``code``: ``barcode_not_digits`` or ``barcode_check_digit`` (``expected`` the digit
    the barcode should end with)."""

    code: str
    expected: str = ""


def _luhn(body: str) -> str:
    total = 0
    # from the right, every second digit of the body (the first next to the check digit)
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _gs1(body: str) -> str:
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def check_digit(rule: str, body: str) -> str:
    """The check digit of ``body`` (digits only) under ``rule`` (Luhn or GS1)."""
    if rule == BarcodeChecksum.LUHN:
        return _luhn(body)
    if rule == BarcodeChecksum.GS1:
        return _gs1(body)
    raise ValueError(rule)


def barcode_problem(rule: str, barcode: str) -> BarcodeProblem | None:
    """What is wrong with ``barcode`` under ``rule``; None when it passes (always, without
    a rule)."""
    if not rule:
        return None
    if not barcode.isascii() or not barcode.isdigit() or len(barcode) < 2:
        return BarcodeProblem("barcode_not_digits")
    expected = check_digit(rule, barcode[:-1])
    if barcode[-1] != expected:
        return BarcodeProblem("barcode_check_digit", expected=expected)
    return None
