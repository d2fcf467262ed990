"""A dry run: one sample referral pushed to the agency's test system, and polled once.

``samad-hub agreements check`` runs it where the agreement names a test system
(``connector.test_settings``). The sample is a made-up request, marked in Persian as a test
to be left alone, put through the agreement's own mapping exactly as a real referral is
(``hub.referrals.outgoing``), so the test system sees what production would. Nothing is stored:
the referral lives only in memory, under a reference of its own (``R-CHECK-…``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hub.agreements.model import Agreement
from hub.core.errors import ConnectorError
from hub.db.models import Referral, Request
from hub.plugins.connector import Connector, Health, OutgoingReferral
from hub.referrals.outgoing import outgoing

SAMPLE_COUNTY = "گرگان"
SAMPLE_SUBJECT = "آزمون اتصال سامانه ۱۱۱ — اقدامی لازم نیست"
SAMPLE_DESCRIPTION = (
    "این ارجاع آزمایشی را samad-hub agreements check به سامانه آزمایشی دستگاه فرستاده است تا "
    "اتصال و نگاشت فیلدها سنجیده شود؛ لطفاً به آن رسیدگی نکنید."
)


def sample_referral(agreement: Agreement, now: datetime | None = None) -> OutgoingReferral:
    """A made-up referral under ``agreement``, mapped as a real one would be."""
    now = now or datetime.now(UTC)
    run = uuid.uuid4().hex[:8]
    route = agreement.routes[0]
    county = route.counties[0] if route.counties else SAMPLE_COUNTY
    request = Request(
        tracking_code=f"9{uuid.uuid4().int % 10**10:010d}",
        document={
            "channel": "phone_111",
            "type": "request",
            "category": _category(route.categories[0]),
            "subject": SAMPLE_SUBJECT,
            "description": SAMPLE_DESCRIPTION,
            "citizen": {
                "national_id": "0012345679",  # checksum-correct, belonging to nobody
                "first_name": "شهروند",
                "last_name": "آزمایشی",
                "mobile": "09120000000",
                "email": "check@samad-hub.invalid",
            },
            "location": {"county": county, "city": county, "address": "نشانی آزمایشی"},
        },
    )
    referral = Referral(
        id=0,
        reference=f"R-CHECK-{run}",
        idempotency_key=f"{agreement.id}:check:{run}",
        attempts=1,
        view_due_at=now + timedelta(days=1),
        act_due_at=now + timedelta(days=3),
        result_due_at=now + timedelta(days=7),
    )
    return outgoing(referral, request, agreement)


def dry_run(agreement: Agreement, connector: Connector) -> Health:
    """Push the sample to the test system behind ``connector``, then poll it once."""
    referral = sample_referral(agreement)
    try:
        receipt = connector.push(referral)
    except ConnectorError as exc:
        problem = (
            f"The agency's test system did not take the sample referral {referral.reference}: "
            f"{exc.message} — check the mapping and connector.test_settings."
        )
        return Health(False, f"dry run: the push of {referral.reference} failed", (problem,))
    took = f"dry run: the test system took {referral.reference} as case {receipt.external_id}"
    try:
        updates = connector.poll([receipt])
    except ConnectorError as exc:
        problem = (
            f"The agency's test system took the sample referral as case {receipt.external_id}, "
            f"but polling it failed: {exc.message} — check connector.settings.poll."
        )
        return Health(False, took, (problem,))
    statuses = [update.status for update in updates if update.status is not None]
    if not statuses:
        return Health(True, f"{took}; polled once, it reports nothing yet")
    unmapped = sorted({status for status in statuses if agreement.map_status(status) is None})
    problems = tuple(
        f"The agency's test system reports the sample case in status {status!r}, which "
        "status_map does not name — add it to status_map."
        for status in unmapped
    )
    return Health(not problems, f"{took}; polled once, it is in status {statuses[-1]}", problems)


def _category(routed: str) -> str:
    """A category the route takes: itself, or one inside a branch (``water.*`` → ``water.test``)."""
    if routed == "*":
        return "general.test"
    return routed.removesuffix(".*") + ".test" if routed.endswith(".*") else routed
