"""``samad-hub …`` run as an admin runs it: in its own process, on this test run's servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from hub.core.settings import REPO_ROOT


def samad_hub(
    *args: str, timeout: float = 240, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with these arguments; its exit code and output (wide, for rich's tables).

    ``env``: settings of its own on top of this run's (e.g. another ``SAMAD_DATABASE_URL``),
    left out of this process, whose settings are read once.
    """
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "COLUMNS": "300", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
