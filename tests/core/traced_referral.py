"""Run by tests/core/test_telemetry.py in a process of its own: traces on, with the SDK's
in-memory exporter; a citizen request through the API (FastAPI), woken to a real Celery worker
(in this process, on a broker of the test's own), pushed to the water agency's REST sandbox.
Prints every finished span as one JSON line, then ``DONE <tracking code>``.

A process of its own because instrumenting httpx, SQLAlchemy and Celery is process-wide: the
test run's other tests stay untraced.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time

import httpx
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select

from hub.auth.masking import mask_pii
from hub.core import telemetry

exporter = InMemorySpanExporter()
assert telemetry.setup("samad-hub-test", mask=mask_pii, exporter=exporter)

from hub.auth.roles import Role  # noqa: E402  (after the instrumentation, as a process starts)
from hub.auth.tokens import create_token  # noqa: E402
from hub.core.celery_app import app as celery_app  # noqa: E402
from hub.core.http import make_client  # noqa: E402
from hub.core.queues import WORKER_QUEUES  # noqa: E402
from hub.db.models import Referral  # noqa: E402
from hub.db.session import session_scope  # noqa: E402
from hub.web.app import create_app  # noqa: E402

body = json.loads(sys.argv[1])
mobile = body["citizen"]["mobile"]
SECRET = "4A6B2F3C5D7E8F9A0B1C2D3E4F5A6B7C"
with session_scope() as session:
    token = create_token(session, "traced-operator", Role.OPERATOR).secret
api = TestClient(create_app())
with start_worker(
    celery_app,
    pool="threads",
    concurrency=2,
    perform_ping_check=False,
    queues=WORKER_QUEUES.split(","),  # deliveries have a queue of their own
):
    answer = api.post("/v1/requests", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    code = answer.json()["tracking_code"]
    looked_up = api.get(f"/v1/requests/{code}", params={"mobile": mobile})
    assert looked_up.status_code == 200, looked_up.text  # the mobile in its query string
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with session_scope() as session:
            states = session.scalars(
                select(Referral.state).where(Referral.reference.startswith(code))
            ).all()
        if states and all(s != "pending" and s != "delivering" for s in states):
            break
        time.sleep(0.2)
    else:
        raise SystemExit(f"not delivered within 60 s: {states}")
# An outbound call like the SMS gateway's: its key in the path, the mobile in the query.
with make_client(timeout=2) as client, contextlib.suppress(httpx.HTTPError):
    # Nothing listens there: the span is what counts.
    client.get(f"http://127.0.0.1:9/v1/{SECRET}/sms/send.json", params={"receptor": mobile})
telemetry.shutdown()
for span in exporter.get_finished_spans():
    print(span.to_json(indent=None))
print("DONE", code)
