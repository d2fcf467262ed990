"""An Open311 client nobody here wrote talks to the facade: ``georeport`` from PyPI.

georeport (0.3.1, the maintained Python client) lists services, reads a service definition and
reads requests, in JSON and in XML (its XML through xmltodict); it has no method to file a
request, so the request is filed as the spec's own example does — a form POST, here with httpx
— and read back with georeport. (The older ``open311`` package on PyPI is Python 2 code and
does not import on Python 3.)
"""

from __future__ import annotations

import httpx
import pytest
import xmltodict
from georeport import GeoReport

from hub.sandbox.server import BackgroundServer
from tests.open311.conftest import PREFIX, form


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_lists_services_and_reads_back_a_request_filed_per_the_spec(
    api_server: BackgroundServer, api_key: str, output_format: str
) -> None:
    client = GeoReport(api_server.url + PREFIX, output_format=output_format)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "water.leak" in codes and "power.outage" in codes
    definition = client.get_service_definition("water.leak")
    assert definition["service_code"] == "water.leak"

    filed = httpx.post(
        f"{api_server.url}{PREFIX}/requests.{output_format}",
        data={"api_key": api_key, **form(service_code="power.outage")},
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        timeout=15,
    )
    assert filed.status_code == 200, filed.text
    code = (
        filed.json()[0]["service_request_id"]
        if output_format == "json"
        else xmltodict.parse(filed.content)["service_requests"]["request"]["service_request_id"]
    )

    one = client.get_service_request(code)
    assert (one["service_request_id"], one["service_code"]) == (code, "power.outage")
    assert one["status"] == "open"
    assert "Golestan" in one["agency_responsible"]
    several = client.get_service_requests(service_request_id=code)
    several = several if isinstance(several, list) else [several]  # xmltodict: one is a dict
    assert [r["service_request_id"] for r in several] == [code]
    recent = client.get_service_requests(service_code="power.outage", status="open")
    recent = recent if isinstance(recent, list) else [recent]
    assert code in [r["service_request_id"] for r in recent]
