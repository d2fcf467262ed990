"""An agency's own "no" inside a successful answer: ``settings.error``.

Some systems never send a SOAP fault for what they refuse: Znuny answers HTTP 200 with
``<Error><ErrorCode>TicketCreate.AuthFail</ErrorCode><ErrorMessage>…</ErrorMessage></Error>``
where the data would be. With ``error: {code: Error.ErrorCode, message: Error.ErrorMessage}``
(JMESPath over the answer) such an answer is treated as a SOAP fault would be — a clear answer,
never an ambiguous one: the agency did not act — and the agency's own code and message are kept:

- a code matching ``auth_codes`` (glob patterns, e.g. ``"*.AuthFail"``) means our credentials or
  session were refused: permanent (with a session, the connector first logs in once more);
- a code matching ``transient_codes`` is retried like a Server fault;
- any other code is a refusal, permanent like a Client fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from connectors.soap import answers
from hub.core.errors import ConnectorError


class AgencyRefusal(ConnectorError):
    """The agency answered with an error of its own (``code``, ``agency_message``)."""

    def __init__(
        self, message: str, *, permanent: bool, auth: bool, detail: dict[str, Any]
    ) -> None:
        super().__init__(message, permanent=permanent, detail=detail)
        self.auth = auth


def _matches(code: str, patterns: Any) -> bool:
    return any(fnmatchcase(code, str(pattern)) for pattern in patterns or ())


def refusal(settings: Mapping[str, Any], operation: str, answer: Any) -> AgencyRefusal | None:
    """The error the agency's answer to ``operation`` carries, or None when it carries none."""
    error = settings.get("error")
    if not error:
        return None
    data = answers.plain(answer)
    if not isinstance(data, Mapping | list):
        return None
    code = answers.read(error["code"], data)
    said = answers.read(error["message"], data) if "message" in error else None
    if code in (None, "") and said in (None, ""):
        return None
    code, said = str(code or ""), str(said or "")
    detail = {"operation": operation, "error_code": code, "error_message": said}
    words = ": ".join(part for part in (code, said) if part)
    if _matches(code, error.get("auth_codes")):
        return AgencyRefusal(
            f"the agency refused our credentials on {operation}: {words}",
            permanent=True,
            auth=True,
            detail={**detail, "auth": True},
        )
    if _matches(code, error.get("transient_codes")):
        return AgencyRefusal(
            f"the agency's system failed on {operation}: {words}",
            permanent=False,
            auth=False,
            detail=detail,
        )
    return AgencyRefusal(
        f"the agency refused {operation}: {words}", permanent=True, auth=False, detail=detail
    )
