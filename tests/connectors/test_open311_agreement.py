"""The shipped Open311 agreement (config/agreements/golestan-roads.yaml) at work: a referral
filed over Open311 by a real worker and answered, and `samad-hub agreements check` naming what
the agency's services list lacks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.core.settings import REPO_ROOT
from hub.sandbox.open311 import Open311SandboxApp, Open311SandboxSettings, running_open311_sandbox
from tests.core.waiting import wait_for, wait_for_states
from tests.support.fixtures import WATER_TOKEN, Sandboxes
from tests.support.requests import citizen_request

SAMPLE = REPO_ROOT / "config" / "agreements" / "golestan-roads.yaml"
ENDPOINT = "http://127.0.0.1:8734/open311/v2"
CATEGORY = "roads.open311_pothole"  # a category of its own: no other test's agreement takes it
AGREEMENT = "golestan-roads-open311"
API_KEY = "check-roads-key"


def _agreement_text(endpoint: str, api_key_variable: str) -> str:
    text = SAMPLE.read_text(encoding="utf-8").replace(ENDPOINT, endpoint)
    text = text.replace("${env:SAMAD_ROADS_OPEN311_API_KEY}", "${env:" + api_key_variable + "}")
    return re.sub(r"interval_seconds: \d+", "interval_seconds: 1", text)


@pytest.fixture
def roads_agency(sandboxes: Sandboxes) -> Iterator[tuple[Open311SandboxApp, Path]]:
    """The Open311 sandbox, and this run's agreement for it. The worker process took its
    environment when it started, so the api_key is one it already has: the water token's."""
    settings = Open311SandboxSettings(api_key=WATER_TOKEN)
    directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
    with running_open311_sandbox(settings) as (app, server):
        text = _agreement_text(f"{server.url}/open311/v2", "SAMAD_WATER_TOKEN")
        text = text.replace("id: golestan-roads", f"id: {AGREEMENT}")
        text = text.replace('categories: ["roads.*"]', f'categories: ["{CATEGORY}"]')
        text = re.sub(r"backoff_seconds: \d+", "backoff_seconds: 0.2", text)
        path = directory / f"{AGREEMENT}.yaml"
        partial = directory / f".{AGREEMENT}.partial"  # a reloading worker never sees half a file
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
        try:
            yield app, path
        finally:
            path.unlink()


@pytest.mark.usefixtures("worker")
def test_a_referral_goes_out_over_open311_and_the_closing_notes_reach_the_citizen(
    api: httpx.Client, roads_agency: tuple[Open311SandboxApp, Path]
) -> None:
    app, _ = roads_agency
    document = citizen_request(category=CATEGORY, subject="چاله بزرگ در جاده گرگان به آق‌قلا")
    answer = api.post("/v1/requests", json=document)
    assert answer.status_code == 201, answer.text
    code = answer.json()["tracking_code"]
    body = wait_for_states(api, code, ["delivered"])
    referral = body["referrals"][0]
    filed = app.store.get(referral["external_id"])
    assert filed is not None and filed.service_code == "RD-OTHER"  # roads.* in services
    assert filed.value("attribute[samad_reference]") == referral["reference"]
    assert filed.value("description").startswith("چاله بزرگ در جاده گرگان به آق‌قلا — ")
    notes = "اکیپ راهداری چاله را با آسفالت گرم ترمیم کرد."
    app.store.move(referral["external_id"], "FIXED", notes)
    body = wait_for_states(api, code, ["resolved"])
    assert body["result"] == notes
    assert wait_for(lambda: app.store.stats()["requests"] == 1, what="one request at the agency")


def _check(agreements_dir: Path, agreement_id: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "hub", "agreements", "check", agreement_id],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "COLUMNS": "300",
            "SAMAD_AGREEMENTS_DIR": str(agreements_dir),
            "SAMAD_ROADS_OPEN311_API_KEY": API_KEY,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def test_agreements_check_names_a_service_code_the_agency_does_not_offer(tmp_path: Path) -> None:
    """(The sample as shipped checks clean: tests/connectors/test_open311_connector.py.)"""
    with running_open311_sandbox(Open311SandboxSettings(api_key=API_KEY)) as (_, server):
        text = _agreement_text(f"{server.url}/open311/v2", "SAMAD_ROADS_OPEN311_API_KEY")
        broken = text.replace("service_code: RD-SIGN", "service_code: RD-SIGNS")
        broken = broken.replace('attributes: {lane_blocked: "no"}', "attributes: {}")
        (tmp_path / "golestan-roads.yaml").write_text(broken, encoding="utf-8")
        code, output = _check(tmp_path, "golestan-roads")
    assert code == 1, output
    assert "services.roads.signage: the agency lists no service_code 'RD-SIGNS'" in output
    assert "requires attribute 'lane_blocked'" in output
