"""The README's first command: the whole hub on embedded defaults, with no servers at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hub.settings import REPO_ROOT


def test_the_demo_runs_with_no_servers_and_every_request_reaches_its_state(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMAD_")}
    # No PostgreSQL or Redis address reaches the demo: it must use SQLite for both.
    result = subprocess.run(
        [sys.executable, "-m", "hub", "demo", "--data-dir", str(tmp_path / "demo")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "every request reached its expected state" in output
    assert "23 requests" in output and "1 duplicate" in output
    assert (tmp_path / "demo" / "hub.db").exists()
    assert (tmp_path / "demo" / "broker.db").exists()
