"""The supervising office's look at every kartabl, read only: how many referrals are open, how
many nobody has opened yet, the oldest of those, and those past their view deadline unopened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.api.dashboard_auth import DashboardAccess, csrf_field
from hub.api.deps import RegistryDep, SessionDep
from hub.auth.roles import Role
from hub.auth.sessions import ActiveLogin
from hub.calendars.jalali import persian_digits
from hub.core.states import POLLED, ReferralState
from hub.db.models import Referral
from hub.db.types import utcnow
from hub.web.dashboard.i18n import words
from hub.web.kartabl.access import PORTAL
from hub.web.kartabl.i18n import kartabl_words
from hub.web.kartabl.pages import LangQuery, jalali_when, templates

router = APIRouter(prefix="/dashboard", include_in_schema=False)
WatcherDep = Annotated[ActiveLogin, Depends(DashboardAccess(Role.SUPERVISOR, Role.ADMIN))]


@dataclass(frozen=True)
class KartablState:
    agreement: Agreement
    open: int
    unseen: int
    oldest_unseen: datetime | None
    unseen_late: int


def kartabl_states(
    session: Session, agreements: list[Agreement], now: datetime
) -> list[KartablState]:
    delivered = Referral.state == str(ReferralState.DELIVERED)
    rows = {
        row.agreement_id: row
        for row in session.execute(
            select(
                Referral.agreement_id,
                func.count().label("open"),
                func.count().filter(delivered).label("unseen"),
                func.min(Referral.delivered_at).filter(delivered).label("oldest"),
                func.count().filter(delivered, Referral.view_due_at < now).label("late"),
            )
            .where(
                Referral.agreement_id.in_([a.id for a in agreements]),
                Referral.state.in_([str(s) for s in POLLED]),
            )
            .group_by(Referral.agreement_id)
        )
    }
    shown = []
    for agreement in agreements:
        row = rows.get(agreement.id)
        shown.append(
            KartablState(
                agreement,
                row.open if row else 0,
                row.unseen if row else 0,
                row.oldest if row else None,
                row.late if row else 0,
            )
        )
    return shown


@router.get("/kartabls", response_class=HTMLResponse)
def kartabls_page(
    request: Request,
    login: WatcherDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
) -> HTMLResponse:
    portal = [a for a in registry.all() if a.connector_type == PORTAL]

    def num(value: object) -> str:
        return persian_digits(str(value)) if lang == "fa" else str(value)

    return templates.TemplateResponse(
        request,
        "kartabls.html",
        {
            "lang": lang,
            "w": kartabl_words(lang) | {"title": words(lang)["title"]},
            "num": num,
            "when": jalali_when(lang),
            "login": login,
            "logout_csrf": csrf_field(login),
            "rows": kartabl_states(session, portal, utcnow()),
            "page": "kartabls",
        },
    )
