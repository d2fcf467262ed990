"""The README's first command: the whole hub on embedded defaults, with no servers at all."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hub.core.settings import REPO_ROOT


def test_the_demo_runs_with_no_servers_and_every_request_reaches_its_state(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMAD_")}
    # No PostgreSQL or Redis address reaches the demo: it must use SQLite for both.
    result = subprocess.run(
        [sys.executable, "-m", "hub", "demo", "--data-dir", str(tmp_path / "demo")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # the point is that it finishes, not how fast on a busy machine
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "every request reached its expected state" in output
    assert "23 requests" in output and "1 duplicate" in output
    # The README says how many requests the demo submits: the number it just printed.
    printed = re.search(r"summary \(\d+s\): (\d+) requests", output)
    readme = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert printed and f"submits {printed.group(1)} Persian sample requests" in readme
    # The late complaint's ladder: escalated, a violation, the citizen's SMS, mail to the offices.
    ladder = re.search(
        r"deadlines: (\d+) escalation steps, (\d+) violation\(s\) recorded, .*?"
        r"\((\d+)\s+SMS to citizens\), (\d+) mail\(s\) to agencies and offices",
        output,
        re.S,
    )
    assert ladder, output[-4000:]
    steps, violations, sms, mails = map(int, ladder.groups())
    assert steps == 5 and violations >= 1 and sms >= 1 and mails >= 1, ladder.group(0)
    assert "INFO httpx" not in output  # a line per HTTP call would bury the live table
    assert (tmp_path / "demo" / "hub.db").exists()
    assert (tmp_path / "demo" / "broker.db").exists()
