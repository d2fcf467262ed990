"""Who reaches which kartabl page: every route against every role, a visitor, the other agency,
and staff outside the referral's unit."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.kartabl.conftest import AQQALA, KORDKUY, Filed, csrf_of
from tests.support.cli import samad_hub

ACTIONS = ("accept", "forward", "interim", "result", "remit")


def _routes(reference: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/kartabl"),
        ("GET", f"/kartabl/referrals/{reference}"),
        ("GET", "/kartabl/users"),
        ("POST", "/kartabl/users"),
        *[("POST", f"/kartabl/referrals/{reference}/{action}") for action in ACTIONS],
    ]


@pytest.mark.parametrize(
    ("role", "agreement"),
    [("operator", None), ("agency", "golestan-water"), ("supervisor", None), ("admin", None)],
)
def test_every_kartabl_route_refuses_every_role_that_is_not_the_kartabls(
    role: str,
    agreement: str | None,
    filed: Callable[..., Filed],
    person: Callable[..., str],
    logged_in: Callable[[str], httpx.Client],
) -> None:
    case = filed()
    client = logged_in(person(role, agreement))
    csrf = csrf_of(client.get("/dashboard/replies").text) if role != "agency" else "x"
    for method, path in _routes(case.reference):
        answer = client.request(method, path, data={"csrf_token": csrf, "text": "x"})
        assert answer.status_code == 403, f"{role} {method} {path}: {answer.status_code}"


def test_a_visitor_is_sent_to_the_login_form_and_comes_back_to_the_kartabl(
    filed: Callable[..., Filed], api_server: object, person: Callable[..., str]
) -> None:
    case = filed()
    with httpx.Client(base_url=api_server.url, timeout=10) as visitor:  # type: ignore[attr-defined]
        for method, path in _routes(case.reference):
            answer = visitor.request(method, path, data={"text": "x"})
            assert answer.status_code in (303, 403), f"{method} {path}: {answer.status_code}"
            if method == "GET":
                assert answer.headers["location"].startswith("/dashboard/login?next=/kartabl")
        form = visitor.get("/dashboard/login?next=/kartabl").text
        answer = visitor.post(
            "/dashboard/login",
            data={
                "username": person("agency-lead", AQQALA),
                "password": "a-long-enough-test-password",
                "csrf_token": csrf_of(form),
                "next": "/kartabl",
            },
        )
        assert answer.headers["location"] == "/kartabl"


def test_a_lead_logging_in_lands_in_the_kartabl(
    person: Callable[..., str], api_server: object
) -> None:
    with httpx.Client(base_url=api_server.url, timeout=10) as client:  # type: ignore[attr-defined]
        form = client.get("/dashboard/login").text
        answer = client.post(
            "/dashboard/login",
            data={
                "username": person("agency-lead", AQQALA),
                "password": "a-long-enough-test-password",
                "csrf_token": csrf_of(form),
            },
        )
        assert answer.headers["location"] == "/kartabl"


def test_another_agencys_people_cannot_reach_a_referral_by_any_url(
    filed: Callable[..., Filed],
    person: Callable[..., str],
    logged_in: Callable[[str], httpx.Client],
) -> None:
    case = filed(AQQALA)
    theirs = filed(KORDKUY)
    for role in ("agency-lead", "agency-staff"):
        other = logged_in(person(role, KORDKUY, "roads" if role == "agency-staff" else None))
        inbox = other.get("/kartabl")
        assert inbox.status_code == 200
        assert case.reference not in inbox.text
        csrf = csrf_of(inbox.text)
        for method, path in _routes(case.reference):
            if path.endswith("/users") or path == "/kartabl":
                continue
            answer = other.request(
                method, path, data={"csrf_token": csrf, "text": "x", "unit": "roads"}
            )
            assert answer.status_code == 404, f"{role} {method} {path}: {answer.status_code}"
            assert case.reference not in answer.text or "no referral" in answer.text
    lead = logged_in(person("agency-lead", KORDKUY))
    assert theirs.reference in lead.get("/kartabl").text
    assert case.reference not in lead.get("/kartabl?state=delivered&county=آق‌قلا").text


def test_staff_see_only_what_is_assigned_to_their_unit_or_to_them(
    filed: Callable[..., Filed],
    person: Callable[..., str],
    logged_in: Callable[[str], httpx.Client],
) -> None:
    case = filed()
    roads = logged_in(person("agency-staff", AQQALA, "roads"))
    green = logged_in(person("agency-staff", AQQALA, "green"))
    colleague = person("agency-staff", AQQALA, "services")
    nobody = logged_in(colleague)
    for staff in (roads, green, nobody):
        assert case.reference not in staff.get("/kartabl").text
        assert staff.get(f"/kartabl/referrals/{case.reference}").status_code == 404
    lead = logged_in(person("agency-lead", AQQALA))
    page = lead.get(f"/kartabl/referrals/{case.reference}")
    forwarded = lead.post(
        f"/kartabl/referrals/{case.reference}/forward",
        data={"csrf_token": csrf_of(page.text), "unit": "roads", "text": "بررسی شود"},
    )
    assert forwarded.status_code == 303, forwarded.text
    assert case.reference in roads.get("/kartabl").text
    assert roads.get(f"/kartabl/referrals/{case.reference}").status_code == 200
    assert green.get(f"/kartabl/referrals/{case.reference}").status_code == 404
    assert nobody.get(f"/kartabl/referrals/{case.reference}").status_code == 404
    again = lead.post(
        f"/kartabl/referrals/{case.reference}/forward",
        data={"csrf_token": csrf_of(page.text), "unit": "services", "assignee": colleague},
    )
    assert again.status_code == 303, again.text
    assert nobody.get(f"/kartabl/referrals/{case.reference}").status_code == 200
    assert roads.get(f"/kartabl/referrals/{case.reference}").status_code == 404


def test_a_lead_adds_a_colleague_in_a_unit_who_then_works_the_kartabl(
    person: Callable[..., str], logged_in: Callable[[str], httpx.Client]
) -> None:
    lead = logged_in(person("agency-lead", AQQALA))
    csrf = csrf_of(lead.get("/kartabl/users").text)
    bad = lead.post(
        "/kartabl/users",
        data={"csrf_token": csrf, "username": "Bad Name!", "password": "short", "unit": "x"},
    )
    assert bad.status_code == 422
    for field in ("username", "password", "unit"):
        assert f'data-field="{field}"' in bad.text
    assert 'value="Bad Name!"' in bad.text
    good = lead.post(
        "/kartabl/users",
        data={
            "csrf_token": csrf,
            "username": "aqqala-green-1",
            "password": "a-long-enough-test-password",
            "unit": "green",
        },
    )
    assert good.status_code == 303, good.text
    listed = lead.get(good.headers["location"]).text
    assert "aqqala-green-1" in listed and "فضای سبز" in listed
    again = lead.post(
        "/kartabl/users",
        data={
            "csrf_token": csrf,
            "username": "aqqala-green-1",
            "password": "a-long-enough-test-password",
            "unit": "green",
        },
    )
    assert again.status_code == 422 and "already exists" not in again.text.split("<ul>")[0]
    assert logged_in("aqqala-green-1").get("/kartabl").status_code == 200


def test_staff_neither_forward_nor_see_the_agencys_users(
    filed: Callable[..., Filed],
    person: Callable[..., str],
    logged_in: Callable[[str], httpx.Client],
) -> None:
    staff = logged_in(person("agency-staff", AQQALA, "roads"))
    assert staff.get("/kartabl/users").status_code == 403
    lead = logged_in(person("agency-lead", AQQALA))
    users = lead.get("/kartabl/users")
    assert users.status_code == 200
    assert "agency-staff" not in users.text.split("<tbody>")[0]  # roles shown in words


def test_a_form_without_the_sessions_csrf_token_is_refused(
    filed: Callable[..., Filed],
    person: Callable[..., str],
    logged_in: Callable[[str], httpx.Client],
) -> None:
    case = filed()
    lead = logged_in(person("agency-lead", AQQALA))
    for data in ({}, {"csrf_token": "forged"}):
        answer = lead.post(f"/kartabl/referrals/{case.reference}/accept", data=data)
        assert answer.status_code == 403


def test_the_cli_makes_kartabl_people_only_for_a_portal_agreement_and_a_unit_it_has() -> None:
    env = {"SAMAD_NEW_PASSWORD": "a-long-enough-test-password"}
    made = samad_hub(
        "users",
        "create",
        "aqqala-lead-cli",
        "--role",
        "agency-lead",
        "--agreement",
        AQQALA,
        env=env,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    staff = samad_hub(
        "users",
        "create",
        "aqqala-roads-cli",
        "--role",
        "agency-staff",
        "--agreement",
        AQQALA,
        "--unit",
        "roads",
        env=env,
    )
    assert staff.returncode == 0, staff.stdout + staff.stderr
    for args, why in (
        (("--agreement", "golestan-water"), "not portal"),
        (("--agreement", AQQALA, "--unit", "harbour"), "is not a unit"),
        ((), "needs the agreement"),
    ):
        refused = samad_hub(
            "users", "create", "refused-cli", "--role", "agency-staff", *args, env=env
        )
        assert refused.returncode == 2
        assert why in refused.stdout, refused.stdout
    token = samad_hub("tokens", "create", "lead-token", "--role", "agency-lead")
    assert token.returncode == 2
    assert "role for people" in token.stdout


def test_the_supervising_office_reads_every_kartabl_as_it_is_and_agencies_do_not(
    filed: Callable[..., Filed],
    person: Callable[..., str],
    logged_in: Callable[[str], httpx.Client],
) -> None:
    filed(KORDKUY)
    supervisor = logged_in(person("supervisor"))
    page = supervisor.get("/dashboard/kartabls")
    assert page.status_code == 200
    row = page.text.split(f'data-agreement="{KORDKUY}"')[1].split("</tr>")[0]
    assert "شهرداری کردکوی" in row
    unseen = int(row.split('class="unseen">')[1].split("<")[0].translate(_ASCII))
    assert unseen >= 1
    assert "golestan-water" not in page.text  # only the kartabl agencies
    for role, agreement in (("agency-lead", KORDKUY), ("operator", None)):
        assert logged_in(person(role, agreement)).get("/dashboard/kartabls").status_code == 403


_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
