"""The test run's real servers: its own PostgreSQL database, its own Redis database, sandboxes.

The settings are made once in ``tests.support.environment`` (imported first, before any hub
module reads them); the fixtures that start the servers are plugins. Nothing is created until a
test asks for it.
"""

from __future__ import annotations

import tests.support.environment  # noqa: F401  (sets the run's environment first)

pytest_plugins = ["tests.support.fixtures", "tests.support.notification_fixtures"]
