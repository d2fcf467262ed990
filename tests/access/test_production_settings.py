"""Production refuses to start with weak or missing secrets, and says so without showing them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from hub.core.settings import DEVELOPMENT_SECRET_KEY, REPO_ROOT, Settings

STRONG = "x7Rk2-pQ9vLm3-Zt8wNc4-Hy6bJd1-Fs5gUe0"  # 37 characters
PRODUCTION = {
    "SAMAD_ENVIRONMENT": "production",
    "SAMAD_DATABASE_URL": "postgresql+psycopg://samad@127.0.0.1:5432/samad",
    "SAMAD_BROKER_URL": "redis://127.0.0.1:6379/0",
    "SAMAD_SECRET_KEY": STRONG,
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    for name in ("SAMAD_SMTP_USERNAME", "SAMAD_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_starts_with_a_long_random_secret_key(production: pytest.MonkeyPatch) -> None:
    assert Settings().environment == "production"


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("", "never a default"),
        ("   ", "never a default"),
        ("changeme", "never a default"),
        ("Password", "never a default"),
        (DEVELOPMENT_SECRET_KEY, "never a default"),
        ("short-but-distinctive-Xy7", "at least 32 characters"),
    ],
)
def test_production_refuses_an_empty_default_or_short_secret_key(
    production: pytest.MonkeyPatch, secret: str, reason: str
) -> None:
    production.setenv("SAMAD_SECRET_KEY", secret)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert reason in str(refused.value)
    if secret.strip():
        assert secret not in str(refused.value)


def test_development_runs_without_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMAD_ENVIRONMENT", "development")
    monkeypatch.setenv("SAMAD_SECRET_KEY", "")
    assert Settings().effective_secret_key == DEVELOPMENT_SECRET_KEY


def test_production_refuses_an_smtp_username_without_its_password(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("SAMAD_SMTP_USERNAME", "samad-relay")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "SAMAD_SMTP_PASSWORD is empty" in str(refused.value)
    assert STRONG not in str(refused.value)
    production.setenv("SAMAD_SMTP_PASSWORD", "relay-password-from-the-vault")
    assert Settings().smtp_username == "samad-relay"


def _serve(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "serve", "--port", "0"],
        cwd=REPO_ROOT,
        env={**os.environ, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_samad_hub_serve_refuses_in_one_line_that_shows_no_secret() -> None:
    weak = _serve(SAMAD_SECRET_KEY="short-but-distinctive-Xy7")
    no_password = _serve(SAMAD_SMTP_USERNAME="samad-relay", SAMAD_SMTP_PASSWORD="")
    for finished, reason in (
        (weak, "at least 32 characters"),
        (no_password, "SAMAD_SMTP_PASSWORD is empty"),
    ):
        assert finished.returncode == 1
        [line] = finished.stderr.strip().splitlines()
        assert line.startswith("settings refused: ") and reason in line, finished.stderr
        assert "short-but-distinctive-Xy7" not in finished.stderr + finished.stdout
        assert STRONG not in finished.stderr + finished.stdout


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("SAMAD_DATABASE_URL", "sqlite:////var/lib/samad/hub.db"),
        ("SAMAD_DATABASE_URL", "sqlite+pysqlite:///hub.db"),
        ("SAMAD_BROKER_URL", "sqla+sqlite:////var/lib/samad/broker.db"),
        ("SAMAD_BROKER_URL", "memory://"),
        ("SAMAD_BROKER_URL", "filesystem://"),
    ],
)
def test_production_refuses_the_embedded_database_and_broker(
    production: pytest.MonkeyPatch, name: str, url: str
) -> None:
    production.setenv(name, url)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "not the embedded" in str(refused.value) and name in str(refused.value)


@pytest.mark.parametrize("name", ["SAMAD_DATABASE_URL", "SAMAD_BROKER_URL"])
def test_production_refuses_a_missing_database_or_broker_url(
    production: pytest.MonkeyPatch, name: str
) -> None:
    production.setenv(name, "")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert f"production needs {name}" in str(refused.value)
