"""A PostgreSQL server of a test's own, for tests that stop and start it on purpose.

``PrivatePostgres`` is a cluster made by ``initdb`` in a temporary directory and served on a free
loopback port with trust authentication. ``stop()`` stops it as a crash would (``pg_ctl stop -m
immediate``: no checkpoint, every connection cut), ``start()`` brings it back on the same port
(after crash recovery), where its clients' pools reconnect. ``remove()`` stops it and deletes it.
``server_url`` is the server without a database, for a user that makes databases of its own on it
(``tests/faults/harness.py``'s ``Cluster``, ``bench/chaos.py``).

``initdb`` refuses to run as root, and the server will not either: as root, the cluster is made
and served by an unprivileged user (``postgres``, else ``nobody``) that owns its directory — made
outside pytest's ``tmp_path``, which only root may enter.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from hub.sandbox.server import free_port

UNPRIVILEGED = ("postgres", "nobody")


def _unprivileged_user() -> str:
    for name in UNPRIVILEGED:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError(f"running as root and none of the users {UNPRIVILEGED} exists")


class PrivatePostgres:
    """``create()``, then the hub connects to ``url`` (an empty database ``samad``)."""

    def __init__(self, database: str = "samad") -> None:
        self.root = Path(tempfile.mkdtemp(prefix="samad-pg-"))
        self.port = free_port()
        self.database = database
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
        self._owner = _unprivileged_user() if os.geteuid() == 0 else None
        self._running = False

    @property
    def server_url(self) -> str:
        """The server's SQLAlchemy URL without a database: append ``/<name>`` to use one."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._running

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("initdb") and shutil.which("pg_ctl"))

    @property
    def _data(self) -> Path:
        return self.root / "data"

    @property
    def _log(self) -> Path:
        return self.root / "server.log"

    def create(self) -> PrivatePostgres:
        if self._owner is not None:
            shutil.chown(self.root, self._owner)
        self._run("initdb", "--no-sync", "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "-D", str(self._data))  # fmt: skip
        self.start()
        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        return self

    def start(self) -> None:
        """Start it (again) and wait until it takes connections."""
        # fsync off: a test's data need only outlive the server's crash, not the machine's.
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self._data),
                  "-l", str(self._log), "-o", options)  # fmt: skip
        self._running = True

    def stop(self, mode: str = "immediate") -> None:
        """Stop it; ``immediate`` (the default) is a crash: connections cut, nothing flushed."""
        self._run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self._data))
        self._running = False

    def remove(self) -> None:
        if self._running:
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self._log.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def _run(self, *command: str) -> None:
        as_owner = ["runuser", "-u", self._owner, "--"] if self._owner is not None else []
        done = subprocess.run(
            [*as_owner, *command], capture_output=True, text=True, timeout=90, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command[:2])} failed ({done.returncode}): {done.stdout}{done.stderr}"
                f"\n--- server log\n{self.log_tail()}"
            )
