"""The demo's deadlines: an SMS gateway and an SMTP relay on loopback, then one request whose
agency is "late" — the shared clock jumps a month ahead — so the ladder fires before your eyes.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import httpx
from rich.console import Console
from sqlalchemy import func, select

from hub.db.models import Referral, Request
from hub.db.models_deadlines import EscalationStep, Notification, Violation
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.deadlines.clock import set_clock
from hub.demo.environment import DemoWorld
from hub.sandbox.outbox import SmtpOutbox
from hub.sandbox.server import BackgroundServer
from hub.sandbox.sms import SmsGateway, create_app

DEMO_SMS_KEY = "demo-sms-key"
LATE_REQUEST = {
    "channel": "web",
    "type": "complaint",
    "category": "water.leak",
    "subject": "نشت لوله اصلی آب در میدان کاشانی",
    "description": "یک ماه است لوله اصلی آب در میدان کاشانی نشت دارد و کسی پیگیری نکرده است.",
    "citizen": {
        "national_id": "3608069658",
        "first_name": "سارا",
        "last_name": "حسینی",
        "mobile": "09127778899",
    },
    "location": {"county": "گرگان", "city": "گرگان"},
}


def start_notification_sandboxes(world: DemoWorld) -> None:
    """The SMS gateway and SMTP relay the notifiers use; call before the worker starts."""
    gateway = SmsGateway(api_key=DEMO_SMS_KEY)
    server = world.servers.enter_context(BackgroundServer(create_app(gateway)))
    outbox = world.servers.enter_context(SmtpOutbox())
    world.sandboxes["sms"], world.sandboxes["smtp"] = gateway, outbox
    os.environ.update(
        SAMAD_SMS_URL=server.url,
        SAMAD_SMS_API_KEY=DEMO_SMS_KEY,
        SAMAD_SMTP_HOST="127.0.0.1",
        SAMAD_SMTP_PORT=str(outbox.port),
        SAMAD_CLOCK_FILE=str(world.data_dir / "clock.txt"),
        SAMAD_DEADLINE_SWEEP_EVERY_SECONDS="0.5",
        SAMAD_NOTIFICATION_SWEEP_EVERY_SECONDS="0.5",
    )
    from hub.core.settings import get_settings

    get_settings.cache_clear()


def show_deadlines(console: Console, client: httpx.Client, world: DemoWorld) -> int:
    """Submit a request, move the clock a month on, and show the escalation; 0 when it was seen."""
    from hub.core.settings import get_settings

    clock = get_settings().clock_file
    assert clock is not None
    set_clock(clock, utcnow() + timedelta(days=30))
    console.print("\n[bold]deadlines[/bold]: a new complaint, and the clock moves a month ahead")
    code = client.post("/v1/requests", json=LATE_REQUEST).json()["tracking_code"]
    # Quick on a quiet machine (~2 s); a loaded one needs longer for the sweeps on SQLite.
    deadline = time.monotonic() + 45
    mails = world.sandboxes["smtp"].mails
    counts = _counts(code)
    while time.monotonic() < deadline and not (counts[0] and counts[3] and mails):
        time.sleep(0.5)
        counts = _counts(code)
    steps, violations, sent, citizen_sms = counts
    for action in _actions(code):
        console.print(f"  ↑ {action}")
    sms = world.sandboxes["sms"].to("09127778899")
    if sms:
        console.print(f"  ✉ SMS to the citizen: {sms[0]['message'].splitlines()[0]} …")
    console.print(
        f"[bold]deadlines[/bold]: {steps} escalation steps, {violations} violation(s) recorded, "
        f"{sent} notifications sent ({citizen_sms} SMS to citizens), "
        f"{len(mails)} mail(s) to agencies and offices"
    )
    if not (steps and citizen_sms and mails):
        console.print("[red]✗ no escalation, no citizen SMS or no mail to an office was seen[/red]")
        return 1
    return 0


def _counts(code: str) -> tuple[int, int, int, int]:
    with session_scope() as session:
        request_id = session.scalar(select(Request.id).where(Request.tracking_code == code))
        steps = session.scalar(select(func.count()).select_from(EscalationStep)) or 0
        violations = session.scalar(select(func.count()).select_from(Violation)) or 0
        sent = session.scalar(select(func.count()).where(Notification.status == "sent")) or 0
        citizen = (
            session.scalar(
                select(func.count()).where(
                    Notification.status == "sent",
                    Notification.channel == "sms",
                    Notification.request_id == request_id,
                )
            )
            or 0
        )
    return steps, violations, sent, citizen


def _actions(code: str) -> list[str]:
    with session_scope() as session:
        rows = session.execute(
            select(EscalationStep.deadline, EscalationStep.action)
            .join(Referral, Referral.id == EscalationStep.referral_id)
            .join(Request, Request.id == Referral.request_id)
            .where(Request.tracking_code == code)
            .order_by(EscalationStep.id)
        ).all()
    return [f"{deadline}: {action}" for deadline, action in rows]
