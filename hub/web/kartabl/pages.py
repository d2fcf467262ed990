"""The kartabl's pages: the inbox, one referral (opening it records "viewed"), its actions.

Server-rendered Jinja2 on the dashboard's base template, Persian right-to-left unless
``?lang=en``. Only an ``agency-lead`` or ``agency-staff`` of a ``portal`` agreement gets in
(:mod:`hub.web.kartabl.access`); forms are CSRF-checked as the dashboard's are. A form with a
bad or missing value comes back (422) with the field named and what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from hub.agreements.categories import names_of
from hub.api.dashboard_auth import csrf_field
from hub.api.deps import RegistryDep, SessionDep
from hub.auth.sessions import ActiveLogin
from hub.calendars.jalali import format_jalali, format_jalali_long, persian_digits
from hub.core.errors import NotFound
from hub.core.states import ReferralState
from hub.db.models import Referral
from hub.db.types import utcnow
from hub.web.dashboard.i18n import Lang, state_label, term
from hub.web.kartabl import inbox as listing
from hub.web.kartabl.access import (
    Desk,
    KartablFormDep,
    KartablLoginDep,
    desk_of,
    referral_for,
)
from hub.web.kartabl.actions import Action, FormRefused, Problems, act, record_viewed
from hub.web.kartabl.i18n import kartabl_words

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=[HERE / "templates", HERE.parent / "dashboard" / "templates"])
router = APIRouter(prefix="/kartabl", include_in_schema=False)
LangQuery = Annotated[Lang, Query()]
FILTER_LENGTH = 64


def jalali_when(lang: Lang) -> Callable[[datetime | None], str]:
    """Moments as people here read them: ``سه‌شنبه ۱۷ آذر ۱۴۰۵، ۰۴:۳۱`` (Tehran time)."""

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "—"
        clock = format_jalali(moment, digits=lang).split(" ")[1]
        comma = "،" if lang == "fa" else ","
        return f"{format_jalali_long(moment, lang, lang)}{comma} {clock}"

    return when


def render(
    request: Request, name: str, lang: Lang, login: ActiveLogin, status: int = 200, **context: Any
) -> HTMLResponse:
    when = jalali_when(lang)

    def num(value: Any) -> str:
        return persian_digits(str(value)) if lang == "fa" else str(value)

    w = kartabl_words(lang)

    def span(left: timedelta) -> str:
        minutes = int(abs(left).total_seconds() // 60)
        hours, rest = divmod(minutes, 60)
        text = f"{hours}:{rest:02d}"
        return f"{num(text)} {w['hours']}"

    return templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "w": w,
            "when": when,
            "num": num,
            "span": span,
            "login": login,
            "logout_csrf": csrf_field(login),
            "csrf_field": csrf_field(login),
            "state_label": lambda state: state_label(state, lang),
            "category_name": lambda key: names_of(key)[0 if lang == "fa" else 1],
            "term": lambda code: term(code, lang),
            **context,
        },
        status_code=status,
    )


@router.get("", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    login: KartablLoginDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    state: Annotated[str, Query(max_length=FILTER_LENGTH)] = "",
    category: Annotated[str, Query(max_length=FILTER_LENGTH)] = "",
    county: Annotated[str, Query(max_length=FILTER_LENGTH)] = "",
    unit: Annotated[str, Query(max_length=FILTER_LENGTH)] = "",
) -> HTMLResponse:
    desk = desk_of(login, session, registry)
    filters = listing.Filters(state, category, county, unit)
    return render(
        request,
        "inbox.html",
        lang,
        login,
        desk=desk,
        rows=listing.inbox(session, desk, filters, utcnow()),
        filters=filters,
        choices=listing.choices(session, desk),
        units=listing.units_of(desk.agreement),
        unit_name=unit_namer(desk.agreement, lang),
        page="inbox",
    )


@router.get("/referrals/{reference}", response_class=HTMLResponse)
def referral_page(
    request: Request,
    reference: str,
    login: KartablLoginDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    done: str | None = None,
) -> HTMLResponse:
    desk = desk_of(login, session, registry)
    referral = referral_for(session, desk, reference)
    viewed_now = record_viewed(session, desk, referral, registry)
    if viewed_now:
        session.commit()
    return _referral(request, session, desk, referral, lang, viewed_now=viewed_now, done=done)


def _referral(
    request: Request,
    session: SessionDep,
    desk: Desk,
    referral: Referral,
    lang: Lang,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    row = listing.row_of(session, desk, referral, utcnow())
    return render(
        request,
        "referral.html",
        lang,
        desk.login,
        status,
        desk=desk,
        row=row,
        doc=listing.shared_request(desk.agreement, row.request),
        events=listing.history(session, referral),
        units=listing.units_of(desk.agreement),
        unit_name=unit_namer(desk.agreement, lang),
        is_open=ReferralState(referral.state)
        in {ReferralState.VIEWED, ReferralState.IN_PROGRESS, ReferralState.FORWARDED},
        problems=context.pop("problems", Problems()),
        values=context.pop("values", {}),
        failed=context.pop("failed", None),
        page="referral",
        **context,
    )


@router.post("/referrals/{reference}/{action}", response_model=None)
def referral_action(
    request: Request,
    reference: str,
    action: Action,
    login: KartablFormDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    text: Annotated[str, Form(max_length=20000)] = "",
    unit: Annotated[str, Form(max_length=64)] = "",
    assignee: Annotated[str, Form(max_length=64)] = "",
    outcome: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse | RedirectResponse:
    desk = desk_of(login, session, registry)
    referral = referral_for(session, desk, reference)
    form = {"text": text, "unit": unit, "assignee": assignee, "outcome": outcome}
    try:
        act(session, desk, referral, registry, action, form)
    except FormRefused as refused:
        session.rollback()
        referral = referral_for(session, desk, reference)
        return _referral(
            request,
            session,
            desk,
            referral,
            lang,
            422,
            problems=refused.problems,
            values=form,
            failed=str(action),
        )
    session.commit()
    if not desk.is_lead and action is Action.FORWARD:
        return RedirectResponse(f"/kartabl?lang={lang}", status_code=303)
    visible_after = _still_visible(session, desk, reference)
    target = f"/kartabl/referrals/{reference}" if visible_after else "/kartabl"
    return RedirectResponse(f"{target}?lang={lang}&done={action}", status_code=303)


def _still_visible(session: SessionDep, desk: Desk, reference: str) -> bool:
    try:
        referral_for(session, desk, reference)
    except NotFound:  # forwarded elsewhere, or returned: no longer this desk's
        return False
    return True


def unit_namer(agreement: Any, lang: Lang) -> Any:
    names = {
        u["id"]: (u["name_fa"] if lang == "fa" else u.get("name_en", u["name_fa"]))
        for u in listing.units_of(agreement)
    }
    return lambda unit: names.get(unit, unit) if unit else "—"
