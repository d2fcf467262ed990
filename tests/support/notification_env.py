"""Environment for the deadline and notification sweeps in a test run (read before any hub
module): a clock file shared by every process, free loopback ports for the SMS gateway and SMTP
relay sandboxes, and short sweep intervals and backoffs."""

from __future__ import annotations

import socket
from pathlib import Path

SMS_API_KEY = "test-sms-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def notification_environment(data_dir: Path) -> dict[str, str]:
    return {
        "SAMAD_CLOCK_FILE": str(data_dir / "clock.txt"),
        "SAMAD_DEADLINE_SWEEP_EVERY_SECONDS": "0.5",
        "SAMAD_NOTIFICATION_SWEEP_EVERY_SECONDS": "0.5",
        "SAMAD_NOTIFICATION_BACKOFF_SECONDS": "0.2",
        "SAMAD_NOTIFICATION_BACKOFF_MAX_SECONDS": "1",
        "SAMAD_NOTIFICATION_MAX_ATTEMPTS": "4",
        "SAMAD_NOTIFICATION_LEASE_SECONDS": "10",
        "SAMAD_SMS_URL": f"http://127.0.0.1:{_free_port()}",
        "SAMAD_SMS_API_KEY": SMS_API_KEY,
        "SAMAD_SMTP_HOST": "127.0.0.1",
        "SAMAD_SMTP_PORT": str(_free_port()),
    }
