"""An agency's letters, shown to the citizen where its agreement allows.

An agency's reply may carry its official letter (a PDF, a scan): kept in
``message_attachments`` (:mod:`hub.referrals.messages`). The citizen's look-up lists the letters
of its request's referrals, and serves one, only where the referral's agreement says
``notifications.citizen.share_letters: true``; only the files of replies the hub read (not one
waiting for a person, or dismissed by one), and only documents, never a forwarded mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.core.errors import NotFound
from hub.db.models import Referral, Request
from hub.db.models_messages import AgencyMessage, MessageAttachment, ReplyReview
from hub.referrals.messages import AttachmentInfo, attachment, attachments_of, messages_of
from hub.referrals.reviews import ReviewState

LETTER_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/tiff"})


def shared_letters(
    session: Session, registry: AgreementRegistry, referrals: Sequence[Referral]
) -> dict[int, list[AttachmentInfo]]:
    """The letters the citizen may see, by referral id."""
    sharing = [r.id for r in referrals if _shares(registry, r.agreement_id)]
    messages = _read_by_the_hub(session, messages_of(session, sharing))
    files = attachments_of(session, [m.id for m in messages])
    letters: dict[int, list[AttachmentInfo]] = {}
    for message in messages:
        assert message.referral_id is not None  # messages_of reads them by referral
        found = [f for f in files[message.id] if f.content_type.lower() in LETTER_TYPES]
        letters.setdefault(message.referral_id, []).extend(found)
    return letters


def letter_view(request: Request, letter: AttachmentInfo) -> dict[str, Any]:
    return {
        "id": letter.id,
        "filename": letter.filename,
        "content_type": letter.content_type,
        "size": letter.size,
        "download": f"/v1/requests/{request.tracking_code}/letters/{letter.id}",
    }


def shared_letter(
    session: Session, registry: AgreementRegistry, request: Request, letter_id: int
) -> MessageAttachment:
    """One letter of ``request``'s referrals the citizen may see; else 404."""
    referrals = session.scalars(select(Referral).where(Referral.request_id == request.id)).all()
    letters = shared_letters(session, registry, referrals)
    shared = {f.id for files in letters.values() for f in files}
    found = attachment(session, letter_id) if letter_id in shared else None
    if found is None:
        raise NotFound(f"no letter {letter_id} for this request")
    return found


def _shares(registry: AgreementRegistry, agreement_id: str) -> bool:
    try:
        return registry.get(agreement_id).shares_letters_with_citizen
    except NotFound:  # an agreement since removed shares nothing
        return False


def _read_by_the_hub(session: Session, messages: list[AgencyMessage]) -> list[AgencyMessage]:
    """Without the replies a person has not confirmed are about this referral."""
    unconfirmed = set(
        session.scalars(
            select(ReplyReview.agency_update_id).where(
                ReplyReview.agency_update_id.in_([m.agency_update_id for m in messages]),
                ReplyReview.state != ReviewState.APPLIED,
            )
        )
    )
    return [m for m in messages if m.agency_update_id not in unconfirmed]
