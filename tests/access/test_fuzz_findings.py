"""What schemathesis found, kept as sentences: each was a 500 (or an unreadable refusal) once."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.requests import citizen_request

HUGE = "68732176744569241600"  # more than PostgreSQL's BIGINT holds


def test_a_referral_id_too_large_for_the_database_is_a_422_naming_it(
    api_as: Callable[..., httpx.Client],
) -> None:
    admin = api_as("admin")
    for answer in (
        admin.get(f"/v1/admin/failed/{HUGE}"),
        admin.post(f"/v1/admin/referrals/{HUGE}/resend"),
        admin.get("/v1/admin/failed/-125294561201473183342475914852171776"),
    ):
        assert answer.status_code == 422, answer.text
        assert [e["path"] for e in answer.json()["errors"]] == ["$.referral_id"]


def test_an_offset_too_large_for_the_database_is_a_422_naming_it(
    api_as: Callable[..., httpx.Client],
) -> None:
    supervisor = api_as("supervisor")
    for path in ("/v1/requests", "/v1/agencies/golestan-water/referrals"):
        answer = supervisor.get(path, params={"offset": "463196764762556740927488"})
        assert answer.status_code == 422, answer.text
        assert [e["path"] for e in answer.json()["errors"]] == ["$.offset"]
    assert supervisor.get("/v1/requests", params={"offset": 2**62}).json()["items"] == []


def test_a_nul_character_in_a_filter_or_a_path_is_refused_before_the_database(
    api: httpx.Client,
) -> None:
    for answer in (
        api.get("/v1/requests", params={"category": "water\x00outage"}),
        api.get("/v1/requests/1234567890%00"),
    ):
        assert answer.status_code == 400, answer.text
        assert "NUL" in answer.json()["detail"] and answer.json()["detail_fa"]


def test_a_nul_character_in_a_json_body_is_refused_and_nothing_is_stored(
    api: httpx.Client, api_as: Callable[..., httpx.Client]
) -> None:
    before = api.get("/v1/requests").json()["total"]
    answer = api.post("/v1/requests", json=citizen_request(subject="قطعی آب\x00 در خیابان"))
    assert answer.status_code == 400, answer.text
    assert "body" in answer.json()["detail"]
    update = api_as("agency", "golestan-water").post(
        "/v1/agencies/golestan-water/referrals/R-1/updates",
        json={"update_id": "nul-1", "status": "SEEN", "note": "\x00"},
    )
    assert update.status_code == 400
    assert api.get("/v1/requests").json()["total"] == before


def test_a_nul_escape_that_is_itself_escaped_is_only_text(api: httpx.Client) -> None:
    answer = api.post(
        "/v1/requests",
        json=citizen_request(description="مسیر فایل C:\\u0000\\logs در گزارش آمده است"),
    )
    assert answer.status_code == 201, answer.text


def test_a_feedback_refusal_reads_as_a_sentence_not_as_json_in_a_string(
    api: httpx.Client,
) -> None:
    filed = api.post("/v1/requests", json=citizen_request()).json()
    answer = api.post(
        f"/v1/requests/{filed['tracking_code']}/feedback",
        json={"mobile": "09121234567", "rating": 5},
    )
    assert answer.status_code == 409
    body = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert {k: body[k] for k in ("type", "status", "detail", "detail_fa")} == {
        "type": "urn:samad-hub:problem:conflict",
        "status": 409,
        "detail": "there is no result to judge yet",
        "detail_fa": "هنوز پاسخی ثبت نشده است.",
    }


def test_a_county_or_category_longer_than_its_column_is_a_422_naming_it(
    api: httpx.Client,
) -> None:
    long_county = citizen_request(location={"county": "گ" * 65})
    long_category = citizen_request(category="water." + "o" * 60)
    for document, path in ((long_county, "$.location.county"), (long_category, "$.category")):
        answer = api.post("/v1/requests", json=document)
        assert answer.status_code == 422, answer.text
        assert [e["path"] for e in answer.json()["errors"]] == [path]
    longest = citizen_request(location={"county": "گ" * 64})
    assert api.post("/v1/requests", json=longest).status_code == 201
