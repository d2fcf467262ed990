"""How the Znuny sandbox can be told to fail, before or after it acted.

Set from Python (``sandbox.faults.set("created_then_timeout", delay_seconds=3)``) or over HTTP
(``POST /_control`` with ``{"fault": "created_then_timeout", "delay_seconds": 3}``):

- ``created_then_timeout`` — the operation runs (the ticket is opened), then the answer waits
  ``delay_seconds``: longer than the caller's timeout, it never sees it;
- ``created_then_garbage`` — the operation runs, then the answer is ``garbage`` (an HTML error
  page from the web server in front, or an envelope cut off mid-way) with HTTP 200;
- ``server_fault`` — a SOAP fault (HTTP 500, faultcode Server) before anything is done;
- ``garbage`` — garbage before anything is done.

A fault hits the calls of ``operation`` (default TicketCreate; ``null``: every operation),
``times`` times (``null``: until cleared).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from hub.sandbox.soap.envelopes import SOAP11

FaultKind = Literal["created_then_timeout", "created_then_garbage", "server_fault", "garbage"]
FAULT_KINDS = ("created_then_timeout", "created_then_garbage", "server_fault", "garbage")
GarbageKind = Literal["html", "truncated"]
SETTINGS = ("fault", "operation", "delay_seconds", "garbage", "times")

_HTML = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream "
    b"server.</p><hr><address>Apache/2.4 Server at helpdesk Port 443</address></body></html>"
)


def garbage_body(kind: str) -> tuple[bytes, str]:
    """What a broken answer carries, and its content type; always sent with HTTP 200."""
    if kind == "html":
        return _HTML, "text/html; charset=UTF-8"
    cut = (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP11}">'
        '<soap:Body><TicketCreateResponse xmlns="http://www.otrs.org/TicketConnector/">'
        "<ArticleID>1</ArticleID><TicketID>1</Tick"
    )
    return cut.encode(), "text/xml; charset=UTF-8"


@dataclass
class Faults:
    fault: FaultKind | None = None
    operation: str | None = "TicketCreate"
    delay_seconds: float = 5.0
    garbage: GarbageKind = "html"
    times: int | None = 1
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, fault: str | None, **options: Any) -> None:
        self.update({"fault": fault, **options})

    def update(self, changes: Any) -> None:
        if not isinstance(changes, dict):
            raise ValueError("faults must be a JSON object")
        unknown = set(changes) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        if changes.get("fault") not in (None, *FAULT_KINDS):
            raise ValueError(f"fault must be one of {', '.join(FAULT_KINDS)} or null")
        if changes.get("garbage", "html") not in ("html", "truncated"):
            raise ValueError("garbage must be 'html' or 'truncated'")
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def reset(self) -> None:
        self.update({"fault": None, "operation": "TicketCreate", "delay_seconds": 5.0,
                     "garbage": "html", "times": 1})  # fmt: skip

    def take(self, operation: str) -> str | None:
        """The fault that hits this call of ``operation`` (counted down), or None."""
        with self._lock:
            if self.fault is None or self.operation not in (None, operation):
                return None
            if self.times is not None:
                if self.times <= 0:
                    return None
                self.times -= 1
            return self.fault

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SETTINGS}
