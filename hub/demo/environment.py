"""The demo's world: a throw-away data directory, embedded settings, and sandboxed agencies.

The shipped sample agreements are copied into the data directory with their sandbox addresses
pointed at free loopback ports, so the demo never collides with anything already running.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.core.shipped import CONFIG_DIR
from hub.sandbox.server import BackgroundServer, free_port

SAMPLE_AGREEMENTS = CONFIG_DIR / "agreements"
DEMO_SECRETS = {
    "SAMAD_WATER_TOKEN": "demo-water-token",
    "SAMAD_GAS_API_KEY": "demo-gas-key",
    "SAMAD_POWER_WSSE_PASSWORD": "demo-power-password",
    "SAMAD_ROADS_OPEN311_API_KEY": "demo-roads-open311-key",
}


@dataclass
class DemoWorld:
    data_dir: Path
    sandboxes: dict[str, Any] = field(default_factory=dict)  # agreement id → sandbox app
    servers: ExitStack = field(default_factory=ExitStack)


def prepare_environment(data_dir: Path | None) -> Path:
    """Point every setting at an embedded hub in ``data_dir`` (new temp dir by default)."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="samad-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in [n for n in os.environ if n.startswith("SAMAD_")]:
        del os.environ[name]
    os.environ.update(
        SAMAD_ENVIRONMENT="development",
        SAMAD_DATA_DIR=str(data_dir),
        SAMAD_AGREEMENTS_DIR=str(data_dir / "agreements"),
        SAMAD_DISPATCH_EVERY_SECONDS="0.5",
        SAMAD_POLL_SWEEP_EVERY_SECONDS="0.5",
        SAMAD_DISPATCH_LEASE_SECONDS="5",
        SAMAD_DELIVERY_BACKOFF_SECONDS="0.5",
        SAMAD_DELIVERY_BACKOFF_MAX_SECONDS="2",
        **DEMO_SECRETS,
    )
    from hub.core.settings import get_settings

    get_settings.cache_clear()
    return data_dir


def _copy_agreement(name: str, target: Path, replacements: dict[str, str]) -> None:
    text = (SAMPLE_AGREEMENTS / name).read_text(encoding="utf-8")
    for old, new in replacements.items():
        text = text.replace(old, new)
    text = re.sub(r"interval_seconds: \d+", "interval_seconds: 1", text)
    text = re.sub(r"backoff_seconds: \d+", "backoff_seconds: 0.5", text)
    text = re.sub(r"backoff_max_seconds: \d+", "backoff_max_seconds: 2", text)
    (target / name).write_text(text, encoding="utf-8")


def start_sandboxes(world: DemoWorld, step_seconds: float) -> None:
    """The agencies' own systems on free loopback ports, and agreements pointing at them."""
    from hub.sandbox.rest import AuthMode, RestSandboxSettings
    from hub.sandbox.rest import create_app as rest_app

    agreements = world.data_dir / "agreements"
    if agreements.exists():
        shutil.rmtree(agreements)
    agreements.mkdir()
    rest_agencies = {
        "golestan-water": (
            "8731",
            RestSandboxSettings(
                auth=AuthMode.BEARER,
                token=DEMO_SECRETS["SAMAD_WATER_TOKEN"],
                step_seconds=step_seconds,
            ),
        ),
        "golestan-gas": (
            "8733",
            RestSandboxSettings(
                auth=AuthMode.API_KEY,
                api_key_header="X-API-Key",
                token=DEMO_SECRETS["SAMAD_GAS_API_KEY"],
                step_seconds=step_seconds,
                ticket_prefix="GAS",
            ),
        ),
    }
    for agreement_id, (sample_port, settings) in rest_agencies.items():
        app = rest_app(settings)
        server = world.servers.enter_context(BackgroundServer(app, port=free_port()))
        world.sandboxes[agreement_id] = app
        _copy_agreement(
            f"{agreement_id}.yaml", agreements, {f"http://127.0.0.1:{sample_port}": server.url}
        )
    _start_soap_agency(world, agreements, step_seconds)
    _start_mail_agency(world, agreements, step_seconds)
    _start_open311_agency(world, agreements, step_seconds)


def _start_soap_agency(world: DemoWorld, agreements: Path, step_seconds: float) -> None:
    """The power company's legacy case registry, speaking SOAP with WS-Security."""
    from hub.sandbox.soap.app import SoapSandbox

    sandbox = SoapSandbox(
        step_seconds=step_seconds,
        users={"samad-111": DEMO_SECRETS["SAMAD_POWER_WSSE_PASSWORD"]},
    )
    server = world.servers.enter_context(BackgroundServer(sandbox.app(), port=free_port()))
    world.sandboxes["golestan-power"] = sandbox
    _copy_agreement("golestan-power.yaml", agreements, {"http://127.0.0.1:8732": server.url})


def _start_mail_agency(world: DemoWorld, agreements: Path, step_seconds: float) -> None:
    """Gorgan municipality's secretariat: a mailbox a clerk reads and answers."""
    from hub.sandbox.mail.clerk import ClerkAnswer
    from hub.sandbox.mail.sandbox import MailAgencySandbox

    replies = world.data_dir / "mail" / "replies"
    script = (
        ClerkAnswer("وضعیت: رسیدگی شد", "اکیپ خدمات شهری اعزام و موضوع برطرف شد. با تشکر"),
        ClerkAnswer("STATUS: RESOLVED", "The street light was repaired by the municipality."),
    )
    sandbox = MailAgencySandbox(maildir=replies, reply_delay=step_seconds, script=script)
    world.servers.enter_context(sandbox)
    world.sandboxes["golestan-gorgan-municipality"] = sandbox
    _copy_agreement(
        "golestan-gorgan-municipality.yaml", agreements, {"port: 8725": f"port: {sandbox.port}"}
    )


def _start_open311_agency(world: DemoWorld, agreements: Path, step_seconds: float) -> None:
    """The roads administration's request system, speaking Open311 GeoReport v2."""
    from hub.sandbox.open311 import Open311SandboxSettings
    from hub.sandbox.open311 import create_app as open311_app

    settings = Open311SandboxSettings(
        api_key=DEMO_SECRETS["SAMAD_ROADS_OPEN311_API_KEY"], close_after_seconds=3 * step_seconds
    )
    app = open311_app(settings)
    server = world.servers.enter_context(BackgroundServer(app, port=free_port()))
    world.sandboxes["golestan-roads"] = app
    _copy_agreement("golestan-roads.yaml", agreements, {"http://127.0.0.1:8734": server.url})
