"""The hub's exception tree.

Foreign exceptions (zeep, httpx, smtplib, imaplib, SQLAlchemy, jsonschema …) are translated at the
edge where they enter, with ``raise Mapped(...) from exc``; inside, code only sees these::

    HubError
    ├── ValidationFailed        bad input: a list of FieldError (JSON path + problem, en + fa)
    ├── NormalizationError      (also a ValueError) a mobile, national id … that cannot be read
    ├── AgreementError          an agreement file is invalid: a list of AgreementProblem
    ├── PluginError             a plugin could not be loaded, or registered a duplicate kind
    ├── IllegalTransition       a referral state change the lifecycle does not allow
    ├── NotFound                a request, referral or agreement that does not exist
    ├── Refused                 not in this state: e.g. resending an unconfirmed referral
    ├── ConnectorError          an agency system failed; ``permanent`` decides retry vs dead letter
    │   ├── ConnectorTimeout        transient: the agency did not answer in time
    │   ├── ConnectorUnconfirmed    ambiguous: sent, but the answer says nothing sure (a timeout
    │   │                           after sending, an unreadable 2xx): the agency may have it
    │   ├── ConnectorRefused        permanent: the agency refused the referral (4xx, client fault)
    │   └── ResponseTooLarge        permanent: an answer over the agreement's size limit (SOAP)
    ├── NotifierError           an SMS gateway or mail relay failed; ``permanent`` as above
    ├── CalendarFileError       a business-calendar file is invalid (hub.calendars)
    ├── JalaliDateError         (also a ValueError) a Jalali date or period that cannot be read
    ├── AccessProblem           a token or user cannot be created or changed as asked (hub.auth)
    ├── AccessDenied            a caller may not do this: HTTP status, English and Persian text
    └── FeedbackRefused         a citizen's rating or reopen that the rules refuse (hub.intake)

The core decides whether to retry a failed delivery from ``ConnectorError.permanent``, and from
``ambiguous`` whether a retry is safe: where the agreement says the agency cannot de-duplicate
(``delivery.idempotency: none``), an ambiguous answer leaves the referral ``unconfirmed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of an input document."""

    path: str  # JSON path such as "$.citizen.mobile"
    message: str  # English
    message_fa: str  # Persian

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "message_fa": self.message_fa}


class ValidationFailed(HubError):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))


@dataclass(frozen=True)
class AgreementProblem:
    """One problem in one agreement file, at one key path."""

    file: str
    key_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key_path}: {self.message}"


class AgreementError(HubError):
    def __init__(self, problems: list[AgreementProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class PluginError(HubError):
    """A plugin failed to load or registered something twice."""


class IllegalTransition(HubError):
    def __init__(self, referral_id: int, from_state: str, to_state: str) -> None:
        self.referral_id = referral_id
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"referral {referral_id}: {from_state} → {to_state} is not allowed")


class NotFound(HubError):
    """Something that was asked for does not exist."""


class Refused(HubError):
    """What was asked cannot be done in the state things are in (HTTP 409); ``message_fa`` for
    Persian readers."""

    def __init__(self, message: str, message_fa: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_fa = message_fa


class NormalizationError(HubError, ValueError):
    """A value that cannot be normalised; ``message_fa`` is shown to Persian readers."""

    def __init__(self, message: str, message_fa: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_fa = message_fa


class ConnectorError(HubError):
    """An agency system failed. ``permanent`` errors are never retried."""

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        detail: dict[str, Any] | None = None,
        *,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.detail = detail if detail is not None else {}  # e.g. the raw answer, for the admin
        # The agency may have acted on the request (a timeout after it was sent, an answer that
        # could not be read): a re-push may open a second case where the agency cannot dedupe.
        self.ambiguous = ambiguous

    def __str__(self) -> str:
        kind = "permanent" if self.permanent else "transient"
        return f"{self.message} ({kind})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, permanent={self.permanent}, "
            f"ambiguous={self.ambiguous})"
        )


class ConnectorTimeout(ConnectorError):
    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message, permanent=False, detail=detail or {})


class ConnectorUnconfirmed(ConnectorError):
    """The request reached the agency, but whether it acted is unknown: never "failed"."""

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message, permanent=False, detail=detail or {}, ambiguous=True)


class ConnectorRefused(ConnectorError):
    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message, permanent=True, detail=detail or {})


class NotifierError(HubError):
    """A notifier (SMS gateway, SMTP relay) failed; ``permanent`` failures are never retried."""

    def __init__(self, message: str, permanent: bool = False, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code  # the gateway's own error code, kept with the notification
