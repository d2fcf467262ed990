"""The signed agency webhook: ``POST /v1/agencies/{agreement}/updates``.

For agencies that push their progress instead of being polled. The body is one update
(``schemas/update.schema.json``), signed with the agreement's ``webhook.secret`` in the scheme the
agreement names (``webhook.scheme``): the hub's own (:mod:`hub.auth.signatures`, the default, for
agreements configured before there was a choice) or Standard Webhooks
(:mod:`hub.auth.standard_webhooks`). During a key rotation ``webhook.previous_secret`` is still
accepted. See docs/security.md for a curl and a Python example of each.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from hub.agreements.model import Agreement
from hub.agreements.registry import get_registry
from hub.agreements.secrets import resolve_env
from hub.api.agency_updates import parse_update, receive_update, update_schema
from hub.api.deps import RegistryDep, SessionDep
from hub.auth import signatures, standard_webhooks
from hub.auth.errors import AccessDenied
from hub.core.errors import NotFound
from hub.core.settings import get_settings

router = APIRouter(prefix="/v1/agencies", tags=["agency webhook"])

SAMAD, STANDARD = "samad", "standard_webhooks"


def _secret(reference: str | None) -> str:
    if not reference:
        return ""
    try:
        return str(resolve_env(reference))
    except KeyError:
        return ""


def _not_configured(what: str) -> AccessDenied:
    return AccessDenied(
        503,
        f"this agreement's webhook secret {what}",
        "کلید امضای این تفاهم‌نامه روی هاب تنظیم نشده است",
    )


def _verify(config: dict[str, Any], request: Request, body: bytes) -> None:
    secrets = [s for s in (_secret(config["secret"]), _secret(config.get("previous_secret"))) if s]
    if not secrets:
        raise _not_configured("is not configured on the hub")
    tolerance = int(config.get("tolerance_seconds", get_settings().webhook_tolerance_seconds))
    if config.get("scheme", SAMAD) == STANDARD:
        try:
            standard_webhooks.verify(secrets, request.headers, body, tolerance)
        except standard_webhooks.NotASecret:
            raise _not_configured("is not a Standard Webhooks secret (whsec_…)") from None
        return
    refusals: list[AccessDenied] = []
    for secret in secrets:  # the current secret first, then the one being retired
        try:
            signatures.verify(
                secret,
                request.headers.get(signatures.TIMESTAMP_HEADER),
                request.headers.get(signatures.SIGNATURE_HEADER),
                body,
                tolerance,
            )
            return
        except AccessDenied as exc:
            refusals.append(exc)
    raise refusals[0]


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
        body = await request.body()
        _verify(config, request, body)
        return found, body


SignedDep = Annotated[tuple[Agreement, bytes], Depends(AgencySignature())]


def _header(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


_SIGNED_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": update_schema()}},
    },
    # Which headers are required depends on the agreement's webhook.scheme.
    "parameters": [
        _header(signatures.TIMESTAMP_HEADER, "scheme samad: Unix seconds"),
        _header(signatures.SIGNATURE_HEADER, 'scheme samad: sha256=<hex HMAC of "ts." + body>'),
        _header(standard_webhooks.ID_HEADER, "scheme standard_webhooks: the message id"),
        _header(standard_webhooks.TIMESTAMP_HEADER, "scheme standard_webhooks: Unix seconds"),
        _header(
            standard_webhooks.SIGNATURE_HEADER,
            "scheme standard_webhooks: v1,<base64 HMAC-SHA256 of id.timestamp.body>, "
            "space separated",
        ),
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
