"""How the sandbox can be told to misbehave, and the hostile answers it can give.

Set from Python (``sandbox.controls.fault = "server"``) or over HTTP (``POST /_control`` with
the same names as JSON). ``times`` limits a misbehaviour to the next N SOAP calls; ``None``
keeps it until cleared. Those act before the registry does anything.

``after_registering`` acts after: RegisterCase opens the case, then its answer is lost —
``timeout`` (held ``hold_seconds``, past the caller's timeout), ``server_error`` (a Server fault,
HTTP 500), ``reset`` (the connection reset) or ``garbage`` (an HTML page, HTTP 200) — for the
next ``after_registering_times`` registrations (``None``: until cleared). Status calls are never
hit, so a poll of another case cannot use it up.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from hub.sandbox.soap.envelopes import SOAP11

FaultKind = Literal["client", "server"]
GarbageKind = Literal["html", "xxe", "billion_laughs", "oversized", "truncated"]
AfterKind = Literal["timeout", "server_error", "reset", "garbage"]
AFTER_KINDS: tuple[str, ...] = ("timeout", "server_error", "reset", "garbage")
GARBAGE_KINDS: tuple[str, ...] = ("html", "xxe", "billion_laughs", "oversized", "truncated")
OVERSIZED_BYTES = 4 * 1024 * 1024


@dataclass
class Controls:
    fault: FaultKind | None = None
    delay_seconds: float = 0.0
    garbage: GarbageKind | None = None
    wsdl_variant: Literal["v1", "renamed"] = "v1"
    times: int | None = None
    after_registering: AfterKind | None = None
    after_registering_times: int | None = 1
    hold_seconds: float = 5.0

    def update(self, changes: dict[str, Any]) -> None:
        if not isinstance(changes, dict):
            raise ValueError("controls must be a JSON object")
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown controls: {', '.join(sorted(unknown))}")
        if changes.get("fault") not in (None, "client", "server"):
            raise ValueError("fault must be 'client', 'server' or null")
        if changes.get("garbage") not in (None, *GARBAGE_KINDS):
            raise ValueError(f"garbage must be one of {', '.join(GARBAGE_KINDS)} or null")
        if changes.get("after_registering") not in (None, *AFTER_KINDS):
            raise ValueError(f"after_registering must be one of {', '.join(AFTER_KINDS)} or null")
        if changes.get("wsdl_variant", "v1") not in ("v1", "renamed"):
            raise ValueError("wsdl_variant must be 'v1' or 'renamed'")
        for name, value in changes.items():
            setattr(self, name, value)

    def reset(self) -> None:
        self.update(asdict(Controls()))

    def consume(self) -> bool:
        """Whether a misbehaviour applies to this call (and count it down if limited)."""
        if self.fault is None and self.garbage is None and not self.delay_seconds:
            return False
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True

    def take_after_registering(self) -> AfterKind | None:
        """How this registration's answer is lost, if it is (and count it down if limited)."""
        kind, left = self.after_registering, self.after_registering_times
        if kind is None or (left is not None and left <= 0):
            return None
        if left is not None:
            self.after_registering_times = left - 1
        return kind

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_HTML = (
    "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>"
    "<h1>سامانه در حال به‌روزرسانی است</h1><p>IIS 7.5 Detailed Error - 503.0</p></body></html>"
).encode()

_XXE = f"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="{SOAP11}"><soap:Body>
<tns:RegisterCaseResponse xmlns:tns="urn:golestan-power:case-registry:v1"><tns:Receipt>
<tns:CaseNumber>&xxe;</tns:CaseNumber><tns:RegisteredAt>2026-01-01T00:00:00Z</tns:RegisteredAt>
<tns:StatusCode>10</tns:StatusCode></tns:Receipt></tns:RegisterCaseResponse>
</soap:Body></soap:Envelope>""".encode()

_LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
_BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol0 "lol">{_LAUGHS}]>
<soap:Envelope xmlns:soap="{SOAP11}"><soap:Body><x>&lol9;</x></soap:Body></soap:Envelope>
""".encode()


@functools.cache
def _oversized() -> bytes:
    head = f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{SOAP11}"><soap:Body><x>'.encode()
    return head + b"A" * OVERSIZED_BYTES + b"</x></soap:Body></soap:Envelope>"


def garbage_body(kind: str) -> tuple[bytes, str]:
    """The body and content type of one kind of garbage, always sent with HTTP 200."""
    if kind == "html":
        return _HTML, "text/html; charset=utf-8"
    if kind == "xxe":
        return _XXE, "text/xml; charset=utf-8"
    if kind == "billion_laughs":
        return _BILLION_LAUGHS, "text/xml; charset=utf-8"
    if kind == "oversized":
        return _oversized(), "text/xml; charset=utf-8"
    return f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{SOAP11}"><soap:Bo'.encode(), (
        "text/xml; charset=utf-8"
    )
