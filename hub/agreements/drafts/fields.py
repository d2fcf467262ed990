"""The draft's ``mapping:``: every input field of the push operation, with a guessed source or a
``TODO`` that a person fills, and the citizen fields that mapping needs to be shared.

Required fields with no guess get a placeholder (``"TODO: string"``) that is not a valid
expression, so ``samad-hub agreements validate`` refuses the file until someone fills it.
Optional fields with no guess, fields of an ``xsd:choice``/``oneOf`` branch not taken, and fields
a connector setting already fills are comment lines.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence

from hub.agreements.drafts.commented import Block, Entry
from hub.agreements.drafts.description import InputField
from hub.agreements.drafts.guesses import guess_input
from hub.agreements.mapping import CITIZEN_FIELDS
from hub.core.shipped import SCHEMAS_DIR

REQUEST_SCHEMA = SCHEMAS_DIR / "request.schema.json"

DEFAULT_SHARED = ("first_name", "last_name", "mobile")
FILL_REQUIRED = "required: a request field (JMESPath) or {const: …} — لازم: منبع این فیلد؟"
_CITIZEN = re.compile(r"citizen\.([a-z_]+)")

MAPPING_HEAD = (
    "The agency's field (dots nest into complex types) ← where its value comes from in the shared",
    "request (schemas/request.schema.json), as a JMESPath expression: subject, citizen.mobile,",
    "location.county, referral.reference …; or {const: value}; or {expr: type, values: {…}}.",
    "Guesses are from the field names: check each. فیلد دستگاه ← مقدار آن از درخواست؛ حدس‌ها را",
    "بررسی کنید و هر TODO را پر کنید.",
)


def choice_lines(kind: str, where: str, branches: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """The comment above the first branch of an xsd:choice / oneOf: every branch, the first
    taken (its fields mapped, the others' commented out below)."""
    listed = [
        f"  ({number}) {' + '.join(branch)}" + (" — taken here" if number == 1 else "")
        for number, branch in enumerate(branches, 1)
    ]
    return (
        f"{kind} in {where}: send one of",
        *listed,
        "For another, put its fields (commented out below) here instead — فقط یکی از این شاخه‌ها",
    )


def _choices_note(field: InputField) -> str:
    if not field.choices:
        return ""
    shown = ", ".join(field.choices[:8]) + (" …" if len(field.choices) > 8 else "")
    return f"; it accepts only {shown}: translate with {{expr: …, values: {{…}}}}"


@functools.cache
def request_types() -> tuple[str, ...]:
    """The request types of the shared schema: what ``type`` holds."""
    schema = json.loads(REQUEST_SCHEMA.read_text(encoding="utf-8"))
    return tuple(schema["properties"]["type"]["enum"])


def _translation(field: InputField) -> Block | None:
    """``{expr: type, values: {complaint: TODO, …}}`` where the agency has its own type codes."""
    if not field.choices or set(request_types()) <= set(field.choices):
        return None
    values = Block()
    for request_type in request_types():
        values.add(request_type, "TODO")
    return Block().add("expr", "type").add("values", values).add("default", "TODO")


def _add(block: Block, field: InputField) -> None:
    guess = guess_input(field.path)
    kind = "required" if field.required else "optional"
    if field.carried_by:
        meaning = guess.meaning if guess else "a value the connector sends"
        block.comment(*field.above, f"{field.path}: {meaning}, sent by {field.carried_by}")
    elif field.alternative:
        source = guess.source if guess else f"TODO  ({field.type_name})"
        block.comment(*field.above, f"{field.path}: {source}")
    elif guess and guess.source == "type" and (translation := _translation(field)):
        note = f"{kind}; the request type, in the agency's codes: {', '.join(field.choices)}"
        block.add(field.path, translation, note, field.above)
    elif guess:
        note = f"{kind}; guess: {guess.meaning}{_choices_note(field)}"
        block.add(field.path, guess.source, note, field.above)
    elif field.required:
        note = f"{FILL_REQUIRED}{_choices_note(field)}"
        block.add(field.path, f"TODO: {field.type_name}", note, field.above)
    else:
        block.comment(
            *field.above,
            f"{field.path}: TODO  (optional {field.type_name}, no guess: fill it or leave it out)",
        )


NO_FIELDS = (
    "The description shows no input fields: write the agency's field names here by hand, e.g.",
    "  title: subject — فیلدهای دستگاه را دستی بنویسید.",
)


def mapping_block(fields: Sequence[InputField]) -> Block:
    """One entry (or comment) per field, in the description's order."""
    block = Block()
    for field in fields:
        _add(block, field)
    return block


def shared_citizen(mapping: Block) -> list[str]:
    """The citizen fields the mapping's sources read, in the schema's order (the default when
    it reads none)."""
    used = {
        name
        for item in mapping.items
        if isinstance(item, Entry) and isinstance(item.value, str)
        for name in _CITIZEN.findall(item.value)
    }
    return [name for name in CITIZEN_FIELDS if name in used] or list(DEFAULT_SHARED)
