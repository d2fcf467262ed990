"""An agency description → the YAML skeleton of its agreement, with comments saying what to fill.

Every value a person must supply is ``TODO`` (or starts with it), and the ones the schema can
refuse — ``id``, ``routes``, the hub states of ``status_map``, the contacts' e-mails — are
written so that it does: an unfilled draft never passes ``samad-hub agreements validate``.
``delivery.idempotency`` is always ``none`` here, whatever the description suggests: only the
agency can say whether it de-duplicates, and ``none`` is the one safe answer until it has.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from hub.agreements.drafts.commented import Block, dump
from hub.agreements.drafts.description import AgencyDescription
from hub.agreements.drafts.fields import MAPPING_HEAD, NO_FIELDS, mapping_block, shared_citizen
from hub.agreements.drafts.guesses import secret_env, suggested_id
from hub.agreements.loader import SCHEMA_PATH
from hub.core.states import ReferralState

TODO = "TODO"
_STATE_MEANINGS = {
    "delivered": "in the agency's system",
    "viewed": "seen by a clerk",
    "in_progress": "work started",
    "forwarded": "passed on inside the agency",
    "resolved": "done: the result goes to the citizen",
    "returned": "not theirs: the hub routes it elsewhere",
}
_KINDS = {"soap": "WSDL", "rest": "OpenAPI description"}


@functools.cache
def _agreement_schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def hub_states() -> tuple[str, ...]:
    """The states a status_map may name, from the agreement schema itself."""
    return tuple(_agreement_schema()["$defs"]["hub_state"]["enum"])


def id_for(path: Path) -> str | None:
    """The agreement id a file of this name must have, when its name can be one."""
    pattern = _agreement_schema()["properties"]["id"]["pattern"]
    return path.stem if re.fullmatch(pattern, path.stem) else None


def render(description: AgencyDescription, agreement_id: str | None = None) -> str:
    """The draft's text; ``agreement_id`` (e.g. from the output file's name) fills ``id``."""
    doc = Block()
    doc.comment(*_header(description, agreement_id))
    _identity(doc, description, agreement_id)
    doc.add("routes", [_route()], above=("",))
    connector = doc.sub("connector", above=("",))
    connector.add("type", description.connector_type)
    connector.add("settings", description.settings)
    mapping = mapping_block(description.fields)
    no_fields = () if description.fields else NO_FIELDS
    doc.add("mapping", mapping, above=("", *MAPPING_HEAD, *no_fields))
    doc.add("status_map", _status_map(description), above=("", *_status_comment(description)))
    doc.add("polling", Block().add("interval_seconds", 300).add("batch_size", 50), above=("",))
    doc.add("delivery", _delivery(description), above=("",))
    doc.add("share_citizen", shared_citizen(mapping), _share_note(mapping), above=("",))
    doc.add("deadlines", _deadlines(), above=("", *_DEADLINES_COMMENT))
    doc.add("escalation", _escalation(), flow=True, above=("", *_ESCALATION_COMMENT))
    doc.comment("", *_optional_tail(description))
    return dump(doc)


def _header(description: AgencyDescription, agreement_id: str | None) -> list[str]:
    kind = _KINDS.get(description.connector_type, "description")
    file = f"config/agreements/{agreement_id or '<id>'}.yaml"
    lines = [
        f"Draft agreement, written by `samad-hub agreements draft` from the agency's {kind}",
        f"  {description.source} — push operation {description.operation}.",
        "Fill every TODO (search for it), then check the file and ask the agency's system:",
        f"  samad-hub agreements validate {file}",
        f"  samad-hub agreements check {agreement_id or '<id>'}",
        "پیش‌نویس تفاهم‌نامه: هر جا TODO آمده مقدار درست را بنویسید، سپس با دو فرمان بالا",
        "درستی فایل و پذیرش آن را در سامانه دستگاه بیازمایید.",
    ]
    if description.summary:
        lines.append(f"The service describes itself: «{description.summary}»")
    if description.notes:
        lines += ["Not drafted — to do by hand:", *(f"  - {note}" for note in description.notes)]
    return lines


def _identity(doc: Block, description: AgencyDescription, agreement_id: str | None) -> None:
    example = suggested_id(description.service)
    doc.add(
        "id",
        agreement_id or TODO,
        f"lower-case letters, digits, dashes; the file's name, e.g. {example} — شناسه، هم‌نام فایل",
    )
    doc.add("enabled", False, "true once `agreements check` passes — پس از آزمون true کنید")
    doc.comment('signed_on: "1404-01-01"  # the Jalali date it was signed — تاریخ امضا')
    agency = doc.sub("agency", above=("",))
    agency.add("name_fa", TODO, "نام دستگاه به فارسی")
    agency.add("name_en", TODO, f"the agency's name in English (its system: {description.service})")
    agency.comment("code: TODO  # the agency's own code, if it has one — کد دستگاه")
    contact = Block().add("name", TODO, "who receives referrals — گیرنده ارجاع‌ها")
    contact.add("role", TODO).add("email", TODO, "reminders go here — یادآوری‌ها به این نشانی")
    agency.add("contacts", [contact])
    supervisor = agency.sub("supervisor", "told when a deadline is missed — ناظر دستگاه")
    supervisor.add("name", TODO).add("role", TODO).add("email", TODO)
    doc.add("priority", 0, above=("",))


def _route() -> Block:
    return (
        Block()
        .add(
            "categories",
            [TODO],
            'category keys this agency handles, e.g. ["water.*"] — دسته‌های درخواست',
        )
        .comment(
            "counties: [گرگان]  # only requests from these counties; absent: the whole province"
        )
    )


def _status_comment(description: AgencyDescription) -> list[str]:
    meanings = [f"{state} ({_STATE_MEANINGS.get(state, '')})" for state in hub_states()]
    labels = "، ".join(ReferralState(state).label_fa for state in hub_states())
    lines = [
        "The agency's own status values → hub states; replace each TODO with one of:",
        *_wrapped(", ".join(meanings), "  "),
        f"وضعیت‌های دستگاه ← وضعیت‌های سامانه: {labels}",
    ]
    if description.statuses_from:
        lines += _wrapped(f"Read from: {description.statuses_from}", "")
    return lines


def _wrapped(text: str, indent: str, width: int = 92) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + len(word) + 1 > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, indent + line]


def _status_map(description: AgencyDescription) -> Block:
    block = Block()
    for status in description.statuses:
        block.add(status.code, TODO, status.label)
    if not description.statuses:
        block.add(
            TODO,
            TODO,
            "the description lists no status values: ask the agency for its codes — "
            "کدهای وضعیت را از دستگاه بپرسید",
        )
    return block


def _delivery(description: AgencyDescription) -> Block:
    block = Block().comment(
        "How the agency keeps a referral pushed twice as one case (docs/agreements.md, «When the",
        "agency's answer is unclear»):",
        "  header — it honours the idempotency key sent in a header (REST Idempotency-Key);",
        "  field  — the key travels in an input field it keeps unique (SOAP RequestKey …);",
        "  lookup — it cannot, but a case can be found by our reference;",
        "  none   — it cannot, or you have not seen it de-duplicate: an unclear answer leaves the",
        "           referral unconfirmed for a person to settle. Keep none until the agency shows",
        "           you otherwise. تا دستگاه نشان نداده ارسال تکراری را یکی می‌کند، none بماند.",
    )
    if description.idempotency:
        block.comment(*_wrapped(f"This description: {description.idempotency}", ""))
    block.add("idempotency", "none")
    block.add("max_attempts", 8).add("backoff_seconds", 30).add("backoff_max_seconds", 3600)
    return block


def _share_note(mapping: Block) -> str:
    note = "the citizen fields the mapping reads"
    if "national_id" in shared_citizen(mapping):
        note += "; national_id only where the agreement allows it — کد ملی فقط با مجوز"
    return note


_DEADLINES_COMMENT = (
    "Working time on the business calendar; a default to set to what the agreement says —",
    "مهلت‌ها طبق تفاهم‌نامه: رؤیت، اقدام، نتیجه.",
)
_ESCALATION_COMMENT = ("The escalation ladder; a default — نردبان پیگیری (پیش‌فرض).",)


def _deadlines() -> Block:
    block = Block().add("calendar", "iran")
    for name, value in (("view", ("working_hours", 4)), ("act", ("working_days", 2))):
        block.add(name, Block().add(*value), flow=True)
    block.add("result", Block().add("working_days", 7), flow=True)
    complaint = Block().add("view", Block().add("working_hours", 2), flow=True)
    complaint.add("result", Block().add("working_days", 5), flow=True)
    block.add("by_type", Block().add("complaint", complaint, flow=True))
    return block


def _escalation() -> list[Block]:
    def rung(deadline: str, percent: int, action: str) -> Block:
        return Block().add("deadline", deadline).add("at_percent", percent).add("action", action)

    violation = rung("result", 100, "record_violation")
    violation.add("repeat_every", Block().add("working_days", 1), flow=True)
    return [
        rung("view", 75, "remind_agency"),
        rung("view", 100, "notify_supervisor"),
        rung("result", 80, "remind_agency"),
        violation,
    ]


def _optional_tail(description: AgencyDescription) -> list[str]:
    secret = secret_env(description.service, "WEBHOOK_SECRET")
    return [
        "Optional — uncomment what the agreement provides:",
        "notifications:",
        "  citizen: {on_intake: [sms], on_result: [sms]}",
        "  inspection_office: {name: TODO, email: TODO}",
        "webhook:  # only if the agency pushes its updates to POST /v1/agencies/<id>/updates",
        f"  secret: ${{env:{secret}}}",
    ]
