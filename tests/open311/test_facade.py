"""The Open311 facade on the real API server and database: what an Open311 client sees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import xmltodict
from sqlalchemy import select, update

from hub.auth.roles import Role
from hub.db.models import Referral, Request
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.intake.normalize import normalize_text
from tests.open311.conftest import form, token

TEHRAN = ZoneInfo("Asia/Tehran")


def _errors(answer: httpx.Response) -> list[str]:
    """The descriptions of an ``errors`` answer, JSON or XML."""
    if answer.headers["content-type"].startswith("text/xml"):
        errors = xmltodict.parse(answer.content, force_list=("error",))["errors"]["error"]
        assert all(int(e["code"]) == answer.status_code for e in errors)
        return [e["description"] for e in errors]
    assert all(e["code"] == answer.status_code for e in answer.json())
    return [e["description"] for e in answer.json()]


def test_discovery_names_the_georeport_v2_endpoint_in_both_formats(open311: httpx.Client) -> None:
    as_json = open311.get("/discovery.json").json()
    endpoint = as_json["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    as_xml = open311.get("/discovery.xml")
    assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert as_xml.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    parsed = xmltodict.parse(as_xml.content)["discovery"]
    assert parsed["endpoints"]["endpoint"]["url"] == endpoint["url"]


def test_services_are_the_routed_categories_each_with_its_agency_as_group(
    open311: httpx.Client,
) -> None:
    services = {s["service_code"]: s for s in open311.get("/services.json").json()}
    leak = services["water.leak"]
    assert leak["service_name"] == "نشت آب / Water leak"
    assert leak["group"] == (
        "شرکت آب و فاضلاب استان گلستان / Golestan Province Water and Wastewater Company"
    )  # the rural company routes water.* too, at a lower priority: not its service
    assert (leak["metadata"], leak["type"]) == (True, "realtime")
    assert {"water.other", "wastewater.blockage", "power.outage", "municipality.waste"} <= set(
        services
    )
    assert "Only in: گرگان" in services["municipality.waste"]["description"]
    xml = xmltodict.parse(open311.get("/services.xml").content)["services"]["service"]
    assert [s["service_code"] for s in xml] == list(services)
    assert {s["metadata"] for s in xml} == {"true"}


def test_a_service_definition_asks_for_what_the_shared_schema_needs(
    open311: httpx.Client,
) -> None:
    leak = open311.get("/services/water.leak.json").json()
    attributes = {a["code"]: a for a in leak["attributes"]}
    assert [a["order"] for a in leak["attributes"]] == [1, 2, 3]
    assert attributes["national_id"]["required"] is True
    assert attributes["county"]["datatype"] == "string"
    assert {v["key"] for v in attributes["request_type"]["values"]} >= {"complaint", "report"}
    waste = open311.get("/services/municipality.waste.xml").content
    county = xmltodict.parse(waste)["service_definition"]["attributes"]["attribute"][1]
    assert county["datatype"] == "singlevaluelist"  # the municipality covers one county
    assert county["values"]["value"] == {"key": "گرگان", "name": "گرگان"}


def test_a_request_filed_over_open311_is_the_request_v1_would_have_made(
    open311: httpx.Client, api: httpx.Client, api_key: str
) -> None:
    raw = "  لوله آب   ترکيده است ، لطفا رسیدگی کنید ۱۲  "  # Arabic ي, spaces
    fields = form(phone="۰۹۱۲ ۳۴۵ ۶۷۸۹", description=raw)
    answer = open311.post("/requests.json", data={"api_key": api_key, **fields})
    assert answer.status_code == 200, answer.text
    created = answer.json()[0]
    code = created["service_request_id"]
    assert "Golestan Province Water" in created["service_notice"]
    seen = api.get(f"/v1/requests/{code}").json()  # one tracking code for both dialects
    assert (seen["channel"], seen["category"], seen["type"]) == ("open311", "water.leak", "report")
    assert seen["referrals"][0]["agreement_id"] == "golestan-water"
    assert seen["referrals"][0]["state"] in ("pending", "delivering", "delivered")
    kept = open311.get(f"/requests/{code}.json", params={"api_key": api_key}).json()[0]
    assert kept["description"] == normalize_text(raw) != raw  # intake's own normalising
    assert kept["status"] == "open"
    assert kept["agency_responsible"].startswith("شرکت آب و فاضلاب استان گلستان")
    assert (kept["lat"], kept["long"]) == (36.8427, 54.4439)
    assert kept["media_url"] == "https://photos.example.ir/leak/1234.jpg"
    with session_scope() as session:
        stored = session.scalars(select(Request).where(Request.tracking_code == code)).one()
        assert stored.citizen_mobile == "09123456789"
        due = max(
            r.result_due_at
            for r in session.scalars(select(Referral).where(Referral.request_id == stored.id))
            if r.result_due_at
        )
    assert kept["expected_datetime"].endswith("+03:30")
    assert kept["expected_datetime"] == due.astimezone(TEHRAN).isoformat(timespec="seconds")


def test_a_request_can_be_filed_and_answered_in_xml(open311: httpx.Client, api_key: str) -> None:
    answer = open311.post("/requests.xml", data={"api_key": api_key, **form()})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    created = xmltodict.parse(answer.content)["service_requests"]["request"]
    code = created["service_request_id"]
    read = xmltodict.parse(open311.get(f"/requests/{code}.xml").content)
    assert read["service_requests"]["request"]["service_request_id"] == code
    assert read["service_requests"]["request"]["status"] == "open"


@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_a_missing_wrong_or_unfit_api_key_is_403(open311: httpx.Client, suffix: str) -> None:
    supervisor = token(Role.SUPERVISOR)
    agency = token(Role.AGENCY, "golestan-water")
    for key, says in (
        (None, "api_key is required"),
        ("samad_" + "x" * 43, "invalid api_key"),
        ("not-a-token", "invalid api_key"),
        (supervisor, "a supervisor token may not file"),
        (agency, "an agency token may not file"[3:]),
    ):
        data = form() if key is None else {"api_key": key, **form()}
        answer = open311.post(f"/requests.{suffix}", data=data)
        assert answer.status_code == 403, answer.text
        assert says in _errors(answer)[0]
    assert open311.get(f"/requests.{suffix}", params={"api_key": "wrong"}).status_code == 403


@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_what_does_not_exist_is_404_in_the_specs_shape(
    open311: httpx.Client, api_key: str, suffix: str
) -> None:
    for answer in (
        open311.get(f"/services/roads.nowhere.{suffix}"),
        open311.post(
            f"/requests.{suffix}", data={"api_key": api_key, **form(service_code="roads.none")}
        ),
        open311.get(f"/requests/12345678901.{suffix}"),
        open311.get(f"/tokens/abc.{suffix}"),
        open311.get(f"/nothing.{suffix}"),
    ):
        assert answer.status_code == 404, answer.text
        assert _errors(answer)
    assert "roads.nowhere" in _errors(open311.get(f"/services/roads.nowhere.{suffix}"))[0]


def test_missing_fields_are_400_each_named_by_its_open311_parameter(
    open311: httpx.Client, api_key: str
) -> None:
    fields = form(phone=None, first_name=None, description=None, **{"attribute[national_id]": None})
    answer = open311.post("/requests.json", data={"api_key": api_key, **fields})
    assert answer.status_code == 400
    named = {d.split(":", 1)[0] for d in _errors(answer)}
    assert named == {"phone", "first_name", "description", "attribute[national_id]"}
    nowhere = form(lat=None, long=None, address_string=None)
    answer = open311.post("/requests.xml", data={"api_key": api_key, **nowhere})
    assert answer.status_code == 400
    assert "lat and long, or address_string" in _errors(answer)[0]
    answer = open311.post("/requests.json", data={"api_key": api_key})
    assert _errors(answer) == ["service_code: required (GET services lists them)"]


def test_bad_input_is_refused_never_a_server_error(open311: httpx.Client, api_key: str) -> None:
    posts = [
        form(lat="north", long="54"),
        form(lat="NaN", long="inf"),
        form(lat="36.8", long=None),
        form(media_url="javascript:alert(1)"),
        form(phone="not a phone"),
        form(**{"attribute[national_id]": "0000000000"}),
        form(**{"attribute[request_type]": "wish"}),
        form(service_code="municipality.waste", **{"attribute[county]": "آق‌قلا"}),
        form(description="x" * 4001),
        form(email="@"),
    ]
    for fields in posts:
        answer = open311.post("/requests.json", data={"api_key": api_key, **fields})
        assert answer.status_code == 400, (fields, answer.text)
        assert _errors(answer)
    gets = [
        "/requests.json?start_date=yesterday",
        "/requests.json?start_date=1900-01-01T00:00:00Z",
        "/requests.json?status=pending",
        "/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2025-01-01T00:00:00Z",
        "/requests.yaml",
        "/services.csv",
        "/requests.json?service_code=" + ",".join(["w.x"] * 1001),
        "/requests.xml?service_request_id=" + ",".join(["12345678901"] * 1001),
    ]
    for path in gets:
        answer = open311.get(path)
        assert answer.status_code == 400, (path, answer.text)
    as_json = open311.post(
        "/requests.json", json={"api_key": api_key, "service_code": "water.leak"}
    )
    assert as_json.status_code == 400
    assert "x-www-form-urlencoded" in _errors(as_json)[0]
    national_id = form()["attribute[national_id]"]
    mistyped = form(**{"attribute[national_id]": national_id[:-1] + "x"})
    answer = open311.post("/requests.json", data={"api_key": api_key, **mistyped})
    assert national_id[:-1] not in answer.text  # masked, as on /v1


def test_the_filters_of_get_requests(
    open311: httpx.Client, api_key: str, file_request: Callable[..., str]
) -> None:
    leak = file_request()
    outage = file_request(service_code="power.outage")

    def listed(**params: str) -> list[str]:
        answer = open311.get("/requests.json", params=params)
        assert answer.status_code == 200, answer.text
        return [r["service_request_id"] for r in answer.json()]

    assert {leak, outage} <= set(listed())
    assert outage in listed(service_code="power.outage")
    assert leak not in listed(service_code="power.outage")
    assert {leak, outage} <= set(listed(service_code="water.leak,power.outage"))
    assert leak in listed(status="open") and leak not in listed(status="closed")
    assert leak in listed(status="open,closed")
    # service_request_id overrides every other argument
    assert listed(service_request_id=f"{leak},{outage}", status="closed") == [outage, leak]
    assert listed(service_request_id="12345678901,junk") == []
    now = utcnow()
    assert leak in listed(start_date=(now - timedelta(hours=1)).isoformat())
    assert leak not in listed(end_date=(now - timedelta(days=1)).isoformat())
    too_long = open311.get(
        "/requests.json",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400
    assert "more than 90 days" in _errors(too_long)[0]


def test_by_default_only_the_latest_90_days_are_listed(
    open311: httpx.Client, file_request: Callable[..., str]
) -> None:
    old, recent = file_request(), file_request()
    long_ago = utcnow() - timedelta(days=100)
    with session_scope() as session:
        session.execute(
            update(Request).where(Request.tracking_code == old).values(received_at=long_ago)
        )
    listed = [r["service_request_id"] for r in open311.get("/requests.json").json()]
    assert recent in listed and old not in listed
    around = {
        "start_date": (long_ago - timedelta(days=1)).isoformat(),
        "end_date": (long_ago + timedelta(days=1)).isoformat(),
    }
    then = [r["service_request_id"] for r in open311.get("/requests.json", params=around).json()]
    assert old in then and recent not in then
    one = open311.get(f"/requests/{old}.json").json()[0]  # a request by its id, whatever its age
    assert one["requested_datetime"] == long_ago.astimezone(TEHRAN).isoformat(timespec="seconds")


def test_without_a_staff_key_the_citizen_details_are_not_shown(
    open311: httpx.Client, api_key: str, file_request: Callable[..., str]
) -> None:
    code = file_request()
    public = open311.get(f"/requests/{code}.json").json()[0]
    assert {"description", "address", "lat", "long", "media_url", "status_notes"}.isdisjoint(public)
    supervisor = open311.get(
        f"/requests/{code}.json", params={"api_key": token(Role.SUPERVISOR)}
    ).json()[0]
    assert supervisor["description"] and supervisor["status_notes"]


def test_an_idempotency_key_files_a_retried_post_once(open311: httpx.Client, api_key: str) -> None:
    fields = {"api_key": api_key, **form()}
    headers = {"Idempotency-Key": "open311-retry-1"}
    first = open311.post("/requests.json", data=fields, headers=headers)
    again = open311.post("/requests.json", data=fields, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    other = open311.post("/requests.json", data={"api_key": api_key, **form()}, headers=headers)
    assert other.status_code == 400
    assert _errors(other)[0].startswith("Idempotency-Key:")
