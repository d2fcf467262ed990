"""The lead's page of the agency's people: who works the kartabl, in which unit, and a form to
add an agency-staff colleague (:func:`hub.web.kartabl.members.add_staff`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from hub.api.deps import RegistryDep, SessionDep
from hub.auth.errors import forbidden
from hub.auth.roles import KARTABL_ROLES
from hub.db.models_access import User
from hub.db.models_kartabl import KartablMember
from hub.web.dashboard.i18n import Lang
from hub.web.kartabl import inbox as listing
from hub.web.kartabl.access import Desk, KartablLoginDep, LeadFormDep, desk_of
from hub.web.kartabl.actions import FormRefused, Problems
from hub.web.kartabl.members import add_staff
from hub.web.kartabl.pages import LangQuery, render, unit_namer

router = APIRouter(prefix="/kartabl", include_in_schema=False)


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    login: KartablLoginDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    made: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """The agency's people and their units, and a form to add a colleague (the lead's page)."""
    return _users(request, session, desk_of(login, session, registry), lang, made=made)


def _users(
    request: Request, session: SessionDep, desk: Desk, lang: Lang, status: int = 200, **context: Any
) -> HTMLResponse:
    if not desk.is_lead:
        raise forbidden("only the agency's lead sees and adds its users")
    people = session.execute(
        select(User.username, User.role, User.disabled, KartablMember.unit)
        .outerjoin(KartablMember, KartablMember.user_id == User.id)
        .where(
            User.agreement_id == desk.agreement.id,
            User.role.in_([str(role) for role in KARTABL_ROLES]),
        )
        .order_by(User.username)
    ).all()
    return render(
        request,
        "users.html",
        lang,
        desk.login,
        status,
        desk=desk,
        people=people,
        units=listing.units_of(desk.agreement),
        unit_name=unit_namer(desk.agreement, lang),
        problems=context.pop("problems", Problems()),
        values=context.pop("values", {}),
        page="users",
        **context,
    )


@router.post("/users", response_model=None)
def add_colleague(
    request: Request,
    login: LeadFormDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    unit: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse | RedirectResponse:
    """The lead adds an agency-staff colleague in one of the agency's units."""
    desk = desk_of(login, session, registry)
    try:
        name = add_staff(session, desk, username, password, unit)
    except FormRefused as refused:
        session.rollback()
        values = {"username": username, "unit": unit}
        return _users(request, session, desk, lang, 422, problems=refused.problems, values=values)
    session.commit()
    return RedirectResponse(f"/kartabl/users?lang={lang}&made={name}", status_code=303)
