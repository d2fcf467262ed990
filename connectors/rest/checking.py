"""What ``check()`` asks a REST agency: one GET with the agreement's credentials, whose answer
tells a wrong credential from a missing path.

The GET is ``check`` (a ``path``, or a known test case's ``external_id`` at ``poll.path``), else
``check_path``, else ``base_url`` itself. Its answer:

- 2xx (or exactly ``check.expect_status``): our credentials work; a test case's answer must also
  read as ``poll`` reads it, in a status the ``status_map`` names;
- 401/403: the agency refused our credentials;
- 404: the path — or the test case — does not exist at the agency;
- 5xx, 408, 429: the agency's own trouble, nothing verified; no answer at all: unreachable.

``base_url`` alone proves nothing about credentials (its root answers anyone, often 404), so
there the Health says they were NOT verified, where the agreement has any.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from connectors.rest.errors import TRANSIENT_STATUSES, json_of, translated_transport_errors
from connectors.rest.settings import RestSettings
from hub.core.errors import ConnectorError
from hub.plugins.connector import AgencyUpdate, Health

ReadCase = Callable[[httpx.Response, Any], AgencyUpdate]
REFUSED_CREDENTIALS = frozenset({401, 403})


@dataclass(frozen=True)
class CheckCall:
    """The GET that proves our credentials, and the agreement key that names it."""

    path: str
    key: str  # check.path, check.external_id or check_path
    expect_status: int | None = None
    external_id: str | None = None  # a test case: its answer is read as poll reads it


def check_call(rest: RestSettings) -> CheckCall | None:
    check = rest.check
    if check is not None and check.external_id is not None:
        path = rest.poll.path.replace("{external_id}", quote(check.external_id, safe=""))
        return CheckCall(path, "check.external_id", check.expect_status, check.external_id)
    if check is not None and check.path is not None:
        return CheckCall(check.path, "check.path", check.expect_status)
    if rest.check_path:
        return CheckCall(rest.check_path, "check_path")
    return None


def check(
    client: httpx.Client,
    rest: RestSettings,
    status_map: Mapping[str, str],
    read_case: ReadCase,
) -> Health:
    call = check_call(rest)
    path = call.path if call else ""
    url = str(client.base_url).rstrip("/") + "/" + path.lstrip("/")
    started = time.perf_counter()
    try:
        with translated_transport_errors("GET", url):
            response = client.get(path)
    except ConnectorError as exc:
        problem = (
            f"The agency is unreachable: {exc.message} — check connector.settings.base_url and "
            "that the agency's system is up."
        )
        return Health(ok=False, detail=exc.message, problems=(problem,))
    elapsed_ms = (time.perf_counter() - started) * 1000
    answered = (
        f"GET {response.request.url} answered HTTP {response.status_code} in {elapsed_ms:.0f} ms"
    )
    problems = _answer_problems(response, call, rest, status_map, read_case)
    if problems:
        return Health(ok=False, detail=answered, problems=tuple(problems))
    verified = "with our credentials" if _has_credentials(rest) else "(no credentials to verify)"
    return Health(ok=True, detail=f"{answered} {verified}")


def _answer_problems(
    response: httpx.Response,
    call: CheckCall | None,
    rest: RestSettings,
    status_map: Mapping[str, str],
    read_case: ReadCase,
) -> list[str]:
    status, asked = response.status_code, f"GET {response.request.url}"
    if status in REFUSED_CREDENTIALS:
        return [
            f"The agency refused our credentials (HTTP {status} on {asked}) — check "
            "connector.settings.auth."
        ]
    if status == 407:
        return [
            f"A proxy between the hub and the agency asks for credentials (HTTP 407 on {asked}) "
            "— check the hub host's proxy settings."
        ]
    if status >= 500 or status in TRANSIENT_STATUSES:
        return [
            f"The agency's system answered HTTP {status} on {asked}, so nothing was verified — "
            "run the check again later."
        ]
    if call is None:
        return _root_problems(status, asked, rest)
    if status == 404:
        if call.external_id is not None:
            return [
                f"The test case {call.external_id!r} does not exist at the agency ({asked} "
                "answered HTTP 404) — correct connector.settings.check.external_id (or "
                "poll.path)."
            ]
        return [
            f"The check path does not exist at the agency ({asked} answered HTTP 404) — correct "
            f"connector.settings.{call.key}."
        ]
    if call.expect_status is not None and status != call.expect_status:
        return [
            f"{asked} answered HTTP {status}, not the expected {call.expect_status} — correct "
            f"connector.settings.{call.key} or check.expect_status."
        ]
    if not response.is_success:
        return [
            f"{asked} answered HTTP {status} {response.reason_phrase}, not 2xx — correct "
            f"connector.settings.{call.key}."
        ]
    if call.external_id is not None:
        return _test_case_problems(response, call.external_id, status_map, read_case)
    return []


def _root_problems(status: int, asked: str, rest: RestSettings) -> list[str]:
    if not _has_credentials(rest):
        return []  # it answered: reachable, and there is nothing else to prove
    return [
        f"Our credentials (connector.settings.auth) were NOT verified: {asked} answered HTTP "
        f"{status}, as it would answer anyone — set connector.settings.check (a GET that needs "
        "our credentials, such as a known test case) or check_path."
    ]


def _test_case_problems(
    response: httpx.Response,
    external_id: str,
    status_map: Mapping[str, str],
    read_case: ReadCase,
) -> list[str]:
    try:
        update = read_case(response, json_of(response))
    except ConnectorError as exc:
        return [
            f"The test case {external_id!r} cannot be read as poll reads a case: {exc.message} — "
            "correct connector.settings.poll."
        ]
    if update.status not in status_map:
        return [
            f"The test case {external_id!r} is in the agency's status {update.status!r}, which "
            "status_map does not name — add it to status_map."
        ]
    return []


def _has_credentials(rest: RestSettings) -> bool:
    return rest.auth.get("type", "none") != "none"
