"""Every /v1 route declares its roles, and every role gets exactly what its routes allow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from hub.auth.roles import Role
from hub.auth.tokens import create_token, revoke_token
from hub.db.session import session_scope
from hub.web.app import create_app

ROLES = [r.value for r in Role if r.takes_tokens]  # the kartabl's roles: tests/kartabl


def _operations() -> list[tuple[str, str, list[str]]]:
    schema = create_app().openapi()
    return [
        (method.upper(), path, op.get("x-roles") or [])
        for path, ops in schema["paths"].items()
        if path.startswith("/v1")
        for method, op in ops.items()
    ]


def test_every_v1_route_in_the_openapi_document_declares_its_roles() -> None:
    undeclared = [f"{m} {p}" for m, p, roles in _operations() if not roles]
    assert not undeclared, f"routes without roles: {undeclared}"


def _concrete(path: str) -> str:
    return (
        path.replace("{agreement}", "golestan-water")
        .replace("{tracking_code}", "12345678901")
        .replace("{reference}", "R-0")
        .replace("{referral_id}", "999999")
        .replace("{letter_id}", "999999")
    )


@pytest.mark.usefixtures("webhook_agreement")
@pytest.mark.parametrize("role", [*ROLES, None])
def test_every_role_is_refused_on_every_route_it_is_not_declared_for(
    role: str | None, api_as: Callable[..., httpx.Client]
) -> None:
    client = api_as(role, "golestan-water" if role == "agency" else None)
    wrong = []
    for method, path, roles in _operations():
        answer = client.request(method, _concrete(path), json={})
        allowed = role in roles if role else "citizen" in roles
        if not allowed and answer.status_code not in (401, 403):
            wrong.append(f"{role} {method} {path}: {answer.status_code}")
        if allowed and answer.status_code in (401, 403) and "signature" not in answer.text.lower():
            wrong.append(f"{role} {method} {path} refused: {answer.text}")
        if answer.status_code in (401, 403):
            assert answer.json()["detail"] and answer.json()["detail_fa"]
    assert not wrong, wrong


def test_a_request_without_a_token_is_told_a_token_is_needed(
    api_as: Callable[..., httpx.Client],
) -> None:
    answer = api_as(None).get("/v1/requests")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["detail"] == "a valid API token is required"


def _client_with(api_server: object, secret: str) -> httpx.Client:
    return httpx.Client(
        base_url=api_server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )


def test_expired_revoked_and_made_up_tokens_are_refused_alike(api_server: object) -> None:
    with session_scope() as session:
        expired = create_token(session, "old", Role.OPERATOR, expires_in=timedelta(seconds=-1))
        revoked = create_token(session, "gone", Role.OPERATOR)
        live = create_token(session, "live", Role.OPERATOR)
        revoke_token(session, revoked.token.id)
    for secret in (expired.secret, revoked.secret, "samad_" + "x" * 43, "nonsense"):
        with _client_with(api_server, secret) as client:
            answer = client.get("/v1/requests")
            assert answer.status_code == 401
            assert answer.json()["detail"] == "the API token is unknown, expired or revoked"
    with _client_with(api_server, live.secret) as client:
        assert client.get("/v1/requests").status_code == 200


def test_tokens_are_stored_only_as_hashes(api_server: object) -> None:
    from sqlalchemy import text

    with session_scope() as session:
        issued = create_token(session, "hash-check", Role.SUPERVISOR)
    with session_scope() as session:
        rows = session.execute(text("SELECT token_hash, prefix FROM api_tokens")).all()
    assert all(issued.secret not in (h, p) for h, p in rows)
    assert all(len(p) < 16 for _, p in rows)


def test_an_agency_token_never_reads_or_updates_another_agencys_referral(
    api_as: Callable[..., httpx.Client], delivered: Callable[..., dict]
) -> None:
    water = delivered()
    rural = api_as("agency", "golestan-rural-water")
    own_path = f"/v1/agencies/golestan-rural-water/referrals/{water['reference']}"
    other_path = f"/v1/agencies/golestan-water/referrals/{water['reference']}"
    update = {"update_id": "u-cross-1", "status": "SEEN"}
    for answer in (
        rural.get(other_path),
        rural.get("/v1/agencies/golestan-water/referrals"),
        rural.post(other_path + "/updates", json=update),
    ):
        assert answer.status_code == 403, answer.text
    for answer in (rural.get(own_path), rural.post(own_path + "/updates", json=update)):
        assert answer.status_code == 404, answer.text
    listed = rural.get("/v1/agencies/golestan-rural-water/referrals").json()["items"]
    assert water["reference"] not in [r["reference"] for r in listed]
    mine = api_as("agency", "golestan-water")
    shown = mine.get(other_path).json()
    assert shown["state"] == "delivered"
    assert "national_id" not in shown["request"]["citizen"]  # not shared with this agency


def test_an_agency_posts_an_update_to_its_own_referral_once(
    api_as: Callable[..., httpx.Client], api: httpx.Client, delivered: Callable[..., dict]
) -> None:
    water = delivered()
    mine = api_as("agency", "golestan-water")
    path = f"/v1/agencies/golestan-water/referrals/{water['reference']}/updates"
    first = mine.post(path, json={"update_id": "tok-1", "status": "SEEN"})
    again = mine.post(path, json={"update_id": "tok-1", "status": "SEEN"})
    assert (first.json()["outcome"], again.json()["outcome"]) == ("applied", "duplicate")
    looked_up = api.get(f"/v1/requests/{water['tracking_code']}").json()
    assert looked_up["referrals"][0]["state"] == "viewed"
