"""Reading what an agency's API says about its cases into ``AgencyUpdate``s.

The poll settings name, by JMESPath, where each field sits in one case's JSON; the agency's status
is passed on untouched (the agreement's ``status_map`` is the core's business). When the agency
gives no id for a change, the id is derived from what identifies it — case, status and time — so
the same change read twice is applied once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jmespath
from jmespath.parser import ParsedResult

from connectors.rest.settings import PollSettings
from hub.plugins.connector import AgencyUpdate


class MissingField(LookupError):
    """A case's JSON lacks a field the settings require; the caller names the call."""


@dataclass(frozen=True)
class Expressions:
    """The poll settings' JMESPath expressions, compiled once."""

    external_id: ParsedResult
    status: ParsedResult
    result: ParsedResult | None
    updated_at: ParsedResult | None
    update_id: ParsedResult | None
    items: ParsedResult

    @classmethod
    def compile(cls, poll: PollSettings) -> Expressions:
        def optional(expression: str | None) -> ParsedResult | None:
            return jmespath.compile(expression) if expression else None

        return cls(
            external_id=jmespath.compile(poll.external_id),
            status=jmespath.compile(poll.status),
            result=optional(poll.result),
            updated_at=optional(poll.updated_at),
            update_id=optional(poll.update_id),
            items=jmespath.compile(poll.items),
        )


def read_update(case: Any, expressions: Expressions) -> AgencyUpdate:
    """One case's JSON → an update; raises ``MissingField`` naming what is not there."""
    external_id = _text(expressions.external_id, case)
    status = _text(expressions.status, case)
    if external_id is None:
        raise MissingField(f"the case id ({expressions.external_id.expression})")
    if status is None:
        raise MissingField(f"the status of case {external_id} ({expressions.status.expression})")
    updated_at = _text(expressions.updated_at, case)
    given_id = _text(expressions.update_id, case)
    return AgencyUpdate(
        update_id=given_id or stable_update_id(external_id, status, updated_at),
        external_id=external_id,
        status=status,
        result=_text(expressions.result, case),
        occurred_at=agency_moment(updated_at),
        raw=case if isinstance(case, Mapping) else {"case": case},
    )


def stable_update_id(external_id: str, status: str, updated_at: str | None) -> str:
    return "|".join(part for part in (external_id, status, updated_at) if part)


def _text(expression: ParsedResult | None, case: Any) -> str | None:
    if expression is None:
        return None
    value = expression.search(case)
    if value is None or value == "":
        return None
    return str(value)


def agency_moment(text: str | None) -> datetime | None:
    """An agency's ISO 8601 time (``Z`` or an offset; naive is UTC); None if unreadable."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None  # an odd timestamp must not cost us the status that came with it
    # Naive times are taken as UTC, as the settings schema documents.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
