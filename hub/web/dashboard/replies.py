"""The dashboard's review queue of agency replies, and the files agencies sent.

``/dashboard/replies`` lists every reply the hub could not interpret, waiting for a person: its
text, why it was not read, its attachments. An operator (or an admin) applies the state it means
or dismisses it (forms, CSRF-checked, through :mod:`hub.polling.review` as ``samad-hub replies
apply|dismiss``); a supervisor reads it. ``/dashboard/attachments/<id>`` serves one file of an
agency's message to a logged-in operator, supervisor or admin only, always as a download: a file
from outside never opens as a page of the hub.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hub.api.dashboard_auth import DashboardAccess, csrf_field
from hub.api.deps import RegistryDep, RowId, SessionDep
from hub.api.downloads import download as download_response
from hub.api.presenters import agency_names
from hub.auth.roles import Role
from hub.auth.sessions import ActiveLogin
from hub.core.errors import NotFound, Refused
from hub.core.states import ReferralState
from hub.db.models import AgencyUpdate
from hub.polling.review import REVIEW_STATES, apply_review, dismiss_review
from hub.referrals.messages import attachment, attachments_of, message_of_update, readable_text
from hub.referrals.reviews import WaitingReply, decided, waiting
from hub.web.dashboard.i18n import Lang, state_label
from hub.web.dashboard.pages import LangQuery, render

router = APIRouter(prefix="/dashboard", include_in_schema=False)
# The 111 operators read the agencies' replies and say what each means; supervisors only read.
ReaderDep = Annotated[
    ActiveLogin, Depends(DashboardAccess(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN))
]
DeciderDep = Annotated[ActiveLogin, Depends(DashboardAccess(Role.OPERATOR, Role.ADMIN, form=True))]


@router.get("/replies", response_class=HTMLResponse)
def replies_page(
    request: Request,
    user: ReaderDep,
    session: SessionDep,
    registry: RegistryDep,
    lang: LangQuery = "fa",
    applied: int | None = None,
    dismissed: int | None = None,
    refused: int | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    rows = waiting(session)
    return render(
        request,
        "replies.html",
        lang,
        user,
        rows=rows,
        shown={row.review_id: _shown(session, row) for row in rows},
        decided=decided(session),
        states=REVIEW_STATES,
        state_label=lambda state: state_label(state, lang),
        applied=applied,
        dismissed=dismissed,
        refused=refused,
        problem=problem,
        may_decide=user.principal.role in (Role.OPERATOR, Role.ADMIN),
        csrf_field=csrf_field(user),
        names=lambda a: agency_names(registry, a),
        page="replies",
    )


def _shown(session: Session, row: WaitingReply) -> dict[str, object]:
    """What a person reads of one reply: the mail's text (or the update's), the result the hub
    read from it (the form's default), and the attachments."""
    stored = session.get_one(AgencyUpdate, row.agency_update_id)
    message = message_of_update(session, stored.id)
    text = readable_text(message) if message else (stored.result or stored.note or "")
    files = attachments_of(session, [message.id])[message.id] if message else []
    return {"text": text, "result": stored.result or "", "files": files}


@router.post("/replies/{review_id}/apply")
def apply(
    review_id: RowId,
    user: DeciderDep,
    session: SessionDep,
    registry: RegistryDep,
    state: Annotated[str, Form(max_length=20)],
    result: Annotated[str, Form(max_length=20000)] = "",
    reference: Annotated[str, Form(max_length=32)] = "",
    lang: LangQuery = "fa",
) -> RedirectResponse:
    """Apply the state a reply means, as its agency would have: one action, audited as the
    admin."""
    try:
        apply_review(
            session,
            review_id,
            ReferralState(state),
            registry,
            actor=user.principal.actor,
            result=result,
            reference=reference.strip() or None,
        )
    except (Refused, NotFound, ValueError) as exc:
        session.rollback()
        return _back(lang, refused=review_id, problem=_problem(exc, lang))
    session.commit()
    return _back(lang, applied=review_id)


@router.post("/replies/{review_id}/dismiss")
def dismiss(
    review_id: RowId,
    user: DeciderDep,
    session: SessionDep,
    why: Annotated[str, Form(max_length=2000)],
    lang: LangQuery = "fa",
) -> RedirectResponse:
    """Keep the reply, apply nothing (an automatic reply, a mail that was not for the hub)."""
    try:
        dismiss_review(session, review_id, why, actor=user.principal.actor)
    except (Refused, NotFound) as exc:
        session.rollback()
        return _back(lang, refused=review_id, problem=_problem(exc, lang))
    session.commit()
    return _back(lang, dismissed=review_id)


def _problem(error: Exception, lang: Lang) -> str:
    if isinstance(error, Refused):
        return error.message_fa if lang == "fa" else error.message
    return str(error)


def _back(lang: Lang, **notice: object) -> RedirectResponse:
    query = "&".join(f"{key}={quote(str(value))}" for key, value in notice.items())
    return RedirectResponse(f"/dashboard/replies?lang={lang}&{query}", status_code=303)


@router.get("/attachments/{attachment_id}")
def download(attachment_id: RowId, user: ReaderDep, session: SessionDep) -> Response:
    """One file an agency sent, to a supervisor or an admin, as a download."""
    found = attachment(session, attachment_id)
    if found is None:
        raise NotFound(f"no attachment {attachment_id}")
    return download_response(found)
