"""A RabbitMQ of a test's own: a ``rabbitmq-server`` node started for it, never the machine's.

``PrivateRabbitMQ`` runs a node with its own name, free loopback ports, data, logs and Erlang
cookie, all in a temporary directory removed when it stops. It needs ``rabbitmq-server``
installed (:meth:`PrivateRabbitMQ.available`), not running; the one thing it shares with a
machine's RabbitMQ is the Erlang port mapper (epmd), which that node started already or this one
starts. Starting takes a few seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import kombu
import kombu.exceptions

from hub.sandbox.server import free_port

# Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user and the machine's node; the
# scripts it wraps start whichever node the environment describes.
_SCRIPTS = Path("/usr/lib/rabbitmq/bin")


def _script(name: str) -> str | None:
    script = _SCRIPTS / name
    return str(script) if script.is_file() else shutil.which(name)


class PrivateRabbitMQ:
    """``start()``, then brokers connect to ``url`` (the default vhost); ``stop()`` removes it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="samad-rabbitmq-"))
        self.node = f"samad-test-{os.getpid()}-{self.port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self._dist_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return bool(_script("rabbitmq-server") and _script("rabbitmqctl"))

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.root),  # the Erlang cookie the node and rabbitmqctl share
            "RABBITMQ_CONF_ENV_FILE": os.devnull,  # not /etc/rabbitmq/rabbitmq-env.conf's node
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq"),  # no such file: the defaults
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self._dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self, timeout: float = 90) -> PrivateRabbitMQ:
        server = _script("rabbitmq-server")
        if server is None:
            raise RuntimeError("rabbitmq-server is not installed")
        (self.root / "enabled_plugins").write_text("[].\n", encoding="utf-8")
        with (self.root / "server.log").open("wb") as log:
            self._process = subprocess.Popen(
                [server], env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited: {self._log_tail()}")
            try:
                with kombu.Connection(self.url, connect_timeout=1) as connection:
                    connection.connect()
                return self
            except (OSError, kombu.exceptions.OperationalError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"rabbitmq-server did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the node and remove its files (its script stops it cleanly on SIGTERM)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.ctl("stop")
                self._process.wait(timeout=30)
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``rabbitmqctl`` against this node."""
        return subprocess.run(
            [_script("rabbitmqctl") or "rabbitmqctl", "-n", self.node, "-q", *args],
            env=self.env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    def _log_tail(self) -> str:
        return (self.root / "server.log").read_text(errors="replace")[-2000:]
