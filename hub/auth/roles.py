"""Roles, and the principal a request acts as.

- ``operator``: the 111 call centre: submits, triages and looks up requests;
- ``agency``: one agency's system or clerk, scoped to one agreement: reads its own referrals and
  posts updates to them, nothing else;
- ``supervisor``: the supervising office: every figure and every case, read-only;
- ``admin``: agreements reload, resends, users and tokens.

A citizen is not a role: a citizen proves nothing but knowledge of a tracking code and the
mobile it was filed with, and only the look-up route accepts that.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    AGENCY = "agency"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, the agreement an agency is scoped to, and a name for the log."""

    role: Role
    name: str  # "token:ops-desk-1", "user:maryam", "signature:golestan-water"
    agreement_id: str | None = None
    credential: str = ""  # which token or user exactly ("token#12"): names may repeat

    @property
    def caller(self) -> str:
        """The one credential calling, for what is kept per caller (intake's idempotency keys)."""
        return self.credential or self.name[:64]

    @property
    def actor(self) -> str:
        """How this principal appears in the event log (``Event.actor`` is 64 characters)."""
        return self.name[:64]

    def may_act_for(self, agreement_id: str) -> bool:
        return self.role is Role.AGENCY and self.agreement_id == agreement_id
