"""``Idempotency-Key`` on intake: a call-centre client that did not hear the answer sends again.

The first call with a key registers the request and stores the key with it, in the same
transaction; a later call with the same key and the same body gets the same answer again (the
same tracking code, marked ``Idempotent-Replayed: true``: the first answer's body as it was
sent, kept with the key) and registers nothing; the same key
with another body is refused, naming the header. Keys belong to the caller (the token), so two
clients never collide. Two calls with one key at once: the second waits on the key's
unique index until the first commits, then replays it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.core.errors import FieldError, ValidationFailed
from hub.core.settings import Settings
from hub.db.models import Referral, Request
from hub.db.models_intake import IntakeKey
from hub.intake.submit import EarlierRequest, IntakeResult, register

HEADER = "Idempotency-Key"
_PATH = f"$.headers.{HEADER}"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as the IETF draft's examples


def body_digest(raw: Any) -> str:
    """SHA-256 of the body as JSON with sorted keys: the same document, whatever its layout."""
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _refused(message: str, message_fa: str) -> ValidationFailed:
    return ValidationFailed([FieldError(_PATH, message, message_fa)])


def register_once(
    session: Session,
    raw: Mapping[str, Any],
    registry: AgreementRegistry,
    settings: Settings,
    *,
    actor: str,
    caller: str,
    key: str | None,
) -> tuple[IntakeResult, bool]:
    """The request registered (``False``), or the one this key registered before (``True``)."""
    if key is None:
        return register(session, raw, registry, settings, actor=actor), False
    key = key.strip()
    if not _KEY.match(key):
        raise _refused(
            f"{HEADER} must be 1 to 255 visible ASCII characters (a UUID is a good choice)",
            "کلید Idempotency-Key باید ۱ تا ۲۵۵ نویسهٔ اسکی دیدنی باشد (مثلاً یک UUID)",
        )
    digest = body_digest(raw)
    earlier = _earlier(session, caller, key, digest)
    if earlier is not None:
        return earlier, True

    def keep(result: IntakeResult) -> None:
        session.add(
            IntakeKey(caller=caller, key=key, body_sha256=digest, request_id=result.request.id)
        )
        session.flush()

    try:
        return register(session, raw, registry, settings, actor=actor, before_commit=keep), False
    except IntegrityError as exc:
        if "intake_keys" not in str(exc.orig):
            raise
        session.rollback()  # the same key, committed a moment ago by a call sent at once
    earlier = _earlier(session, caller, key, digest)
    if earlier is None:
        raise AssertionError("an intake key that collided is not stored")
    return earlier, True


def keep_answer(session: Session, caller: str, key: str | None, answer: dict[str, Any]) -> None:
    """Keep the answer to the call that registered the request with this key, for its retries
    (written with the caller's session; a retry before it lands renders the request anew)."""
    if key is None:
        return
    session.execute(
        update(IntakeKey)
        .where(IntakeKey.caller == caller, IntakeKey.key == key.strip())
        .values(answer=answer)
    )


def _earlier(session: Session, caller: str, key: str, digest: str) -> IntakeResult | None:
    stored = session.scalar(
        select(IntakeKey).where(IntakeKey.caller == caller, IntakeKey.key == key)
    )
    if stored is None:
        return None
    if stored.body_sha256 != digest:
        raise _refused(
            f"this {HEADER} was sent before with another body: use a new key for a new request",
            "این کلید Idempotency-Key پیش‌تر با درخواست دیگری فرستاده شده است؛ برای درخواست تازه "
            "کلید تازه بدهید",
        )
    request = session.get_one(Request, stored.request_id)
    referrals = list(
        session.scalars(
            select(Referral).where(Referral.request_id == request.id).order_by(Referral.id)
        )
    )
    original = None
    if request.duplicate_of_id is not None:
        first = session.get_one(Request, request.duplicate_of_id)
        original = EarlierRequest(first.id, first.tracking_code)
    kept = dict(stored.answer) if stored.answer else None
    return IntakeResult(request, referrals, original, first_answer=kept)
