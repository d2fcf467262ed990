"""Credentials in the body of every call: ``body_auth``, or a session logged into once.

- ``body_auth: {UserLogin: ${env:…}, Password: ${env:…}}`` — these input fields are added to
  every call (secrets, resolved like every ``${env:NAME}`` of the settings);
- ``session: {operation: SessionCreate, id: SessionID, field: SessionID, lifetime_seconds: N}``
  — log in once with ``session.arguments`` (default: ``body_auth``), read the session id from the
  answer at ``id`` and send it in ``field`` instead of the credentials; log in again when
  ``lifetime_seconds`` have passed, or when the agency refuses the session (an ``auth_codes``
  error, ``refusals.py``) — then the call is made once more with the new session: an agency that
  refused the session did not act on the call.

One session per agreement's settings per process, shared by every thread that pushes or polls:
the first thread to find it missing or expired logs in, the others wait for its id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from connectors.soap import answers, refusals
from connectors.soap.clients import settings_key
from hub.core.errors import ConnectorError

DEFAULT_LIFETIME_SECONDS = 3600.0
Invoke = Callable[[str, Mapping[str, Any]], Any]  # (operation, input) → zeep's answer


class Session:
    def __init__(self, lifetime_seconds: float) -> None:
        self.lifetime_seconds = lifetime_seconds
        self._id: str | None = None
        self._since = 0.0
        self._lock = threading.Lock()

    def current(self, log_in: Callable[[], str]) -> str:
        with self._lock:
            if self._id is None or time.monotonic() - self._since >= self.lifetime_seconds:
                self._id = None
                self._id, self._since = log_in(), time.monotonic()
            return self._id

    def forget(self, session_id: str) -> None:
        """Drop ``session_id`` — unless another thread already replaced it."""
        with self._lock:
            if self._id == session_id:
                self._id = None


_sessions: dict[str, Session] = {}
_lock = threading.Lock()


def session_for(settings: Mapping[str, Any]) -> Session:
    key = settings_key(settings)
    with _lock:
        if key not in _sessions:
            lifetime = float(settings["session"].get("lifetime_seconds", DEFAULT_LIFETIME_SECONDS))
            _sessions[key] = Session(lifetime)
        return _sessions[key]


def forget_sessions() -> None:
    """Forget every session (agreements reloaded; tests)."""
    with _lock:
        _sessions.clear()


def checked(settings: Mapping[str, Any], operation: str, answer: Any) -> Any:
    """The answer, or the agency's own error in it raised (``settings.error``)."""
    error = refusals.refusal(settings, operation, answer)
    if error is not None:
        raise error
    return answer


def _log_in(settings: Mapping[str, Any], invoke: Invoke) -> str:
    session = settings["session"]
    operation = session["operation"]
    arguments = session.get("arguments") or settings.get("body_auth", {})
    try:
        answer = checked(settings, operation, invoke(operation, arguments))
    except ConnectorError as exc:
        exc.ambiguous = False  # the call we log in for was never sent
        raise
    expression = session.get("id", "SessionID")
    session_id = answers.read(expression, answers.addressed(expression, answers.plain(answer)))
    if session_id in (None, ""):
        raise ConnectorError(
            f"the agency's answer to {operation} has no session id at {expression!r}",
            detail={"operation": operation},
        )
    return str(session_id)


def call(
    settings: Mapping[str, Any], operation: str, payload: Mapping[str, Any], invoke: Invoke
) -> Any:
    """Call ``operation`` with the agreement's credentials in its body; the agency's in-body
    errors raised as ``refusals.AgencyRefusal``."""
    session = settings.get("session")
    if session is None or operation == session["operation"]:
        credentials = settings.get("body_auth", {})
        return checked(settings, operation, invoke(operation, {**credentials, **payload}))
    kept = session_for(settings)
    field = session.get("field", "SessionID")
    session_id = kept.current(lambda: _log_in(settings, invoke))
    try:
        return checked(settings, operation, invoke(operation, {**payload, field: session_id}))
    except refusals.AgencyRefusal as exc:
        if not exc.auth:
            raise
        kept.forget(session_id)  # expired or ended at the agency: log in again, once
    session_id = kept.current(lambda: _log_in(settings, invoke))
    return checked(settings, operation, invoke(operation, {**payload, field: session_id}))
