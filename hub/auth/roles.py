"""Roles, and the principal a request acts as.

- ``operator``: the 111 call centre: submits, triages and looks up requests;
- ``agency``: one agency's system or clerk, scoped to one agreement: reads its own referrals and
  posts updates to them, nothing else;
- ``supervisor``: the supervising office: every figure and every case, read-only;
- ``admin``: agreements reload, resends, users and tokens;
- ``agency-lead`` and ``agency-staff``: people of an agency without software of its own, who
  work its kartabl (the ``portal`` connector's pages), scoped to one agreement: the lead sees
  all of it and assigns; staff see what is assigned to them or to their unit. People only: they
  log in, they get no API tokens.

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
    AGENCY_LEAD = "agency-lead"
    AGENCY_STAFF = "agency-staff"

    @property
    def is_scoped(self) -> bool:
        """Roles that belong to one agreement (an agency's system, its kartabl's people)."""
        return self in SCOPED_ROLES

    @property
    def takes_tokens(self) -> bool:
        """Roles a machine client's API token may carry (the kartabl's are people's only)."""
        return self not in KARTABL_ROLES


KARTABL_ROLES = frozenset({Role.AGENCY_LEAD, Role.AGENCY_STAFF})
SCOPED_ROLES = frozenset({Role.AGENCY, *KARTABL_ROLES})


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
