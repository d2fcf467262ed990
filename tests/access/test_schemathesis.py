"""Fuzzing the hub's own OpenAPI document with schemathesis, over real HTTP, as every role.

The schema is the one the API serves at ``/openapi.json``; requests go to the real server.
Each operation is called with tokens of the roles it declares (``x-roles``), in turn, and
without a token when a citizen may call it; agency tokens act for ``golestan-water``, and
webhook bodies are signed with its secret, so generated data reaches past the guards. Two
properties must hold for every answer:

- no 5xx, whatever the input;
- every 4xx says what went wrong in JSON: ``detail`` and ``detail_fa``, and for 422 the
  ``errors`` list with a JSON path for each field (``$.citizen.mobile``).

Bounded so the whole file runs in well under three minutes on two busy cores: fuzzing only
(no coverage or stateful phases), a few dozen examples per operation, a deadline per example.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from sqlalchemy import update

from hub.auth.roles import Role
from hub.auth.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from hub.auth.tokens import create_token
from hub.db.models import Referral
from hub.db.session import session_scope
from hub.sandbox.server import BackgroundServer
from hub.web.app import create_app
from tests.access.conftest import WEBHOOK_SECRET
from tests.support.requests import BASE, citizen_request, national_id

AGENCY_AGREEMENT = "golestan-water"
MAX_EXAMPLES = 100
CONFIG = schemathesis.Config.from_dict(
    {
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
    }
)


@pytest.fixture(scope="module")
def tokens(api_server: BackgroundServer, webhook_agreement: str) -> dict[str, str]:
    """One token per role (the agency's for golestan-water), made as an admin would."""
    made = {}
    with session_scope() as session:
        for role in (r for r in Role if r.takes_tokens):
            agreement = AGENCY_AGREEMENT if role is Role.AGENCY else None
            made[role.value] = create_token(session, f"fuzz-{role}", role, agreement).secret
    return made


@dataclass(frozen=True)
class KnownCase:
    """A filed request whose water referral the agency has received: half the examples aim
    at it, so fuzzed bodies reach intake, look-ups, feedback and updates, not only 404s."""

    tracking_code: str
    mobile: str
    reference: str
    external_id: str


@pytest.fixture(scope="module")
def known(tokens: dict[str, str], api_server: BackgroundServer) -> KnownCase:
    mobile = f"0937{random.randrange(10**7):07d}"
    document = citizen_request(citizen={**BASE["citizen"], "mobile": mobile})
    with httpx.Client(base_url=api_server.url, timeout=10) as client:
        filed = client.post(
            "/v1/requests",
            json=document,
            headers={"Authorization": f"Bearer {tokens[Role.OPERATOR]}"},
        ).json()
    reference = filed["referrals"][0]["reference"]
    with session_scope() as session:
        session.execute(
            update(Referral)
            .where(Referral.reference == reference)
            .values(state="delivered", external_id=f"W-{reference}", next_attempt_at=None)
        )
    return KnownCase(filed["tracking_code"], mobile, reference, f"W-{reference}")


def _aim(case: schemathesis.Case, known: KnownCase) -> None:
    """Put the known case's code, reference and mobile (and a valid کد ملی) where they fit."""
    path = case.path_parameters or {}
    for name, value in (("tracking_code", known.tracking_code), ("reference", known.reference)):
        if name in path:
            path[name] = value
    if isinstance(case.query, dict) and "mobile" in case.query:
        case.query["mobile"] = known.mobile
    body = case.body
    if not isinstance(body, dict):
        return
    if isinstance(body.get("citizen"), dict):
        body["citizen"]["national_id"] = national_id(random.randrange(10**8))
        body["citizen"]["mobile"] = known.mobile
    for name, value in (
        ("mobile", known.mobile),
        ("external_id", known.external_id),
        ("referral", known.reference),
    ):
        if name in body:
            body[name] = value


# The document the API serves at /openapi.json (the server below runs this same app).
schema = schemathesis.openapi.from_dict(create_app().openapi(), config=CONFIG)
_turns = itertools.count()


def _callers(case: schemathesis.Case) -> list[str | None]:
    """The roles the operation declares; None stands for a caller without credentials."""
    declared = case.operation.definition.raw.get("x-roles")
    if declared is None:
        return [None]
    # People-only roles (the kartabl's agency-lead and -staff) log in; they hold no tokens.
    callers = [
        None if role == "citizen" else role
        for role in declared
        if role == "citizen" or Role(role).takes_tokens
    ]
    return callers or [None]


def _as(
    case: schemathesis.Case, role: str | None, tokens: dict[str, str], known: KnownCase
) -> dict[str, Any]:
    """Headers and transport arguments for calling ``case`` as ``role``."""
    turn = next(_turns)
    headers: dict[str, str] = {"X-Forwarded-For": f"203.0.113.{turn % 250 + 1}"}
    if case.headers:  # the message's framing is the HTTP client's: a made-up Content-Length is
        # refused by the HTTP server (uvicorn's own plain 400) before the hub sees a request
        for name in [n for n in case.headers if n.lower() in FRAMING_HEADERS]:
            del case.headers[name]
    if turn % 2:
        _aim(case, known)
    extra: dict[str, Any] = {}
    if role is not None:
        headers["Authorization"] = f"Bearer {tokens[role]}"
    if role == Role.AGENCY and "agreement" in (case.path_parameters or {}):
        case.path_parameters["agreement"] = AGENCY_AGREEMENT
    if case.operation.path.endswith("/{agreement}/updates") and case.path_parameters:
        case.path_parameters["agreement"] = AGENCY_AGREEMENT
        body = _raw_body(case.body)
        stamp = int(time.time())
        headers.update(
            {
                "content-type": "application/json",
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: signature(WEBHOOK_SECRET, stamp, body),
            }
        )
        extra["data"] = body
    return {"headers": headers, **extra}


FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "host", "connection"})


def _raw_body(value: Any) -> bytes:
    """The bytes the agency signs and sends: the generated body as JSON text."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, NotSet):
        return b""
    return json.dumps(value, default=str).encode()


def clear_error_body(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """A 4xx is RFC 9457 problem+json saying what went wrong in English and Persian, with the
    request id of its X-Request-ID header; a 422 names each field."""
    if not 400 <= response.status_code < 500:
        return
    content_type = response.headers.get("content-type", [""])[0]
    if case.operation.path.startswith("/dashboard") and content_type.startswith("text/html"):
        assert 'role="alert"' in response.text, "an HTML refusal must show its reason"
        return
    assert content_type == "application/problem+json", f"a {response.status_code} not a problem"
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("status") == response.status_code, body
    assert str(body.get("type", "")).startswith("urn:samad-hub:problem:"), body
    assert body.get("title") and body.get("instance"), body
    assert body.get("request_id") == response.headers.get("x-request-id", [""])[0], body
    detail, detail_fa = body.get("detail"), body.get("detail_fa")
    assert isinstance(detail, str) and detail and not detail.startswith(("{", "[")), body
    assert isinstance(detail_fa, str) and detail_fa, body
    if response.status_code == 422:
        errors = body.get("errors")
        assert isinstance(errors, list) and errors, body
        for error in errors:
            path = str(error.get("path", ""))
            assert path.startswith("$") and not path.endswith("."), error
            assert error.get("message") and error.get("message_fa"), error


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=timedelta(seconds=5),
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_the_hub_fail_and_every_refusal_explains_itself(
    case: schemathesis.Case,
    api_server: BackgroundServer,
    tokens: dict[str, str],
    known: KnownCase,
) -> None:
    callers = _callers(case)
    role = callers[next(_turns) % len(callers)]
    case.call_and_validate(
        base_url=api_server.url,
        checks=[not_a_server_error, clear_error_body],
        **_as(case, role, tokens, known),
    )
