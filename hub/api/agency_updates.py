"""An update an agency sends us itself (signed webhook or agency token), checked and applied.

The body must be valid against ``schemas/update.schema.json``; it must name one of *this*
agreement's referrals and a status the agreement's status map knows. Anything else is refused
with a clear error and nothing stored; what passes goes through
:func:`hub.polling.updates.apply_update`,
which applies an update id once (a second copy answers ``duplicate``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.core.errors import FieldError, NotFound, ValidationFailed
from hub.core.shipped import SCHEMAS_DIR
from hub.db.types import utcnow
from hub.plugins.connector import AgencyUpdate
from hub.polling.updates import apply_update, find_referral

SCHEMA_PATH = SCHEMAS_DIR / "update.schema.json"


@cache
def update_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(update_schema(), format_checker=FormatChecker())


def parse_update(raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            [FieldError("$", f"the body is not UTF-8 JSON: {exc}", "بدنه JSON معتبر نیست")]
        ) from exc
    return validate_update(document)


def validate_update(document: Any) -> dict[str, Any]:
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise ValidationFailed(
            [
                FieldError(
                    "$" + "".join(f".{p}" for p in e.absolute_path),
                    e.message[:300],
                    "مقدار نامعتبر است",
                )
                for e in errors
            ]
        )
    return document


def receive_update(
    session: Session,
    registry: AgreementRegistry,
    agreement: Agreement,
    document: dict[str, Any],
    actor: str,
) -> dict[str, Any]:
    occurred = _occurred_at(document.get("occurred_at"))
    update = AgencyUpdate(
        update_id=document["update_id"],
        external_id=document.get("external_id"),
        referral_reference=document.get("referral"),
        status=document["status"],
        result=document.get("result"),
        note=document.get("note"),
        occurred_at=occurred,
        raw=document,
    )
    referral = find_referral(session, agreement.id, update)
    if referral is None:
        raise NotFound(f"no referral of {agreement.id} with that reference or external id")
    _not_before(occurred, referral.created_at)
    if agreement.map_status(update.status or "") is None:
        raise ValidationFailed(
            [
                FieldError(
                    "$.status",
                    f"{update.status!r} is not in the agreement's status map",
                    "این وضعیت در نگاشت وضعیت‌های تفاهم‌نامه نیست",
                )
            ]
        )
    outcome = apply_update(session, agreement, update, registry, actor=actor)
    session.commit()
    return {"update_id": update.update_id, "referral": referral.reference, "outcome": str(outcome)}


# How far an agency's clock may run ahead of the hub's, or behind the referral's creation.
CLOCK_SKEW = timedelta(minutes=5)


def _occurred_error(message: str, message_fa: str) -> ValidationFailed:
    return ValidationFailed([FieldError("$.occurred_at", message, message_fa)])


def _occurred_at(text: Any) -> datetime | None:
    """The update's moment in UTC: with an offset, and not ahead of the hub's clock."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise _occurred_error(
                "must give its UTC offset (e.g. 2026-12-06T10:00:00+03:30)",
                "باید اختلاف با UTC را داشته باشد (مثلاً +03:30)",
            )
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _occurred_error(
            f"{str(text)[:40]!r} is not a moment the hub can hold: RFC 3339, years 2000 to now",
            "زمان نامعتبر یا خارج از بازه است",
        ) from None
    if moment > utcnow() + CLOCK_SKEW:
        raise _occurred_error(
            f"{text} is in the future (more than {CLOCK_SKEW.seconds // 60} minutes ahead of "
            "the hub's clock): check the agency system's clock",
            "زمان به‌روزرسانی در آینده است؛ ساعت سامانهٔ دستگاه را بررسی کنید",
        )
    return moment


def _not_before(moment: datetime | None, created: datetime) -> None:
    if moment is None:
        return
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    if moment < created - CLOCK_SKEW:
        raise _occurred_error(
            f"{moment.isoformat()} is before the referral existed ({created.isoformat()})",
            "زمان به‌روزرسانی پیش از ایجاد ارجاع است",
        )
