"""Circulation: loan rules and settings (data), loans, holds, transits, fines."""

from navette.circulation.models.loans import (
    Crate,
    Fine,
    FinePayment,
    Hold,
    HoldStatus,
    Loan,
    PaymentMethod,
    Transit,
    TransitReason,
    TransitStatus,
)
from navette.circulation.models.offline import (
    OfflineKind,
    OfflineOutcome,
    OfflineSource,
    OfflineTransaction,
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
    "Crate",
    "Fine",
    "FinePayment",
    "Hold",
    "HoldStatus",
    "LibraryCirculationSettings",
    "Loan",
    "LoanRule",
    "OfflineKind",
    "OfflineOutcome",
    "OfflineSource",
    "OfflineTransaction",
    "PaymentMethod",
    "PenaltyKind",
    "ReturnPolicy",
    "Transit",
    "TransitReason",
    "TransitStatus",
]
