"""The dashboard's pages: server-rendered Jinja2, Persian right-to-left unless ``?lang=en``.

Every page needs a logged-in operator, supervisor or admin (``DashboardSupervisorDep``: a visitor
is sent to ``/dashboard/login``); resending a failed delivery is an admin's form, CSRF-checked,
and goes through the dead-letter code (:mod:`hub.delivery.dead_letters`) as the admin API does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from hub.api.dashboard_auth import DashboardAccess, DashboardSupervisorDep, csrf_field
from hub.api.deps import RegistryDep, SessionDep
from hub.api.presenters import agency_names, case_number
from hub.auth.roles import Role
from hub.auth.sessions import ActiveLogin
from hub.calendars.jalali import JalaliDateError, format_jalali, persian_digits
from hub.core.errors import NotFound, Refused
from hub.core.states import ReferralState
from hub.db.models import Referral
from hub.db.models import Request as CitizenRequest
from hub.db.types import utcnow
from hub.delivery.breaker import breaker_states
from hub.delivery.dead_letters import confirm as confirm_delivery
from hub.delivery.dead_letters import resend as resend_dead_letter
from hub.supervision.figures import Period, current_month, figures, parse_period, trend
from hub.supervision.figures.periods import FORMS_FA
from hub.web.dashboard import lists
from hub.web.dashboard.charts import line_chart
from hub.web.dashboard.i18n import Lang, state_label, term, words
from hub.worker.tasks import send_deliveries

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/dashboard", include_in_schema=False)
LangQuery = Annotated[Lang, Query()]
AdminFormDep = Annotated[ActiveLogin, Depends(DashboardAccess(Role.ADMIN, form=True))]
# A request's whole story: the supervising office's, and the 111 operators' (who answer the
# citizen on the phone and decide the agencies' unread replies).
TimelineReaderDep = Annotated[
    ActiveLogin, Depends(DashboardAccess(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN))
]


def render(
    request: Request, name: str, lang: Lang, login: ActiveLogin, **context: Any
) -> HTMLResponse:
    """A page: its template with the words of ``lang``, and who is logged in (to log out)."""

    def when(moment: Any) -> str:
        return format_jalali(moment, digits="fa" if lang == "fa" else "en") if moment else "—"

    def num(value: Any) -> str:
        text = "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        return persian_digits(text) if lang == "fa" else text

    return templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "w": words(lang),
            "when": when,
            "num": num,
            "login": login,
            "logout_csrf": csrf_field(login),
            "period_forms_fa": FORMS_FA,
            **context,
        },
    )


def _period_or_month(text: str | None) -> tuple[Period, str | None]:
    """The period asked for; a bad one gives this month and why it was refused (in English)."""
    try:
        return (parse_period(text) if text else current_month(utcnow())), None
    except JalaliDateError as exc:
        return current_month(utcnow()), str(exc)


def _refused_period(response: HTMLResponse, problem: str | None) -> HTMLResponse:
    """A page shown for a period it could not read answers 422, with the reason on the page."""
    if problem is not None:
        response.status_code = 422
    return response


@router.get("", response_class=HTMLResponse)
def league(
    request: Request,
    user: DashboardSupervisorDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    period: str | None = None,
) -> HTMLResponse:
    chosen, problem = _period_or_month(period)
    board = figures(session, chosen, agreement_ids=[a.id for a in registry.all()])
    names = {a.agreement_id: agency_names(registry, a.agreement_id or "") for a in board.agencies}
    breakers = breaker_states([a.agreement_id for a in board.agencies if a.agreement_id])
    page = render(
        request,
        "league.html",
        lang,
        user,
        board=board,
        names=names,
        breakers={agency: str(view.state) for agency, view in breakers.items()},
        period=chosen,
        period_problem=problem,
        page="league",
    )
    return _refused_period(page, problem)


@router.get("/trend", response_class=HTMLResponse)
def trend_page(
    request: Request,
    user: DashboardSupervisorDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    period: str | None = None,
) -> HTMLResponse:
    chosen, problem = _period_or_month(period or current_month(utcnow()).label[:4])
    charts = []
    for agreement in [None, *registry.all()]:
        rows = trend(session, chosen, agreement.id if agreement else None)
        labels = [row.period[5:] for row in rows]
        name = (agreement.name_fa if lang == "fa" else agreement.name_en) if agreement else None
        charts.append(
            {
                "name": name or words(lang)["province"],
                "on_time": line_chart(
                    words(lang)["resolved_on_time_pct"],
                    labels,
                    [r.resolved_on_time_pct for r in rows],
                    100,
                ),
                "received": line_chart(words(lang)["received"], labels, [r.received for r in rows]),
            }
        )
    page = render(
        request,
        "trend.html",
        lang,
        user,
        charts=charts,
        period=chosen,
        period_problem=problem,
        page="trend",
    )
    return _refused_period(page, problem)


@router.get("/overdue", response_class=HTMLResponse)
def overdue_page(
    request: Request,
    user: DashboardSupervisorDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
) -> HTMLResponse:
    rows = lists.overdue(session, utcnow())
    return render(
        request,
        "overdue.html",
        lang,
        user,
        rows=rows,
        registry=registry,
        page="overdue",
        names=lambda a: agency_names(registry, a),
    )


@router.get("/violations", response_class=HTMLResponse)
def violations_page(
    request: Request,
    user: DashboardSupervisorDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
) -> HTMLResponse:
    rows = lists.violations(session)
    return render(
        request,
        "violations.html",
        lang,
        user,
        rows=rows,
        page="violations",
        names=lambda a: agency_names(registry, a),
    )


@router.get("/failures", response_class=HTMLResponse)
def failures_page(
    request: Request,
    user: DashboardSupervisorDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    resent: str | None = None,
    confirmed: str | None = None,
    refused: str | None = None,
) -> HTMLResponse:
    rows = lists.failures(session)
    return render(
        request,
        "failures.html",
        lang,
        user,
        rows=rows,
        unconfirmed=lists.failures(session, state=ReferralState.UNCONFIRMED),
        in_flight=lists.failures(session, state=ReferralState.DELIVERING),
        resent=resent,
        confirmed=confirmed,
        refused=refused,
        page="failures",
        may_resend=user.principal.role is Role.ADMIN,
        csrf_field=csrf_field(user),
        names=lambda a: agency_names(registry, a),
    )


@router.post("/failures/{reference}/resend")
def resend(
    reference: str,
    user: AdminFormDep,
    session: SessionDep,
    lang: LangQuery = "fa",
    may_duplicate: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Send a failed delivery again: a fresh round of attempts, the same idempotency key. An
    unconfirmed one only when the admin ticked that the agency may end up with two cases."""
    referral = _referral(session, reference)
    back = f"/dashboard/failures?lang={lang}"
    try:
        sent = resend_dead_letter(
            session, referral.id, actor=user.principal.actor, may_duplicate=bool(may_duplicate)
        )
    except Refused:
        return RedirectResponse(f"{back}&refused={reference}", status_code=303)
    if not sent:
        raise NotFound(f"referral {reference} is neither failed nor unconfirmed")
    session.commit()
    send_deliveries([referral.id])
    return RedirectResponse(f"/dashboard/failures?lang={lang}&resent={reference}", status_code=303)


@router.post("/failures/{reference}/confirm")
def confirm(
    reference: str,
    user: AdminFormDep,
    session: SessionDep,
    external_id: Annotated[str, Form(max_length=128)],
    lang: LangQuery = "fa",
) -> RedirectResponse:
    """The case id an admin found at the agency for an unconfirmed referral: it is delivered."""
    referral = _referral(session, reference)
    back = f"/dashboard/failures?lang={lang}"
    try:
        done = confirm_delivery(session, referral.id, external_id, actor=user.principal.actor)
    except Refused:
        done = False
    if not done:
        return RedirectResponse(f"{back}&refused={reference}", status_code=303)
    session.commit()
    return RedirectResponse(f"{back}&confirmed={reference}", status_code=303)


def _referral(session: SessionDep, reference: str) -> Referral:
    referral = session.scalar(select(Referral).where(Referral.reference == reference))
    if referral is None:
        raise NotFound(f"no referral {reference}")
    return referral


@router.get("/requests/{tracking_code}", response_class=HTMLResponse)
def timeline_page(
    request: Request,
    user: TimelineReaderDep,
    tracking_code: str,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
) -> HTMLResponse:
    found = session.scalar(
        select(CitizenRequest).where(CitizenRequest.tracking_code == tracking_code)
    )
    if found is None:
        raise NotFound("no request with that tracking code")
    return render(
        request,
        "timeline.html",
        lang,
        user,
        req=found,
        page="timeline",
        names=lambda a: agency_names(registry, a),
        state_label=lambda state: _state_or_code(state, lang),
        term=lambda code: term(code, lang),
        case_number=case_number,
        details=_details,
        may_download=user.principal.role in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN),
        **lists.timeline(session, found),
    )


def _state_or_code(state: str, lang: Lang) -> str:
    try:
        return state_label(state, lang)
    except ValueError:  # a state the log kept from an older version
        return state


def _details(data: dict[str, Any] | None) -> str:
    """An event's data as ``key: value`` pairs, Persian text as it is written."""
    if not data:
        return ""
    return "؛ ".join(f"{key}: {_shown(value)}" for key, value in data.items())


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
