"""Onboarding a foreign agency as the admin does it: ``samad-hub agreements draft`` (the command,
in a subprocess), the TODOs answered, the file put into the agreements directory, and
``samad-hub agreements check``; then what a test asks of the referrals and of the agency."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import select

from hub.core.settings import REPO_ROOT
from hub.db.models import Event, Referral, Request
from hub.db.session import session_scope
from tests.agreements_draft.completion import complete, validated
from tests.core.waiting import wait_for
from tests.support.requests import citizen_request

DELIVERED = ("delivered", "viewed", "in_progress", "forwarded", "resolved")
PEOPLE = {
    "agency.contacts.0.name": "دبیرخانه",
    "agency.contacts.0.role": "Secretariat",
    "agency.contacts.0.email": "dabirkhaneh@agency.example",
    "agency.supervisor.name": "معاون خدمات مشترکین",
    "agency.supervisor.role": "Deputy for customer services",
    "agency.supervisor.email": "deputy@agency.example",
}
# Short waits, so a test sees every retry the agreement allows within seconds.
QUICK_DELIVERY = {
    "max_attempts": 6,
    "backoff_seconds": 0.1,
    "backoff_max_seconds": 0.2,
    "breaker_failures": 1000,
}


def samad_hub(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line, as an admin runs it, in this run's environment (plus ``env``)."""
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "COLUMNS": "300", **(env or {})},
        capture_output=True,
        text=True,
        timeout=240,
    )


def draft(flag: str, location: str, file: Path) -> str:
    """The draft ``samad-hub agreements draft`` writes to ``file`` from ``location``."""
    written = samad_hub("agreements", "draft", flag, location, "--output", str(file))
    assert written.returncode == 0, written.stdout + written.stderr
    return file.read_text(encoding="utf-8")


def completed(text: str, agreement_id: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The draft with every TODO answered and the agreement's id, ready to enable."""
    document = complete(text, {"id": agreement_id, **PEOPLE, **answers})
    return {**document, "enabled": True}


def put_in_place(document: Mapping[str, Any], api: httpx.Client) -> Path:
    """Validate, then write the agreement into the agreements directory in one rename (a worker
    reloading mid-write must never see half a file), and wait until the hub has it."""
    agreement_id = str(document["id"])
    validated(document)
    directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
    path = directory / f"{agreement_id}.yaml"
    partial = directory / f".{agreement_id}.partial"
    partial.write_text(yaml.safe_dump(dict(document), allow_unicode=True), encoding="utf-8")
    partial.replace(path)
    wait_for(
        lambda: agreement_id in {a["id"] for a in api.get("/v1/agreements").json()["items"]},
        timeout=30,
        what=f"the API to load {agreement_id}",
    )
    time.sleep(2.5)  # the worker's registry reloads changed files every 2 s
    return path


def submit(api: httpx.Client, category: str) -> str:
    answer = api.post("/v1/requests", json=citizen_request(category=category))
    assert answer.status_code == 201, answer.text
    code: str = answer.json()["tracking_code"]
    return code


def state(api: httpx.Client, code: str) -> str:
    found: str = api.get(f"/v1/requests/{code}").json()["referrals"][0]["state"]
    return found


def settled(api: httpx.Client, code: str, states: tuple[str, ...], what: str) -> Referral:
    wait_for(lambda: state(api, code) in states, timeout=60, what=f"{code} {what}")
    return referral(code)


def referral(code: str) -> Referral:
    with session_scope() as session:
        found = session.scalars(
            select(Referral)
            .join(Request, Request.id == Referral.request_id)
            .where(Request.tracking_code == code)
        ).one()
        session.expunge(found)
        return found


def states_passed(referral_id: int) -> set[str]:
    """Every state the referral has been in, from its events."""
    with session_scope() as session:
        events = session.scalars(select(Event).where(Event.referral_id == referral_id))
        return {state for e in events for state in (e.from_state, e.to_state) if state}


def alerts(referral_id: int) -> list[str]:
    with session_scope() as session:
        events = session.scalars(
            select(Event).where(Event.referral_id == referral_id, Event.kind == "alert")
        )
        return [str(e.data.get("alert")) for e in events]
