"""An update an agency sends us itself (signed webhook or agency token), checked and applied.

The body must be valid against ``schemas/update.schema.json``; it must name one of *this*
agreement's referrals and a status the agreement's status map knows. Anything else is refused
with a clear error and nothing stored; what passes goes through
:func:`hub.polling.updates.apply_update`,
which applies an update id once (a second copy answers ``duplicate``).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.core.errors import FieldError, NotFound, ValidationFailed
from hub.plugins.connector import AgencyUpdate
from hub.polling.updates import apply_update, find_referral

SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "schemas" / "update.schema.json"


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
    occurred = document.get("occurred_at")
    update = AgencyUpdate(
        update_id=document["update_id"],
        external_id=document.get("external_id"),
        referral_reference=document.get("referral"),
        status=document["status"],
        result=document.get("result"),
        note=document.get("note"),
        occurred_at=datetime.fromisoformat(occurred.replace("Z", "+00:00")) if occurred else None,
        raw=document,
    )
    referral = find_referral(session, agreement.id, update)
    if referral is None:
        raise NotFound(f"no referral of {agreement.id} with that reference or external id")
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
