"""Submitting and looking up requests through the real HTTP API on PostgreSQL."""

from __future__ import annotations

import httpx

from hub.intake.tracking import is_valid_tracking_code
from tests.support.requests import citizen_request


def test_it_registers_a_request_and_refers_it_to_the_water_company(api: httpx.Client) -> None:
    response = api.post("/v1/requests", json=citizen_request())
    assert response.status_code == 201, response.text
    body = response.json()
    assert is_valid_tracking_code(body["tracking_code"])
    assert body["status"] == "referred"
    [referral] = body["referrals"]
    assert referral["agreement_id"] == "golestan-water"
    assert referral["agency_fa"] == "شرکت آب و فاضلاب استان گلستان"
    assert referral["state"] == "pending"
    assert referral["reference"] == f"{body['tracking_code']}-1"


def test_it_answers_422_naming_every_bad_field_in_english_and_persian(api: httpx.Client) -> None:
    bad = citizen_request(channel="fax")
    bad["citizen"]["national_id"] = "0012345678"  # wrong check digit
    del bad["subject"]
    response = api.post("/v1/requests", json=bad)
    assert response.status_code == 422
    errors = {e["path"]: e for e in response.json()["errors"]}
    assert {"$.channel", "$.subject", "$.citizen.national_id"} <= set(errors)
    for error in errors.values():
        assert error["message"] and error["message_fa"]


def test_a_body_that_is_not_json_gets_a_clear_422(api: httpx.Client) -> None:
    response = api.post(
        "/v1/requests", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"]


def test_it_normalises_persian_digits_and_arabic_letters_before_storing(api: httpx.Client) -> None:
    request = citizen_request(subject="قطعي آب در كوچه")
    request["citizen"]["mobile"] = "+98 912 123 4567".translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    )
    response = api.post("/v1/requests", json=request)
    assert response.status_code == 201, response.text
    assert response.json()["subject"] == "قطعی آب در کوچه"


def test_a_citizen_looks_up_the_request_by_tracking_code(api: httpx.Client) -> None:
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    response = api.get(f"/v1/requests/{code}")
    assert response.status_code == 200
    body = response.json()
    assert body["tracking_code"] == code
    assert [e["kind"] for e in body["history"]][:2] == ["request.received", "referral.created"]
    assert body["referrals"][0]["agency_en"].startswith("Golestan")


def test_a_mistyped_tracking_code_is_not_found(api: httpx.Client) -> None:
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    swapped = code[:3] + code[4] + code[3] + code[5:]
    if swapped != code:
        assert api.get(f"/v1/requests/{swapped}").status_code == 404
    assert api.get("/v1/requests/12345").status_code == 404


def test_the_same_complaint_twice_is_linked_not_referred_twice(api: httpx.Client) -> None:
    first = citizen_request()
    again = citizen_request(
        citizen=first["citizen"], description=first["description"] + " لطفا پیگیری کنید."
    )
    code = api.post("/v1/requests", json=first).json()["tracking_code"]
    second = api.post("/v1/requests", json=again).json()
    assert second["status"] == "duplicate"
    assert second["duplicate_of"] == code
    assert second["referrals"] == []


def test_a_different_problem_from_the_same_citizen_is_not_a_duplicate(api: httpx.Client) -> None:
    first = citizen_request()
    other = citizen_request(
        citizen=first["citizen"],
        subject="نشت فاضلاب در کوچه",
        description="فاضلاب از زیر آسفالت بیرون زده و بوی بد می‌دهد.",
    )
    api.post("/v1/requests", json=first)
    assert api.post("/v1/requests", json=other).json()["status"] == "referred"


def test_a_request_no_agreement_covers_goes_to_triage(api: httpx.Client) -> None:
    response = api.post("/v1/requests", json=citizen_request(category="roads.pothole"))
    assert response.status_code == 201
    assert response.json()["status"] == "triage"
    assert response.json()["triage_reason"] == "no agreement covers it"


def test_operators_list_requests_filtered_by_category_and_agency(api: httpx.Client) -> None:
    for _ in range(3):
        api.post("/v1/requests", json=citizen_request(category="wastewater.blockage"))
    page = api.get("/v1/requests", params={"category": "wastewater.blockage", "limit": 2}).json()
    assert page["total"] >= 3 and len(page["items"]) == 2
    assert all(i["category"] == "wastewater.blockage" for i in page["items"])
    by_agency = api.get("/v1/requests", params={"agency": "golestan-water"}).json()
    assert all(
        any(r["agreement_id"] == "golestan-water" for r in item["referrals"])
        for item in by_agency["items"]
    )
    assert api.get("/v1/requests", params={"state": "nonsense"}).status_code == 422


def test_it_lists_the_agreements_it_works_under(api: httpx.Client) -> None:
    ids = [a["id"] for a in api.get("/v1/agreements").json()["items"]]
    assert "golestan-water" in ids and "golestan-rural-water" in ids


def test_health_and_readiness(api: httpx.Client, broker: str) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
