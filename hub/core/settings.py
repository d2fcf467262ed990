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

# REPO_ROOT is re-exported for the tests and tools that resolve paths in the checkout.
from hub.core.shipped import CONFIG_DIR
from hub.core.shipped import REPO_ROOT as REPO_ROOT

DEVELOPMENT_SECRET_KEY = "samad-development-key-not-for-production"
# URL schemes of the embedded hub (one process, one machine): never a production deployment.
_EMBEDDED_SCHEMES = frozenset(
    {"sqlite", "sqlite+pysqlite", "sqla+sqlite", "memory", "filesystem", "sqlalchemy"}
)
WEAK_SECRETS = {"changeme", "change-me", "secret", "password", "default", "samad"}


class Settings(BaseSettings):
    # A refused setting is reported without the values read: they include the secrets.
    model_config = SettingsConfigDict(
        env_prefix="SAMAD_", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""  # default: SQLite in data_dir
    broker_url: str = ""  # default: kombu's SQLAlchemy transport on SQLite in data_dir
    redis_url: str = ""  # shared locks and circuit-breaker state, when there is a Redis
    agreements_dir: Path = CONFIG_DIR / "agreements"
    config_dir: Path = CONFIG_DIR

    # Delivery: retries of transient errors, with exponential backoff and full jitter.
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 5.0
    delivery_backoff_max_seconds: float = 3600.0
    delivery_lease_seconds: float = 120.0  # a claimed delivery not finished by then is retried
    dispatch_lease_seconds: float = 30.0  # a delivery task not started by then is sent again
    delivery_batch_size: int = 20  # referrals of one agency claimed, pushed and settled together
    # Delivery tasks of one agency that may run at once (each in its own worker thread or
    # process): a backlog spreads over them; the agreement's throttle still bounds the rate.
    delivery_tasks_per_agency: int = 2
    backlog_alert_minutes: float = 15.0  # a referral due this long and not yet tried: alert
    delivery_push_threads: int = 8  # pushes of a batch made at once, per worker process

    # Beat sweeps.
    dispatch_every_seconds: float = 2.0
    poll_sweep_every_seconds: float = 5.0
    sweep_batch_size: int = 500
    audit_seal_every_seconds: float = 5.0  # events chained into the audit log (supervision.audit)
    worker_metrics_port: int = 0  # non-zero: each worker serves /metrics there
    figures_refresh_lag_seconds: float = 120.0  # roll-up re-reads changes this far back
    figures_refresh_every_seconds: float = 60.0  # beat sweep of the figures roll-up
    # The sweeps' watchdog (hub.supervision.sweeps), in every worker: a sweep whose last run is
    # older than factor × its interval, and than the floor, is overdue (alerted, in /readyz).
    sweep_watchdog_every_seconds: float = 30.0
    sweep_overdue_factor: float = 3.0
    sweep_overdue_min_seconds: float = 60.0

    # Intake.
    duplicate_window_hours: float = 72.0
    duplicate_similarity: float = 85.0  # 0-100, hub.intake.similarity.similarity(); measured there

    # Plugins left out, by name (comma-separated): a built-in one (rest, soap, email, notifiers)
    # or an installed package's entry point.
    disabled_plugins: str = ""

    agreements_reload_seconds: float = 2.0  # how often files are checked for changes

    # Deadlines and escalation (hub.deadlines.due_times, hub.deadlines.escalation).
    deadline_sweep_every_seconds: float = 30.0
    deadline_sweep_batch_size: int = 1000
    clock_file: Path | None = None  # tests and demos only: a file holding the sweep's "now"

    # Notifications (hub.notifications.outbox, hub.notifications.notifiers): recorded first, sent
    # by a sweep.
    notification_sweep_every_seconds: float = 5.0
    notification_max_attempts: int = 6
    notification_backoff_seconds: float = 30.0
    notification_backoff_max_seconds: float = 3600.0
    notification_lease_seconds: float = 120.0  # a send not settled by then is tried again
    smtp_host: str = ""  # the email notifier's relay; empty: email notifications fail, alerted
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "سامانه ۱۱۱ استان گلستان <samad@golestan111.example>"
    sms_url: str = ""  # a Kavenegar-style gateway, e.g. https://api.kavenegar.com
    sms_api_key: str = ""
    sms_sender: str = "10004346"

    # Feedback: how long after a result the citizen may reopen it (calendar days).
    reopen_window_days: float = 7.0

    # Access control (hub.auth): the key that hashes tokens and session ids; required in production.
    secret_key: str = ""
    token_days: int = 365  # default lifetime of an API token
    session_hours: float = 12.0  # a dashboard login lasts this long
    cookie_secure: bool | None = None  # default: secure cookies in production only
    lookup_rate_per_ip: str = "30/minute"  # citizen look-ups (limits' notation)
    lookup_rate_per_code: str = "10/minute"
    login_rate_per_ip: str = "10/minute"  # failed logins from one address
    login_rate_per_account: str = "10/minute"  # failed logins for one user name, from anywhere
    session_idle_minutes: float = 30.0  # a dashboard login unused this long ends
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto the API believes (uvicorn's
    # --forwarded-allow-ips): the reverse proxy in front of it. Empty: none, the peer is the
    # client. Comma-separated addresses or networks; "*" trusts every peer (never in production).
    trusted_proxies: str = "127.0.0.1"
    metrics_token: str = ""  # set: /metrics needs it as a Bearer token; empty: loopback only
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line
    feedback_rate_per_ip: str = "10/minute"  # a citizen's feedback (code + mobile), like look-ups
    feedback_rate_per_code: str = "5/minute"
    webhook_tolerance_seconds: int = 300  # how old a signed agency update may be
    max_body_bytes: int = 262_144  # larger request bodies are refused with 413
    max_json_depth: int = 32

    # Faults: per-agency circuit breaker (state in Redis when there is one), failure digest.
    breaker_failure_threshold: int = 5  # transient failures in a row that open the breaker
    breaker_open_seconds: float = 30.0  # how long an open breaker waits before a probe
    breaker_probe_wait_seconds: float = 5.0  # others wait this long while one push probes
    admin_emails: list[str] = []  # receive the daily failure digest
    failure_digest_at: str = "04:30"  # UTC time of day of the digest (08:00 in Tehran), by email

    # Agency replies the hub could not interpret wait in the review queue (hub.referrals.reviews);
    # one waiting longer than this is alerted, once, by the beat task hub.review_alerts.
    review_alert_after_minutes: float = 60.0
    review_sweep_every_seconds: float = 60.0

    # The audit log (hub.core.audit_keys, hub.supervision.audit): the key of its MACs, kept out of
    # the database (empty: derived from secret_key, see docs/security.md), and the append-only
    # file of its signed head checkpoints (default: data_dir/audit/checkpoints.jsonl).
    audit_key: str = ""
    audit_checkpoint_file: Path | None = None

    @model_validator(mode="after")
    def _refuse_embedded_defaults_in_production(self) -> Settings:
        if self.environment == "production":
            missing = [n for n in ("database_url", "broker_url") if not getattr(self, n)]
            if missing:
                raise ValueError(
                    "production needs " + ", ".join(f"SAMAD_{n.upper()}" for n in missing)
                )
            embedded = [
                f"SAMAD_{name.upper()}"
                for name in ("database_url", "broker_url")
                if str(getattr(self, name)).split(":", 1)[0].lower() in _EMBEDDED_SCHEMES
            ]
            if embedded:
                raise ValueError(
                    "production needs a database server and a broker server, not the embedded "
                    "SQLite or in-memory ones: " + ", ".join(embedded)
                )
            _refuse_weak_secret(self.secret_key)
            if self.audit_key:
                _refuse_weak_secret(self.audit_key, "SAMAD_AUDIT_KEY")
            if self.smtp_username and not self.smtp_password:
                raise ValueError("SAMAD_SMTP_USERNAME is set but SAMAD_SMTP_PASSWORD is empty")
        return self

    def disabled_plugin_names(self) -> list[str]:
        return [name.strip() for name in self.disabled_plugins.split(",") if name.strip()]

    @property
    def effective_secret_key(self) -> str:
        return self.secret_key or DEVELOPMENT_SECRET_KEY

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{(self.data_dir / 'broker.db').resolve()}"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def audit_checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.data_dir / "audit" / "checkpoints.jsonl"


def _refuse_weak_secret(secret: str, name: str = "SAMAD_SECRET_KEY") -> None:
    if not secret.strip() or secret == DEVELOPMENT_SECRET_KEY or secret.lower() in WEAK_SECRETS:
        raise ValueError(f"production needs {name}: a random value, never a default")
    if len(secret) < 32:
        raise ValueError(f"{name} must be at least 32 characters in production")


@functools.cache
def get_settings() -> Settings:
    return Settings()
