"""What the fault tests share: an agreement of their own, pointed at a sandbox of their own."""

from __future__ import annotations

import re
from pathlib import Path

from hub.sandbox.rest import RestSandboxApp
from tests.support.agreements import SAMPLES


def write_roads_agreement(
    directory: Path,
    url: str,
    agreement_id: str = "golestan-roads",
    *,
    category: str = "roads.*",
    contact_email: str | None = None,
    timeout_seconds: float | None = None,
    **delivery: object,
) -> Path:
    """A REST agreement for ``category`` requests (``roads.*``: no test of the core uses them),
    its ``delivery`` block replaced by ``delivery``; ``contact_email`` replaces its contact's."""
    text = (SAMPLES / "golestan-water.yaml").read_text(encoding="utf-8")
    text = text.replace("id: golestan-water", f"id: {agreement_id}")
    text = text.replace("http://127.0.0.1:8731", url)
    text = text.replace('categories: ["water.*", "wastewater.*"]', f'categories: ["{category}"]')
    if contact_email:
        text = text.replace("email: samad@abfa-golestan.example", f"email: {contact_email}")
    text = re.sub(r"interval_seconds: \d+", "interval_seconds: 1", text)
    if timeout_seconds is not None:
        text = text.replace("timeout_seconds: 10", f"timeout_seconds: {timeout_seconds}")
    text = re.sub(
        r"auth:\n\s+type: bearer\n\s+token: \$\{env:SAMAD_WATER_TOKEN\}\n",
        "auth:\n      type: none\n",
        text,
    )
    delivery = {"idempotency": "header", **delivery}  # the REST sandbox honours the key
    block = "delivery:\n" + "".join(f"  {key}: {value}\n" for key, value in delivery.items())
    text = re.sub(r"delivery:\n(  .*\n)+", block, text)
    # Written aside and renamed in: a worker reloading mid-write must never see half a file.
    path = directory / f"{agreement_id}.yaml"
    partial = directory / f".{agreement_id}.partial"
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path


def tickets_for(app: RestSandboxApp, reference: str) -> list[str]:
    """The ids of the tickets the agency sandbox opened for one referral (by its ``ref``)."""
    return [ticket.id for ticket in app.tickets.tickets_for(reference)]
