"""The embedded broker (kombu's SQLAlchemy transport on SQLite) as the sweeps use it.

The sweeps ask for the queue's length every second or so. kombu's SQLAlchemy channel keeps a
database session from its first query and never closes it; the hub closes it, or the broker's
connection pool (5 + 10) ran dry on a busy machine, where the garbage collector came late, and
every publish then waited 30 s and failed. Run in a process of its own with no SAMAD_* settings
(SQLite for state and broker) and the cyclic garbage collector off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hub.core.settings import REPO_ROOT

SCRIPT = """
import gc, json
gc.disable()  # reference counting only: what a busy process gets between collections
from kombu.transport.sqlalchemy import Channel
from hub.core.celery_app import app
from hub.delivery.dispatch import waiting_tasks

before = [waiting_tasks() for _ in range(40)]
app.send_task("hub.dispatch_due")  # to the default queue (deliveries have their own)
after = [waiting_tasks() for _ in range(5)]
checked_out = sum(engine.pool.checkedout() for engine, _ in Channel._engines.values())
print(json.dumps({"url": app.conf.broker_url, "before": before, "after": after,
                  "checked_out": checked_out}))
"""


def test_asking_the_embedded_queue_its_length_again_and_again_holds_no_connection(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMAD_")}
    env["SAMAD_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # with the leak, the 16th question waits 30 s for a connection, and so on
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["url"].startswith("sqla+sqlite:")
    assert seen["before"] == [0] * 40
    assert seen["after"] == [1] * 5  # the task sent is counted: no stale snapshot either
    assert seen["checked_out"] == 0
    assert "cannot read the length" not in done.stderr
