"""Who acts: a staff member, a kiosk, a patron on the portal, or a system job.

Services take an ``Actor`` so that the same check-out runs from the desk, the
portal, the API and a kiosk, and so that the audit trail says who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActorKind(StrEnum):
    STAFF = "staff"
    KIOSK = "kiosk"
    PATRON = "patron"
    SYSTEM = "system"
    VENDOR = "vendor"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None
    label: str

    @classmethod
    def staff(cls, user) -> Actor:
        return cls(ActorKind.STAFF, user.pk, user.get_username())

    @classmethod
    def kiosk(cls, kiosk_id: int, login: str) -> Actor:
        return cls(ActorKind.KIOSK, kiosk_id, login)

    @classmethod
    def patron(cls, patron_id: int) -> Actor:
        # A patron's own actions are labelled by id only: no name in the audit trail.
        return cls(ActorKind.PATRON, patron_id, f"patron:{patron_id}")

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(ActorKind.SYSTEM, None, job)
