"""What a kartabl person does becomes events on the referral, with them as the actor, through
the same path as any agency's update; bad input comes back with the field named."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select

from hub.db.models import AgencyUpdate, Event, Referral
from hub.db.session import session_scope
from tests.kartabl.conftest import AQQALA, Filed, csrf_of


def _events(referral_id: int) -> list[Event]:
    with session_scope() as session:
        rows = list(
            session.scalars(
                select(Event).where(Event.referral_id == referral_id).order_by(Event.id)
            )
        )
        session.expunge_all()
        return rows


def _referral(referral_id: int) -> Referral:
    with session_scope() as session:
        found = session.get_one(Referral, referral_id)
        session.expunge(found)
        return found


def _post(client: httpx.Client, reference: str, action: str, **data: str) -> httpx.Response:
    page = client.get(f"/kartabl/referrals/{reference}")
    return client.post(
        f"/kartabl/referrals/{reference}/{action}", data={"csrf_token": csrf_of(page.text), **data}
    )


def test_opening_a_referral_records_it_viewed_by_that_person_once(
    filed: Callable[..., Filed], person: Callable[..., str], logged_in: Callable[..., httpx.Client]
) -> None:
    case = filed()
    lead_name = person("agency-lead", AQQALA)
    lead = logged_in(lead_name)
    inbox = lead.get("/kartabl").text
    assert 'data-level="ok"' in inbox and "جدید" in inbox
    first = lead.get(f"/kartabl/referrals/{case.reference}")
    assert first.status_code == 200
    assert "رؤیت این ارجاع ثبت شد" in first.text
    assert lead.get(f"/kartabl/referrals/{case.reference}").status_code == 200
    moves = [e for e in _events(case.referral_id) if e.kind == "referral.state_changed"]
    viewed = [e for e in moves if e.to_state == "viewed"]
    assert len(viewed) == 1
    assert viewed[0].actor == f"user:{lead_name}"
    referral = _referral(case.referral_id)
    assert referral.state == "viewed" and referral.viewed_at is not None
    assert referral.view_working_seconds is not None
    with session_scope() as session:
        stored = session.scalars(
            select(AgencyUpdate).where(AgencyUpdate.referral_id == case.referral_id)
        ).all()
        assert [(u.agency_status, u.outcome) for u in stored] == [("viewed", "applied")]


def test_accept_interim_and_result_reach_the_citizens_look_up(
    filed: Callable[..., Filed],
    person: Callable[..., str],
    logged_in: Callable[..., httpx.Client],
    api: httpx.Client,
) -> None:
    case = filed()
    lead_name = person("agency-lead", AQQALA)
    lead = logged_in(lead_name)
    assert _post(lead, case.reference, "accept").status_code == 303
    assert _referral(case.referral_id).state == "in_progress"
    assert _post(lead, case.reference, "interim", text="اکیپ برق اعزام شد").status_code == 303
    done = _post(lead, case.reference, "result", text="چراغ‌ها تعمیر و روشن شد.", outcome="done")
    assert done.status_code == 303, done.text
    referral = _referral(case.referral_id)
    assert (referral.state, referral.outcome) == ("resolved", "successful")
    assert referral.result == "چراغ‌ها تعمیر و روشن شد."
    actions = [e for e in _events(case.referral_id) if e.kind == "kartabl.action"]
    assert [e.data["action"] for e in actions] == ["viewed", "accept", "interim", "result"]
    assert {e.actor for e in actions} == {f"user:{lead_name}"}
    assert actions[2].data["note"] == "اکیپ برق اعزام شد"
    looked_up = api.get(f"/v1/requests/{case.tracking_code}").json()
    assert looked_up["referrals"][0]["state"] == "resolved"
    assert looked_up["referrals"][0]["result"] == "چراغ‌ها تعمیر و روشن شد."
    with httpx.Client(base_url=api.base_url, timeout=10) as citizen:
        told = citizen.get(f"/v1/requests/{case.tracking_code}", params={"mobile": case.mobile})
    assert told.status_code == 200, told.text
    assert "چراغ‌ها تعمیر و روشن شد." in told.text  # the citizen reads the kartabl's answer
    page = lead.get(f"/kartabl/referrals/{case.reference}").text
    assert "دیگر در جریان رسیدگی این دستگاه نیست" in page
    late = _post(lead, case.reference, "interim", text="دوباره")
    assert late.status_code == 422


def test_not_our_remit_returns_the_referral_to_the_centre_with_the_reason(
    filed: Callable[..., Filed], person: Callable[..., str], logged_in: Callable[..., httpx.Client]
) -> None:
    case = filed()
    lead = logged_in(person("agency-lead", AQQALA))
    answer = _post(lead, case.reference, "remit", text="روشنایی معابر با شرکت برق است")
    assert answer.status_code == 303
    page = lead.get(answer.headers["location"]).text  # the lead still reads what it was
    assert "دیگر در جریان رسیدگی این دستگاه نیست" in page and "ارجاع مجدد" in page
    referral = _referral(case.referral_id)
    assert referral.state == "rerouted"
    states = [e.to_state for e in _events(case.referral_id) if e.kind == "referral.state_changed"]
    assert states[-2:] == ["returned", "rerouted"]
    [remit] = [e for e in _events(case.referral_id) if e.data.get("action") == "remit"]
    assert remit.data["note"] == "روشنایی معابر با شرکت برق است"


def test_a_bad_form_comes_back_naming_the_field_and_keeping_what_was_typed(
    filed: Callable[..., Filed], person: Callable[..., str], logged_in: Callable[..., httpx.Client]
) -> None:
    case = filed()
    lead = logged_in(person("agency-lead", AQQALA))
    no_outcome = _post(lead, case.reference, "result", text="متن نیمه‌کاره")
    assert no_outcome.status_code == 422
    assert 'data-field="outcome"' in no_outcome.text
    assert "متن نیمه‌کاره</textarea>" in no_outcome.text
    no_text = _post(lead, case.reference, "remit")
    assert no_text.status_code == 422 and 'data-field="text"' in no_text.text
    no_unit = _post(lead, case.reference, "forward", unit="harbour", assignee="nobody-here")
    assert no_unit.status_code == 422
    assert 'data-field="unit"' in no_unit.text and 'data-field="assignee"' in no_unit.text
    assert 'value="nobody-here"' in no_unit.text
    assert _post(lead, case.reference, "explode").status_code == 422
    assert lead.get("/kartabl?state=" + "x" * 500).status_code == 422
    assert lead.get("/kartabl?state=nonsense").status_code == 200
    assert _referral(case.referral_id).state == "viewed"  # nothing of the bad forms applied
    staff = logged_in(person("agency-staff", AQQALA, "roads"))
    _post(lead, case.reference, "forward", unit="roads")
    refused = _post(staff, case.reference, "forward", unit="green")
    assert refused.status_code == 422 and 'data-field="unit"' in refused.text
