"""The test run's settings: environment variables set once, before any hub module reads them.

The API in the test process and the Celery worker processes the tests start all point at the same
run-private database, broker and data directory. This is a module (imported once, under one
name), not code in conftest.py: conftest may be imported again under another name, and a second
run of this code would move the run to a new data directory behind the cached settings' back.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.support.notification_env import notification_environment

RUN = os.getpid()
DATA_DIR = Path(tempfile.mkdtemp(prefix="samad-test-"))
PG_SERVER = os.environ.get("SAMAD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("SAMAD_TEST_REDIS", "redis://127.0.0.1:6379")
DATABASE_NAME = f"samad_test_{RUN}"
REDIS_DB = 1 + RUN % 15

os.environ.update(
    SAMAD_ENVIRONMENT="test",
    SAMAD_DATA_DIR=str(DATA_DIR),
    SAMAD_DATABASE_URL=f"{PG_SERVER}/{DATABASE_NAME}",
    SAMAD_BROKER_URL=f"{REDIS_SERVER}/{REDIS_DB}",
    SAMAD_REDIS_URL=f"{REDIS_SERVER}/{REDIS_DB}",
    SAMAD_AGREEMENTS_DIR=str(DATA_DIR / "agreements"),
    SAMAD_DISPATCH_EVERY_SECONDS="0.5",
    SAMAD_POLL_SWEEP_EVERY_SECONDS="0.5",
    SAMAD_DELIVERY_BACKOFF_SECONDS="0.2",
    SAMAD_DELIVERY_BACKOFF_MAX_SECONDS="1",
    SAMAD_DELIVERY_MAX_ATTEMPTS="4",
    SAMAD_DISPATCH_LEASE_SECONDS="3",
    SAMAD_DELIVERY_LEASE_SECONDS="10",
    SAMAD_BREAKER_OPEN_SECONDS="1",
    SAMAD_BREAKER_PROBE_WAIT_SECONDS="0.5",
    SAMAD_AGREEMENTS_RELOAD_SECONDS="0",
)
# Deadlines and notifications: the sweeps' shared clock file, and the SMS gateway and SMTP relay
# sandboxes that tests/support/notification_fixtures.py starts on these ports for every run.
os.environ.update(notification_environment(DATA_DIR))
