"""The rest connector's ``auth:`` for a draft, from the description's security schemes; the
secret itself only ever as an ``${env:NAME}`` placeholder."""

from __future__ import annotations

from typing import Any

from hub.agreements.drafts.commented import Block
from hub.agreements.drafts.guesses import secret_env

NONE_NOTE = "the description names no authentication: ask the agency — احراز هویت را بپرسید"


def _schemes(doc: dict[str, Any]) -> dict[str, Any]:
    components = doc.get("components", {}).get("securitySchemes")
    return dict(components or doc.get("securityDefinitions") or {})  # OpenAPI 3, Swagger 2


def _required(doc: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    requirements = operation.get("security", doc.get("security"))
    if requirements is None:
        return list(_schemes(doc))[:1]  # declared but not required anywhere: a hint still
    return [name for requirement in requirements for name in requirement]


def auth_block(doc: dict[str, Any], operation: dict[str, Any], service: str) -> tuple[Block, str]:
    schemes = _schemes(doc)
    for name in _required(doc, operation):
        scheme = schemes.get(name)
        if isinstance(scheme, dict):
            return _auth(scheme, service, name)
    return Block().add("type", "none"), NONE_NOTE


def _auth(scheme: dict[str, Any], service: str, name: str) -> tuple[Block, str]:
    kind = str(scheme.get("type", "")).lower()
    http = str(scheme.get("scheme", "")).lower()
    token = f"${{env:{secret_env(service, 'TOKEN')}}}"
    if kind == "basic" or (kind == "http" and http == "basic"):
        password = f"${{env:{secret_env(service, 'PASSWORD')}}}"
        block = Block().add("type", "basic").add("username", "TODO").add("password", password)
        return block, f"scheme {name}: HTTP basic — set the variable; username TODO"
    if kind == "apikey" and scheme.get("in") == "header":
        block = Block().add("type", "api_key").add("header", str(scheme.get("name", "TODO")))
        return block.add("token", token), f"scheme {name}: an API key header — set the variable"
    if kind == "apikey":
        where = scheme.get("in")
        return Block().add("type", "none"), (
            f"TODO: scheme {name} puts an API key in the {where}; the connector sends keys only "
            "in a header"
        )
    note = f"scheme {name}: a bearer token — set the variable"
    if kind in ("oauth2", "openidconnect"):
        note = f"TODO: scheme {name} is {kind}; the connector sends a fixed bearer token: get one"
    return Block().add("type", "bearer").add("token", token), note
