"""National ids and mobiles are not echoed back in error bodies, nor carried by metric labels."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hub.auth.masking import mask_pii
from hub.auth.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from tests.access.conftest import WEBHOOK_SECRET
from tests.support.requests import BASE, citizen_request, national_id


def _with_citizen(**citizen: str) -> dict:
    return citizen_request(citizen={**BASE["citizen"], **citizen})


def _error_at(answer: httpx.Response, path: str) -> dict:
    assert answer.status_code == 422, answer.text
    [error] = [e for e in answer.json()["errors"] if e["path"] == path]
    return error


def test_a_mistyped_national_id_is_not_echoed_back_in_full(api: httpx.Client) -> None:
    valid = national_id(random.randrange(10**8))
    mistyped = valid[:9] + str((int(valid[9]) + 1) % 10)
    answer = api.post("/v1/requests", json=_with_citizen(national_id=mistyped))
    error = _error_at(answer, "$.citizen.national_id")
    assert "checksum" in error["message"] and error["message_fa"]
    assert f"{'*' * 8}{mistyped[-2:]}" in error["message"]
    assert mistyped not in answer.text and valid[:8] not in answer.text


def test_a_malformed_mobile_is_not_echoed_back_even_in_part(api: httpx.Client) -> None:
    for mobile, hidden in (("+98 912 123 45678", "912 123"), ("09121234567890", "0912123456")):
        answer = api.post("/v1/requests", json=_with_citizen(mobile=mobile))
        error = _error_at(answer, "$.citizen.mobile")
        assert "not a valid Iranian phone number" in error["message"]
        assert hidden not in answer.text, answer.text
        assert error["message"].count("*") >= 8


def test_a_mobile_sent_where_an_agency_status_belongs_is_masked_in_the_refusal(
    api_as: Callable[..., httpx.Client], webhook_agreement: str
) -> None:
    body = json.dumps({"update_id": "mask-1", "external_id": "W-1", "status": 9121234567})
    stamp = int(time.time())
    answer = api_as(None).post(
        f"/v1/agencies/{webhook_agreement}/updates",
        content=body,
        headers={
            "content-type": "application/json",
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: signature(WEBHOOK_SECRET, stamp, body.encode()),
        },
    )
    error = _error_at(answer, "$.status")
    assert "9121234567" not in answer.text
    assert "********67" in error["message"]


def test_metric_labels_never_carry_a_national_id_or_a_mobile(
    api: httpx.Client, api_as: Callable[..., httpx.Client]
) -> None:
    nid, mobile = national_id(random.randrange(10**8)), f"0936{random.randrange(10**7):07d}"
    filed = api.post(
        "/v1/requests",
        json=citizen_request(
            citizen={**BASE["citizen"], "national_id": nid, "mobile": mobile},
            subject=f"تماس {mobile}",
        ),
    )
    assert filed.status_code == 201, filed.text
    citizen = api_as(None)
    citizen.get(f"/v1/requests/{filed.json()['tracking_code']}", params={"mobile": mobile})
    citizen.get(f"/v1/requests/{nid}", params={"mobile": mobile})
    exposition = api_as(None).get("/metrics").text

    assert nid not in exposition and mobile not in exposition
    labels = [
        value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        for value in sample.labels.values()
    ]
    assert any(value == "phone_111" for value in labels)  # the intake was counted
    assert [v for v in labels if mask_pii(v) != v] == []


def test_a_workers_log_masks_national_ids_and_mobiles(
    database: str, broker: str, tmp_path: Path
) -> None:
    """A real worker process logs a failed task with its arguments: the citizen's numbers in
    them come out masked, as in the API's logs."""
    from hub.worker.process import start_worker, stop_process
    from hub.worker.tasks import deliver_referral

    nid, mobile = national_id(random.randrange(10**8)), "09121234567"
    log = tmp_path / "worker.log"
    queue = f"masking-{random.randrange(10**9)}"  # this worker's alone: the run's worker is busy
    worker = start_worker(log, beat=False, threads=1, queues=queue)
    try:
        deliver_referral.apply_async(args=[f"case of {nid} {mobile}"], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "raised unexpected" not in log.read_text():
            time.sleep(0.2)
    finally:
        stop_process(worker)
    text = log.read_text()
    assert "raised unexpected" in text, text[-2000:]
    assert nid not in text and mobile not in text
    assert mask_pii(nid) in text and mask_pii(mobile) in text
