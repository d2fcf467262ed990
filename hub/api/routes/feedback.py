"""The citizen's feedback on a result: rate it 1–5, or reopen it (tracking code + mobile)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi import Request as HttpRequest
from pydantic import BaseModel, Field, model_validator

from hub.api.auth import CitizenOrOperatorDep
from hub.api.citizen import limit_citizen
from hub.api.deps import RegistryDep, SessionDep, SettingsDep
from hub.db.types import utcnow
from hub.intake.feedback import FeedbackRefused, give_feedback

router = APIRouter(prefix="/v1/requests", tags=["feedback"])


class FeedbackIn(BaseModel):
    mobile: Annotated[str, Field(description="the mobile the request was registered with")]
    rating: Annotated[int | None, Field(ge=1, le=5, description="1 (bad) to 5 (excellent)")] = None
    comment: Annotated[str | None, Field(max_length=2000)] = None
    reopen: bool = False

    @model_validator(mode="after")
    def _something_said(self) -> FeedbackIn:
        if self.rating is None and not self.reopen:
            raise ValueError("give a rating, or reopen the result, or both")
        return self


@router.post("/{tracking_code}/feedback", status_code=201)
def feedback(
    tracking_code: str,
    body: FeedbackIn,
    session: SessionDep,
    registry: RegistryDep,
    settings: SettingsDep,
    caller: CitizenOrOperatorDep,
    http: HttpRequest,
) -> dict[str, Any]:
    """The citizen judges the result of their request; a reopen restarts its deadlines.

    Citizens (no token) are rate-limited per client address and per tracking code."""
    if caller is None:
        limit_citizen(
            http,
            "feedback",
            tracking_code,
            settings.feedback_rate_per_ip,
            settings.feedback_rate_per_code,
        )
    try:
        given = give_feedback(
            session,
            tracking_code,
            body.mobile,
            rating=body.rating,
            comment=body.comment,
            reopen=body.reopen,
            registry=registry,
            settings=settings,
            now=utcnow(),
        )
    except FeedbackRefused as exc:
        raise HTTPException(409, {"detail": str(exc), "detail_fa": exc.message_fa}) from exc
    session.commit()  # before the answer: the citizen's next look must see it
    return {"reference": given.reference, "rating": given.rating, "reopened": given.reopened}
