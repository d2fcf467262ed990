"""Who may see which referral of a kartabl: one agreement, and inside it one unit or person.

A lead sees every referral the agency has received; a staff member only those assigned to
their unit or to them. Anything else answers exactly as a referral that does not exist (404),
so a reference from another agency tells nobody that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.api.dashboard_auth import DashboardAccess
from hub.auth.errors import forbidden
from hub.auth.roles import Role
from hub.auth.sessions import ActiveLogin
from hub.core.errors import NotFound
from hub.core.states import ReferralState
from hub.db.models import Referral
from hub.db.models_access import User
from hub.db.models_kartabl import KartablAssignment, KartablMember

PORTAL = "portal"
# A referral is in the kartabl once the hub has filed it there.
NOT_YET_FILED = (str(ReferralState.PENDING), str(ReferralState.DELIVERING))

KartablLoginDep = Annotated[
    ActiveLogin, Depends(DashboardAccess(Role.AGENCY_LEAD, Role.AGENCY_STAFF))
]
KartablFormDep = Annotated[
    ActiveLogin, Depends(DashboardAccess(Role.AGENCY_LEAD, Role.AGENCY_STAFF, form=True))
]
LeadFormDep = Annotated[ActiveLogin, Depends(DashboardAccess(Role.AGENCY_LEAD, form=True))]


@dataclass(frozen=True)
class Desk:
    """One logged-in person at their agency's kartabl."""

    login: ActiveLogin
    user_id: int
    agreement: Agreement
    unit: str | None

    @property
    def is_lead(self) -> bool:
        return self.login.principal.role is Role.AGENCY_LEAD

    @property
    def actor(self) -> str:
        return self.login.principal.actor


def desk_of(login: ActiveLogin, session: Session, registry: AgreementRegistry) -> Desk:
    """The kartabl of ``login``'s agreement; refused when that agreement has no kartabl."""
    agreement_id = login.principal.agreement_id or ""
    try:
        agreement: Agreement | None = registry.get(agreement_id)
    except NotFound:
        agreement = None
    if agreement is None or agreement.connector_type != PORTAL:
        raise forbidden(f"agreement {agreement_id!r} has no kartabl (its connector is not portal)")
    username = login.principal.name.removeprefix("user:")
    user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise forbidden("this login's user is gone")
    unit = session.scalar(select(KartablMember.unit).where(KartablMember.user_id == user_id))
    return Desk(login, user_id, agreement, unit)


def visible(desk: Desk) -> ColumnElement[bool]:
    """The SQL condition on ``Referral`` (joined outer with its assignment) for ``desk``."""
    own = and_(
        Referral.agreement_id == desk.agreement.id,
        Referral.state.not_in(NOT_YET_FILED),
    )
    if desk.is_lead:
        return own
    mine = KartablAssignment.assignee_id == desk.user_id
    units = KartablAssignment.unit == desk.unit if desk.unit else false()
    return and_(own, or_(mine, units))


def referral_for(session: Session, desk: Desk, reference: str) -> Referral:
    """The referral ``reference`` if ``desk`` may see it; 404 otherwise, whoever holds it."""
    found = session.scalar(
        select(Referral)
        .outerjoin(KartablAssignment, KartablAssignment.referral_id == Referral.id)
        .where(Referral.reference == reference[:32], visible(desk))
    )
    if found is None:
        raise NotFound(f"no referral {reference[:32]} in this kartabl")
    return found
