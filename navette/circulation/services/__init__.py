"""Circulation services: every state change of loans, holds and transits.

Each is keyword-only, takes ``actor`` and ``now``, runs in one transaction,
locks patron -> items -> holds, appends an audit event and a statistics fact,
enqueues the record for re-indexing, and raises a ``CirculationError``
(stable ``code``, French ``message``) with nothing changed when it refuses.
"""

from navette.circulation.services.fines import FinesSettlement, fines_pay, fines_waive
from navette.circulation.services.holds import (
    hold_cancel,
    hold_change_pickup,
    hold_expire,
    hold_place,
    hold_suspend,
)
from navette.circulation.services.loans import (
    RenewOutcome,
    loan_checkin,
    loan_checkout,
    loan_renew,
    loans_renew_all,
)
from navette.circulation.services.offline import OfflineEntry, offline_apply, offline_replay
from navette.circulation.services.routing import CheckinAction, CheckinKind, CheckinResult
from navette.circulation.services.transits import (
    crate_send,
    transit_declare_lost,
    transit_receive,
)

__all__ = [
    "CheckinAction",
    "CheckinKind",
    "CheckinResult",
    "FinesSettlement",
    "OfflineEntry",
    "RenewOutcome",
    "fines_pay",
    "fines_waive",
    "hold_cancel",
    "hold_change_pickup",
    "hold_expire",
    "hold_place",
    "hold_suspend",
    "loan_checkin",
    "offline_apply",
    "offline_replay",
    "loan_checkout",
    "loan_renew",
    "loans_renew_all",
    "transit_declare_lost",
    "transit_receive",
    "crate_send",
]
