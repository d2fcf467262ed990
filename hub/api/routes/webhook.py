"""The signed agency webhook: ``POST /v1/agencies/{agreement}/updates``.

For agencies that push their progress instead of being polled. The body is one update
(``schemas/update.schema.json``), signed with the agreement's ``webhook.secret`` as
:mod:`hub.auth.signatures` describes; see docs/security.md for a curl and a Python example.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from hub.agreements.model import Agreement
from hub.agreements.registry import get_registry
from hub.agreements.secrets import resolve_env
from hub.api.agency_updates import parse_update, receive_update, update_schema
from hub.api.deps import RegistryDep, SessionDep
from hub.auth.errors import AccessDenied
from hub.auth.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from hub.core.errors import NotFound
from hub.core.settings import get_settings

router = APIRouter(prefix="/v1/agencies", tags=["agency webhook"])


class AgencySignature:
    """The caller is the agency whose webhook secret signed this very body."""

    declared_roles = ("agency",)

    async def __call__(self, agreement: str, request: Request) -> tuple[Agreement, bytes]:
        try:
            found = get_registry().get(agreement)
        except NotFound:
            raise NotFound("no agreement with a webhook by that id") from None
        config = found.document.get("webhook")
        if not config:
            raise NotFound("no agreement with a webhook by that id")
        try:
            secret = str(resolve_env(config["secret"]))
        except KeyError:
            secret = ""
        if not secret:
            raise AccessDenied(
                503,
                "this agreement's webhook secret is not configured on the hub",
                "کلید امضای این تفاهم‌نامه روی هاب تنظیم نشده است",
            )
        body = await request.body()
        tolerance = int(config.get("tolerance_seconds", get_settings().webhook_tolerance_seconds))
        verify(
            secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            tolerance,
        )
        return found, body


SignedDep = Annotated[tuple[Agreement, bytes], Depends(AgencySignature())]

_SIGNED_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": update_schema()}},
    },
    "parameters": [
        {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
    ],
}


@router.post("/{agreement}/updates", openapi_extra=_SIGNED_BODY)
def signed_update(
    agreement: str, signed: SignedDep, session: SessionDep, registry: RegistryDep
) -> dict[str, Any]:
    """Apply one signed update from the agency (once per update id)."""
    found, body = signed
    document = parse_update(body)
    return receive_update(session, registry, found, document, actor=f"webhook:{agreement}"[:64])
