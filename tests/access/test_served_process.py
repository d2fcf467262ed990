"""``samad-hub serve`` as deployed: its own process, its own settings, real HTTP.

- While the database is out of reach every call is a 503 problem with ``Retry-After`` that tells
  the call centre to retry with the same Idempotency-Key, logged as one line with its request id
  (no traceback per call).
- Forwarded addresses are believed only from ``SAMAD_TRUSTED_PROXIES``: a forged
  ``X-Forwarded-For`` from a peer that is not a trusted proxy does not change whose rate limit
  a request counts against.
- ``/metrics`` needs ``SAMAD_METRICS_TOKEN`` when one is set.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from hub.auth.roles import Role
from hub.auth.tokens import create_token
from hub.core.settings import REPO_ROOT
from hub.db.session import session_scope
from hub.sandbox.server import free_port
from tests.support.requests import citizen_request

PROBLEM = "application/problem+json"


def _some_code() -> str:
    """A tracking code nobody has (each once: the per-code limit stays out of the way)."""
    return f"{random.randrange(10**10, 10**11)}"


class Served:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[subprocess.Popen] = []

    def start(**settings: str) -> Served:
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        env = {**os.environ, **settings}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "hub", "serve", "--port", str(port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    return Served(url, log)
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"serve did not start: {log.read_text()}")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=20)


def test_while_the_database_is_out_of_reach_calls_get_a_503_problem_to_retry(
    serve: Callable[..., Served], database: str
) -> None:
    with session_scope() as session:
        token = create_token(session, "call-centre", Role.OPERATOR).secret
    dead = f"postgresql+psycopg://samad:samad@127.0.0.1:{free_port()}/gone"
    served = serve(SAMAD_DATABASE_URL=dead)
    answers = [
        httpx.post(
            served.url + "/v1/requests",
            json=citizen_request(),
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": f"down-{i:04d}"},
            timeout=30,
        )
        for i in range(3)
    ]
    for i, answer in enumerate(answers):
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["retry-after"] == "5"
        body = answer.json()
        assert body["type"] == "urn:samad-hub:problem:unavailable"
        assert "Idempotency-Key" in body["detail"] and "Idempotency-Key" in body["detail_fa"]
        assert body["request_id"] == f"down-{i:04d}"
    ready = httpx.get(served.url + "/readyz", timeout=30)
    assert ready.status_code == 503
    text = served.log_text()
    for i in range(3):
        [line] = [
            ln
            for ln in text.splitlines()
            if f"down-{i:04d}" in ln and "503" in ln and "out of reach" in ln
        ]
        assert "database" in line
    assert "Traceback" not in text
    assert "POST /v1/requests 503" in text  # the access line


def test_a_forged_forwarded_for_from_an_untrusted_peer_does_not_change_the_rate_limit_key(
    serve: Callable[..., Served], database: str, sandboxes: object
) -> None:
    served = serve(SAMAD_TRUSTED_PROXIES="", SAMAD_LOOKUP_RATE_PER_IP="5/minute")
    codes = []
    for i in range(7):
        answer = httpx.get(
            served.url + f"/v1/requests/{_some_code()}",
            params={"mobile": "09121234567"},
            headers={"X-Forwarded-For": f"192.0.2.{i + 1}"},
            timeout=10,
        )
        codes.append(answer.status_code)
    assert codes[:5] == [404] * 5
    assert codes[5:] == [429, 429]


def test_forwarded_for_from_a_trusted_proxy_is_the_client(
    serve: Callable[..., Served], database: str, sandboxes: object
) -> None:
    served = serve(SAMAD_TRUSTED_PROXIES="127.0.0.1", SAMAD_LOOKUP_RATE_PER_IP="5/minute")
    codes = [
        httpx.get(
            served.url + f"/v1/requests/{_some_code()}",
            params={"mobile": "09121234567"},
            headers={"X-Forwarded-For": f"192.0.2.{100 + i}"},
            timeout=10,
        ).status_code
        for i in range(7)
    ]
    assert codes == [404] * 7  # seven clients behind the proxy, one look-up each


def test_metrics_need_the_token_when_one_is_set(
    serve: Callable[..., Served], database: str, sandboxes: object
) -> None:
    served = serve(SAMAD_METRICS_TOKEN="a-scrapers-token-for-tests")
    bare = httpx.get(served.url + "/metrics", timeout=10)
    wrong = httpx.get(served.url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    right = httpx.get(
        served.url + "/metrics",
        headers={"Authorization": "Bearer a-scrapers-token-for-tests"},
        timeout=10,
    )
    assert bare.status_code == wrong.status_code == 401
    assert bare.headers["content-type"] == PROBLEM
    assert right.status_code == 200 and "samad_" in right.text


def test_without_a_token_metrics_are_served_only_on_loopback(
    serve: Callable[..., Served], database: str, sandboxes: object
) -> None:
    served = serve(SAMAD_TRUSTED_PROXIES="127.0.0.1")
    local = httpx.get(served.url + "/metrics", timeout=10)
    assert local.status_code == 200
    through_proxy = httpx.get(
        served.url + "/metrics", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10
    )
    assert through_proxy.status_code == 403  # the proxy forwarded an outside client
    assert through_proxy.headers["content-type"] == PROBLEM
