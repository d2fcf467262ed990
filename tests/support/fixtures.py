"""Fixtures that start the real things: database, broker, sandboxes, API server, Celery worker."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis

from hub.core.settings import get_settings
from hub.db.migrate import upgrade
from hub.sandbox.mail.clerk import ClerkAnswer
from hub.sandbox.mail.sandbox import MailAgencySandbox
from hub.sandbox.rest import AuthMode, RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.server import BackgroundServer, free_port
from hub.sandbox.soap.app import SoapSandbox
from hub.worker.process import start_worker, stop_process
from tests.support.agreements import write_test_agreements

WATER_TOKEN = "test-water-token"
POWER_PASSWORD = "test-power-password"
CLERK_SCRIPT = (
    ClerkAnswer("وضعیت: رسیدگی شد", "چراغ‌ها تعمیر شد. با تشکر"),
    ClerkAnswer("STATUS: RESOLVED", "Repaired."),
)


def _admin_dsn() -> str:
    url = os.environ["SAMAD_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    return url.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """A private PostgreSQL database for this run, migrated to the latest schema."""
    from hub.db.migrate import upgrade

    url = os.environ["SAMAD_DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    upgrade(url)
    yield url
    from hub.db.session import get_engine

    get_engine().dispose()
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """This run's own Redis database, empty before and after."""
    url = os.environ["SAMAD_BROKER_URL"]
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


# A fault for the water sandbox's pushes only: a batch poll and a reminder are POSTs too.
PUSHES = {"method": "POST", "path": "/api/v1/tickets"}


class Sandboxes:
    def __init__(
        self, water: RestSandboxApp, rural: RestSandboxApp, power: Any, municipality: Any
    ) -> None:
        self.water = water
        self.rural = rural
        self.power = power  # hub.sandbox.soap.app.SoapSandbox
        self.municipality = municipality  # hub.sandbox.mail.sandbox.MailAgencySandbox


@pytest.fixture(scope="session")
def sandboxes() -> Iterator[Sandboxes]:
    """The agencies' own systems, and the agreements that point at them."""
    os.environ["SAMAD_WATER_TOKEN"] = WATER_TOKEN
    os.environ["SAMAD_POWER_WSSE_PASSWORD"] = POWER_PASSWORD
    water = create_app(
        RestSandboxSettings(auth=AuthMode.BEARER, token=WATER_TOKEN, step_seconds=0.4)
    )
    rural = create_app(RestSandboxSettings(step_seconds=0.4))
    power = SoapSandbox(step_seconds=0.4, users={"samad-111": POWER_PASSWORD})
    replies = get_settings().data_dir / "mail" / "replies"
    municipality = MailAgencySandbox(maildir=replies, reply_delay=0.4, script=CLERK_SCRIPT)
    with (
        BackgroundServer(water) as water_server,
        BackgroundServer(rural) as rural_server,
        BackgroundServer(power.app()) as power_server,
        municipality,
    ):
        write_test_agreements(
            Path(os.environ["SAMAD_AGREEMENTS_DIR"]),
            water_url=water_server.url,
            rural_url=rural_server.url,
            power_url=power_server.url,
            smtp_port=municipality.port,
        )
        yield Sandboxes(water, rural, power, municipality)


@pytest.fixture
def clean_sandboxes(sandboxes: Sandboxes) -> Sandboxes:
    for app in (sandboxes.water, sandboxes.rural):
        app.faults.reset()
    return sandboxes


@pytest.fixture(scope="session")
def api_server(database: str, sandboxes: Sandboxes) -> Iterator[BackgroundServer]:
    """The hub's real HTTP API on a loopback port."""
    from hub.web.app import create_app as create_api

    with BackgroundServer(create_api()) as server:
        yield server


@pytest.fixture(scope="session")
def api_as(api_server: BackgroundServer) -> Iterator[Callable[..., httpx.Client]]:
    """``api_as("agency", agreement="golestan-water")``: a client with a fresh token of that role.

    ``api_as(None)`` is a client without credentials (a citizen, or an intruder).
    """
    from hub.auth.roles import Role
    from hub.auth.tokens import create_token
    from hub.db.session import session_scope

    clients: list[httpx.Client] = []

    def client_for(role: str | None, agreement: str | None = None) -> httpx.Client:
        headers = {}
        if role is not None:
            with session_scope() as session:
                issued = create_token(session, f"test-{role}", Role(role), agreement)
            headers["Authorization"] = f"Bearer {issued.secret}"
        client = httpx.Client(base_url=api_server.url, timeout=10, headers=headers)
        clients.append(client)
        return client

    yield client_for
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def api(api_as: Callable[..., httpx.Client]) -> httpx.Client:
    """A client of the hub's real HTTP API, with an operator's token (the 111 call centre)."""
    return api_as("operator")


@pytest.fixture(scope="session")
def worker(database: str, broker: str, sandboxes: Sandboxes) -> Iterator[subprocess.Popen]:
    """A real Celery worker process, with beat, on Redis and PostgreSQL."""
    log = get_settings().data_dir / f"worker-{free_port()}.log"
    process = start_worker(log)
    _wait_for_worker(process, log)
    yield process
    stop_process(process)


def _wait_for_worker(process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    from hub.core.celery_app import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited: {log.read_text(errors='replace')[-3000:]}")
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError(f"worker did not start: {log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sandboxes: Sandboxes
) -> Iterator[str]:
    """The run's PostgreSQL database, then a fresh migrated SQLite one: a test on both."""
    if request.param == "postgresql":
        yield request.getfixturevalue("database")
    else:
        url = f"sqlite:///{tmp_path / 'hub.db'}"
        upgrade(url)
        yield url
