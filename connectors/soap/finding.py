"""Asking the agency which cases it holds for a referral: ``settings.find``.

For ``delivery.idempotency: lookup``: after a push whose answer was unclear, the hub asks before
it pushes again. ``find.operation`` (Znuny: TicketSearch) is called with ``find.arguments`` and,
at each input path of ``find.by``, one of our values — ``reference``, ``idempotency_key`` or
``tracking_code``::

    find:
      operation: TicketSearch
      by: {"DynamicField[Name=SamadReference].Equals": reference}
      ids: TicketID

``ids`` is JMESPath to the case ids in the answer (one or a list); none means the agency holds
nothing for the referral. Nothing is created.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.soap import answers, inputs
from hub.plugins.connector import OutgoingReferral

Call = Callable[[str, Mapping[str, Any], dict[str, str]], Any]


def search_input(find: Mapping[str, Any], referral: OutgoingReferral) -> dict[str, Any]:
    values = {
        "reference": referral.reference,
        "idempotency_key": referral.idempotency_key,
        "tracking_code": referral.tracking_code,
    }
    payload: dict[str, Any] = dict(find.get("arguments", {}))
    for path, source in find["by"].items():
        payload = answers.with_value(payload, path, values[source])
    return inputs.expanded(payload)


def case_ids(settings: Mapping[str, Any], referral: OutgoingReferral, call: Call) -> list[str]:
    """The agency's ids of the cases it holds for ``referral``, as it lists them."""
    find = settings["find"]
    answer = call(find["operation"], search_input(find, referral), {})
    expression = find["ids"]
    found = answers.read(expression, answers.addressed(expression, answers.plain(answer)))
    if found in (None, ""):
        return []
    return [str(case) for case in answers.as_list(found) if case not in (None, "")]
