"""The SMS gateway sandbox: a Kavenegar-style REST gateway on loopback, for tests and the demo.

::

    POST /v1/{api_key}/sms/send.json   receptor, sender, message, localid (form or query)
    GET  /_control/messages            what was "sent", and how many copies were refused
    POST /_control/faults              {"codes": [409, 411]}: answer these next, one per send

Like the real gateway it answers HTTP 200 with the outcome inside the body
(``{"return": {"status": 200, …}, "entries": [{"messageid": …}]}``), and a ``localid`` seen
before returns the first message again instead of sending a second one.

A test may hold the answers to one number (:meth:`SmsGateway.hold_answers_to`): the message is
taken and "sent", but its sender hears nothing until the test lets the answer go — the moment to
kill a sender that has not yet marked its message sent.

Run standalone: ``python -m hub.sandbox.sms --port 8740 --api-key sandbox-sms-key``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

MESSAGES_FA = {
    200: "تایید شد",
    403: "کد شناسائی API-Key معتبر نمی‌باشد",
    409: "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید",
    411: "دریافت کننده نامعتبر است",
    418: "اعتبار حساب شما کافی نیست",
}
HOLD_LIMIT_SECONDS = 30.0  # a held answer goes after this, let go or not


@dataclass
class SmsGateway:
    """The sandbox's state: sent messages by local id, and the faults queued for next sends."""

    api_key: str = "sandbox-sms-key"
    messages: list[dict[str, Any]] = field(default_factory=list)
    by_localid: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[int] = field(default_factory=list)  # for the next sends, whoever they are to
    faults_for: dict[str, list[int]] = field(default_factory=dict)  # for one number's next sends
    replays: int = 0
    replayed: dict[str, int] = field(default_factory=dict)  # local id → copies refused
    holds: dict[str, threading.Event] = field(default_factory=dict)  # number → answers let go
    _ids: itertools.count = field(default_factory=lambda: itertools.count(8_700_000_001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, api_key: str, form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            if api_key != self.api_key:
                return _answer(403)
            receptor = form.get("receptor", "")
            if self.faults_for.get(receptor):
                return _answer(self.faults_for[receptor].pop(0))
            if self.faults:
                return _answer(self.faults.pop(0))
            if not (receptor.isdigit() and len(receptor) == 11 and receptor.startswith("09")):
                return _answer(411)
            localid = form.get("localid") or ""
            if localid and localid in self.by_localid:
                self.replays += 1
                self.replayed[localid] = self.replayed.get(localid, 0) + 1
                return _answer(200, [self.by_localid[localid]])
            entry = {
                "messageid": next(self._ids),
                "message": form.get("message", ""),
                "status": 1,
                "statustext": "در صف ارسال",
                "sender": form.get("sender", ""),
                "receptor": receptor,
                "date": int(time.time()),
                "cost": 120,
                "localid": localid,
            }
            self.messages.append(entry)
            if localid:
                self.by_localid[localid] = entry
            return _answer(200, [entry])

    def to(self, receptor: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if m["receptor"] == receptor]

    def hold_answers_to(self, receptor: str) -> threading.Event:
        """Take the sends to ``receptor`` as usual, but answer none until the returned event is
        set (or ``HOLD_LIMIT_SECONDS`` passed)."""
        release = threading.Event()
        self.holds[receptor] = release
        return release

    async def held(self, receptor: str) -> None:
        """Return once the answers to ``receptor`` may go."""
        release = self.holds.get(receptor)
        deadline = time.monotonic() + HOLD_LIMIT_SECONDS
        while release is not None and not release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def _answer(status: int, entries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"return": {"status": status, "message": MESSAGES_FA.get(status, "")}}
    body["entries"] = entries
    return body


def create_app(gateway: SmsGateway | None = None) -> FastAPI:
    gateway = gateway or SmsGateway()
    app = FastAPI(title="Kavenegar-style SMS gateway sandbox")
    app.state.gateway = gateway

    @app.api_route("/v1/{api_key}/sms/send.json", methods=["GET", "POST"])
    async def send(api_key: str, request: Request) -> dict[str, Any]:
        form = {k: str(v) for k, v in (await request.form()).items()}
        form.update(request.query_params)
        answer = gateway.send(api_key, form)
        await gateway.held(form.get("receptor", ""))
        return answer

    @app.get("/_control/messages")
    def messages() -> dict[str, Any]:
        return {"messages": gateway.messages, "replays": gateway.replays}

    @app.post("/_control/faults")
    def faults(body: dict[str, list[int]]) -> dict[str, Any]:
        gateway.faults[:] = body.get("codes", [])
        return {"queued": gateway.faults}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8740)
    parser.add_argument("--api-key", default="sandbox-sms-key")
    args = parser.parse_args()
    uvicorn.run(create_app(SmsGateway(api_key=args.api_key)), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
