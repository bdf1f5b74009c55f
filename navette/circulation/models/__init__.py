"""Circulation: loan rules and settings (data), loans, holds, transits, fines."""

from navette.circulation.models.loans import (
    Fine,
    Hold,
    HoldStatus,
    Loan,
    Transit,
    TransitReason,
    TransitStatus,
)
from navette.circulation.models.rules import (
    CirculationSettings,
    LibraryCirculationSettings,
    LoanRule,
    PenaltyKind,
    ReturnPolicy,
)

__all__ = [
    "CirculationSettings",
    "Fine",
    "Hold",
    "HoldStatus",
    "LibraryCirculationSettings",
    "Loan",
    "LoanRule",
    "PenaltyKind",
    "ReturnPolicy",
    "Transit",
    "TransitReason",
    "TransitStatus",
]
