"""A kartabl's people: which agreement and unit a new agency-lead or agency-staff belongs to."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.auth.errors import AccessProblem
from hub.auth.passwords import MIN_PASSWORD_LENGTH, create_user
from hub.auth.roles import Role
from hub.core.errors import NotFound
from hub.db.models_kartabl import KartablMember
from hub.web.kartabl.access import PORTAL, Desk
from hub.web.kartabl.actions import FormRefused, Problems
from hub.web.kartabl.inbox import units_of


def check_kartabl_user(
    registry: AgreementRegistry, agreement_id: str, role: Role, unit: str | None
) -> None:
    """Refuse a kartabl user whose agreement is not a portal one, or whose unit it lacks."""
    if not agreement_id:
        raise AccessProblem(f"a {role} user needs the agreement it belongs to (--agreement)")
    try:
        agreement = registry.get(agreement_id)
    except NotFound as exc:
        raise AccessProblem(f"no agreement {agreement_id!r}") from exc
    if agreement.connector_type != PORTAL:
        raise AccessProblem(
            f"agreement {agreement_id!r} has no kartabl: its connector is "
            f"{agreement.connector_type}, not portal"
        )
    units = [u["id"] for u in units_of(agreement)]
    if unit and unit not in units:
        known = ", ".join(units) or "none"
        raise AccessProblem(f"--unit {unit!r} is not a unit of {agreement_id} (units: {known})")


def set_unit(session: Session, user_id: int, agreement_id: str, unit: str | None) -> None:
    """Put a kartabl user in ``unit`` (None: no unit, e.g. a lead)."""
    row = session.get(KartablMember, user_id)
    if row is None:
        session.add(KartablMember(user_id=user_id, agreement_id=agreement_id, unit=unit))
    else:
        row.unit = unit
    session.flush()


USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def add_staff(session: Session, desk: Desk, username: str, password: str, unit: str) -> str:
    """A lead's new agency-staff colleague in ``unit``: their user name, or FormRefused."""
    problems = Problems()
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        problems.add(
            "username",
            "3 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit",
            "۳ تا ۶۴ نویسه از حروف کوچک لاتین، رقم، نقطه، خط تیره یا زیرخط",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.add(
            "password",
            f"at least {MIN_PASSWORD_LENGTH} characters",
            f"دست‌کم {MIN_PASSWORD_LENGTH} نویسه",
        )
    if unit not in {u["id"] for u in units_of(desk.agreement)}:
        problems.add("unit", "choose one of the agency's units", "یکی از واحدها را انتخاب کنید")
    if problems:
        raise FormRefused(problems)
    try:
        user = create_user(session, name, password, Role.AGENCY_STAFF, desk.agreement.id)
    except AccessProblem as exc:
        problems.add("username", str(exc), "این نام کاربری پیش‌تر ساخته شده است")
        raise FormRefused(problems) from exc
    set_unit(session, user.id, desk.agreement.id, unit)
    return name
