"""Settings, read from the environment (prefix ``SAMAD_``) and nowhere else.

With nothing set, the hub runs embedded: SQLite for state and as Celery's broker, in a data
directory under the current one. Production sets ``SAMAD_ENVIRONMENT=production`` and real URLs;
then the embedded defaults are refused.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMAD_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""  # default: SQLite in data_dir
    broker_url: str = ""  # default: kombu's SQLAlchemy transport on SQLite in data_dir
    redis_url: str = ""  # shared locks and circuit-breaker state, when there is a Redis
    agreements_dir: Path = REPO_ROOT / "config" / "agreements"
    config_dir: Path = REPO_ROOT / "config"

    # Delivery: retries of transient errors, with exponential backoff and full jitter.
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 5.0
    delivery_backoff_max_seconds: float = 3600.0
    delivery_lease_seconds: float = 120.0  # a claimed delivery not finished by then is retried
    dispatch_lease_seconds: float = 30.0  # a dispatched task not started by then is sent again

    # Beat sweeps.
    dispatch_every_seconds: float = 2.0
    poll_sweep_every_seconds: float = 5.0
    sweep_batch_size: int = 500

    # Intake.
    duplicate_window_hours: float = 72.0
    duplicate_similarity: float = 85.0  # 0-100, hub.similarity.similarity(); measured there

    agreements_reload_seconds: float = 2.0  # how often files are checked for changes

    @model_validator(mode="after")
    def _refuse_embedded_defaults_in_production(self) -> Settings:
        if self.environment == "production":
            missing = [n for n in ("database_url", "broker_url") if not getattr(self, n)]
            if missing:
                raise ValueError(
                    "production needs " + ", ".join(f"SAMAD_{n.upper()}" for n in missing)
                )
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{(self.data_dir / 'broker.db').resolve()}"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


@functools.cache
def get_settings() -> Settings:
    return Settings()
