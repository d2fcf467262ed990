"""The SOAP sandbox, seen from plain zeep and plain HTTP: what an agency's real service does."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import zeep
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from hub.sandbox.server import BackgroundServer, free_port
from hub.sandbox.soap import STATUS_TITLES, ManualClock, SoapSandbox

STEP = 60.0


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def sandbox(clock: ManualClock) -> SoapSandbox:
    return SoapSandbox(step_seconds=STEP, clock=clock)


@pytest.fixture(scope="module")
def server(sandbox: SoapSandbox) -> Iterator[BackgroundServer]:
    with BackgroundServer(sandbox.app()) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_sandbox(sandbox: SoapSandbox) -> Iterator[None]:
    yield
    sandbox.reset()
    sandbox.users = None


@pytest.fixture
def client(server: BackgroundServer) -> zeep.Client:
    return zeep.Client(f"{server.url}/?wsdl")


def register(client: zeep.Client, key: str, description: str = "برق کوچه از دیشب قطع است") -> Any:
    return client.service.RegisterCase(
        RequestKey=key,
        ReferenceNo=f"R-{key}",
        Subject="قطعی برق",
        Description=description,
        Subscriber={"FullName": "زهرا محمدی", "Mobile": "09111234567"},
        Location={"County": "گنبد کاووس", "Text": "خیابان طالقانی، کوچه ۱۲"},
    )


def test_it_publishes_a_wsdl_that_zeep_consumes_unmodified(client: zeep.Client) -> None:
    operations = set(client.service._binding.all())
    assert operations == {"RegisterCase", "GetCaseStatus", "GetCaseStatuses"}


def test_it_numbers_cases_in_its_own_format_and_keeps_persian_text(
    client: zeep.Client, sandbox: SoapSandbox
) -> None:
    receipt = register(client, "k-1")
    assert receipt.CaseNumber.startswith("BRQ/14")
    assert len(receipt.CaseNumber.split("/")[2]) == 6
    stored = sandbox.registry.cases[receipt.CaseNumber].fields
    assert stored["Description"] == "برق کوچه از دیشب قطع است"
    assert stored["Location"]["County"] == "گنبد کاووس"
    assert client.service.GetCaseStatus(CaseNumber=receipt.CaseNumber).StatusTitle == "ثبت شده"


def test_it_moves_a_case_through_its_statuses_as_its_clock_advances(
    client: zeep.Client, clock: ManualClock
) -> None:
    number = register(client, "k-2").CaseNumber
    seen = []
    for _ in range(6):
        seen.append(client.service.GetCaseStatus(CaseNumber=number).StatusCode)
        clock.advance(STEP)
    assert seen == [10, 20, 30, 40, 50, 50]
    final = client.service.GetCaseStatus(CaseNumber=number)
    assert final.StatusTitle == STATUS_TITLES[50]
    assert "برطرف" in final.Result


def test_it_returns_a_case_whose_description_asks_for_it(
    client: zeep.Client, clock: ManualClock
) -> None:
    number = register(client, "k-3", "موضوع مربوط به روشنایی معابر [return]").CaseNumber
    clock.advance(STEP * 10)
    status = client.service.GetCaseStatus(CaseNumber=number)
    assert status.StatusCode == 90
    assert "حیطه" in status.Result


def test_the_same_request_key_gives_the_same_case_and_no_duplicate(
    client: zeep.Client, sandbox: SoapSandbox
) -> None:
    first = register(client, "k-4").CaseNumber
    again = register(client, "k-4").CaseNumber
    assert again == first
    assert sandbox.stats() == {"cases": 1, "replays": 1, "duplicates": 0}


def test_it_counts_a_second_case_opened_for_the_same_referral_as_a_duplicate(
    client: zeep.Client, sandbox: SoapSandbox
) -> None:
    client.service.RegisterCase(
        RequestKey="a", ReferenceNo="R-9", Subject="قطعی", Description="قطعی برق",
        Subscriber={"FullName": "x y", "Mobile": "0911"}, Location={"County": "گرگان", "Text": "-"},
    )  # fmt: skip
    client.service.RegisterCase(
        RequestKey="b", ReferenceNo="R-9", Subject="قطعی", Description="قطعی برق",
        Subscriber={"FullName": "x y", "Mobile": "0911"}, Location={"County": "گرگان", "Text": "-"},
    )  # fmt: skip
    assert sandbox.stats()["duplicates"] == 1


def test_the_batch_operation_reports_known_cases_and_skips_unknown_ones(
    client: zeep.Client,
) -> None:
    numbers = [register(client, f"b-{i}").CaseNumber for i in range(3)]
    statuses = client.service.GetCaseStatuses(CaseNumbers={"CaseNumber": [*numbers, "BRQ/0/0"]})
    assert [status.CaseNumber for status in statuses] == numbers


def test_it_answers_an_unknown_case_with_a_client_fault(client: zeep.Client) -> None:
    with pytest.raises(Fault) as fault:
        client.service.GetCaseStatus(CaseNumber="BRQ/1405/999999")
    assert fault.value.code == "soap:Client"
    assert "یافت نشد" in fault.value.message


def test_it_speaks_soap_1_2_on_its_second_port(server: BackgroundServer) -> None:
    client = zeep.Client(f"{server.url}/?wsdl", port_name="CaseRegistrySoap12")
    number = register(client, "k-12").CaseNumber
    with pytest.raises(Fault) as fault:
        client.service.GetCaseStatus(CaseNumber="nope")
    assert number.startswith("BRQ/")
    assert fault.value.code == "soap:Sender"


def test_it_checks_ws_security_username_tokens(
    server: BackgroundServer, sandbox: SoapSandbox
) -> None:
    sandbox.users = {"samad-111": "گذرواژه-۱۲۳"}
    url = f"{server.url}/?wsdl"
    with pytest.raises(Fault) as refused:
        register(zeep.Client(url), "w-0")
    text = zeep.Client(url, wsse=UsernameToken("samad-111", "گذرواژه-۱۲۳"))
    digest = zeep.Client(url, wsse=UsernameToken("samad-111", "گذرواژه-۱۲۳", use_digest=True))
    with pytest.raises(Fault) as wrong:
        register(zeep.Client(url, wsse=UsernameToken("samad-111", "wrong")), "w-3")
    assert refused.value.code == "wsse:FailedAuthentication"
    assert register(text, "w-1").CaseNumber != register(digest, "w-2").CaseNumber
    assert wrong.value.code == "wsse:FailedAuthentication"


def test_it_refuses_requests_that_carry_a_dtd(
    server: BackgroundServer, sandbox: SoapSandbox
) -> None:
    body = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<GetCaseStatus xmlns="urn:golestan-power:case-registry:v1"><CaseNumber>&e;</CaseNumber>'
        "</GetCaseStatus></s:Body></s:Envelope>"
    )
    response = httpx.post(server.url, content=body, headers={"Content-Type": "text/xml"})
    assert response.status_code == 500
    assert "DTD" in response.text
    assert "root:" not in response.text


def test_it_can_be_told_to_misbehave_over_http(
    server: BackgroundServer, client: zeep.Client
) -> None:
    control = httpx.post(f"{server.url}/_control", json={"fault": "server", "times": 1})
    assert control.status_code == 200
    with pytest.raises(Fault) as fault:
        register(client, "m-1")
    assert fault.value.code == "soap:Server"
    assert register(client, "m-1").CaseNumber.startswith("BRQ/")
    assert httpx.get(f"{server.url}/_control").json()["stats"]["cases"] == 1


def test_it_rejects_unknown_controls(server: BackgroundServer) -> None:
    response = httpx.post(f"{server.url}/_control", json={"garbage": "confetti"})
    assert response.status_code == 422
    assert "garbage" in response.json()["error"]


@pytest.mark.parametrize(
    ("kind", "marker"),
    [
        ("html", b"<html>"),
        ("xxe", b'<!ENTITY xxe SYSTEM "file:///etc/passwd">'),
        ("billion_laughs", b"<!ENTITY lol9"),
        ("oversized", b"A" * 1024),
        ("truncated", b"<soap:Bo"),
    ],
)
def test_it_answers_garbage_with_status_200_when_told(
    server: BackgroundServer, sandbox: SoapSandbox, kind: str, marker: bytes
) -> None:
    sandbox.controls.garbage = kind  # type: ignore[assignment]
    response = httpx.post(server.url, content=b"<x/>", headers={"Content-Type": "text/xml"})
    assert response.status_code == 200
    assert marker in response.content
    assert b"RegisterCaseResponse" not in response.content or kind == "xxe"


def test_it_serves_a_renamed_field_in_its_upgraded_wsdl(
    server: BackgroundServer, sandbox: SoapSandbox
) -> None:
    sandbox.controls.wsdl_variant = "renamed"
    wsdl = httpx.get(f"{server.url}/?wsdl").text
    assert 'name="CellPhone"' in wsdl
    assert 'name="Mobile"' not in wsdl
    assert f'location="{server.url}/"' in wsdl


def test_it_runs_standalone_from_the_command_line() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.sandbox.soap", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/?wsdl")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the standalone sandbox did not start"
                time.sleep(0.1)
        assert "RegisterCase" in response.text
    finally:
        process.terminate()
        process.communicate(timeout=10)
