"""OpenTelemetry: one referral's spans form one trace, API to the agency's system, and no span
says a national id or a mobile.

The run happens in a process of its own (``tests/core/traced_referral.py``), on a database and
a broker of the test's own so no other worker takes its delivery: a request submitted through
the API (FastAPI instrumented), its agency woken through Celery (a real worker), the referral
pushed by the REST connector (httpx) into the water agency's sandbox, the citizen's look-up
with the mobile in its query string. Its spans come back as JSON from the SDK's in-memory
exporter and are checked here against what the trace must be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.core import telemetry
from hub.core.settings import REPO_ROOT
from tests.support.fixtures import Sandboxes
from tests.support.private_databases import private_database
from tests.support.private_redis import PrivateRedis
from tests.support.requests import citizen_request, national_id

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def own_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.kill()


def _traced_run(database: str, broker: str, body: dict[str, Any]) -> tuple[list[dict], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(SAMAD_DATABASE_URL=database, SAMAD_BROKER_URL=broker, SAMAD_REDIS_URL=broker)
    env["PYTHONPATH"] = str(REPO_ROOT)  # this checkout's hub, whatever is installed
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("traced_referral.py")), json.dumps(body)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-1].startswith("DONE "), lines[-3:]
    return [json.loads(line) for line in lines[:-1]], lines[-1].split()[1]


def _parent(span: dict[str, Any]) -> str | None:
    return span.get("parent_id")


def test_one_referral_is_one_trace_from_the_api_to_the_agency_and_names_no_citizen(
    sandboxes: Sandboxes, tmp_path: Path, own_redis: PrivateRedis
) -> None:
    body = citizen_request()
    body["citizen"]["national_id"] = national_id(424242)
    mobile, nid = body["citizen"]["mobile"], body["citizen"]["national_id"]
    pushes_before = len(sandboxes.water.tickets.opened())
    with private_database("postgresql", "telemetry", tmp_path) as database:
        spans, code = _traced_run(database, own_redis.url, body)
    assert len(sandboxes.water.tickets.opened()) == pushes_before + 1  # it did reach the agency

    by_id = {s["context"]["span_id"]: s for s in spans}
    intake = next(
        s for s in spans
        if s["kind"] == "SpanKind.SERVER" and s["attributes"].get("samad.tracking_code") == code
    )  # fmt: skip
    assert intake["name"] == "POST /v1/requests"
    trace_id = intake["context"]["trace_id"]

    push = next(s for s in spans if s["name"] == "samad.push")
    assert push["context"]["trace_id"] == trace_id  # the batch's push continues the request's
    assert push["attributes"]["samad.tracking_code"] == code
    assert push["attributes"]["samad.agreement"] == "golestan-water"
    under_push = [s for s in spans if _parent(s) == push["context"]["span_id"]]
    call = next(s for s in under_push if s["kind"] == "SpanKind.CLIENT")  # into the agency
    method = call["attributes"].get("http.method") or call["attributes"].get("http.request.method")
    assert method == "POST"
    assert call["context"]["trace_id"] == trace_id

    # Celery carried the intake's context to the worker: the wake was sent under the intake,
    # and the delivery task ran under that sending.
    sent = next(s for s in spans if s["name"].startswith("apply_async/hub.deliver_due"))
    ran = next(s for s in spans if s["name"].startswith("run/hub.deliver_due"))
    assert sent["context"]["trace_id"] == trace_id == ran["context"]["trace_id"]
    assert _parent(ran) == sent["context"]["span_id"]
    ancestor, seen = sent, 0
    while _parent(ancestor) and seen < 20:
        ancestor, seen = by_id[_parent(ancestor)], seen + 1
    assert ancestor is intake

    assert any(s["name"].startswith(("INSERT", "SELECT", "UPDATE")) for s in spans)  # SQL
    lookup = next(s for s in spans if s["name"] == "GET /v1/requests/{tracking_code}")
    assert lookup["kind"] == "SpanKind.SERVER"
    sms = next(s for s in spans if "/sms/send.json" in json.dumps(s["attributes"]))
    assert sms["kind"] == "SpanKind.CLIENT"
    text = json.dumps(spans, ensure_ascii=False)
    assert "4A6B2F3C5D7E8F9A0B1C2D3E4F5A6B7C" not in text  # the gateway's key in its path
    assert mobile not in text and mobile[-10:] not in text  # not even in the look-up's URL
    assert nid not in text


def test_traces_are_off_unless_the_otel_variables_ask() -> None:
    assert not telemetry.wanted({})
    assert not telemetry.wanted({"OTEL_SERVICE_NAME": "hub"})  # a name alone exports nothing
    assert telemetry.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert telemetry.wanted({"OTEL_TRACES_EXPORTER": "console"})
    assert not telemetry.wanted({"OTEL_TRACES_EXPORTER": "none"})
    off = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}
    assert not telemetry.wanted(off)
    assert not telemetry.active()  # this test process: no OTEL_* set, nothing traced
    assert telemetry.current_traceparent() is None


def test_a_url_in_a_span_loses_its_query_and_its_secrets() -> None:
    key = "4A6B2F3C5D7E8F9A0B1C2D3E4F5A6B7C"
    url = f"https://sms.example.ir/v1/{key}/sms/send.json?receptor=09121234567&message=x"
    assert telemetry.clean_url(url) == "https://sms.example.ir/v1/{secret}/sms/send.json"
    assert telemetry.clean_url("http://u:p@agency:8080/api/v1/tickets") == (
        "http://agency:8080/api/v1/tickets"
    )
