"""A whole hub in real processes, for breaking on purpose: the fault-injection harness.

``Cluster`` starts, against a PostgreSQL database and a Redis of its own (and, with
``broker="rabbitmq"``, a RabbitMQ node of its own: ``tests.support.private_rabbitmq``): the API
(``python -m hub serve``), several workers (``python -m hub worker``), two beats (the sweeps are
safe to run twice: they claim with ``FOR UPDATE SKIP LOCKED``), and a REST agency sandbox served
from this process on a fixed port (so it can be stopped and started again with its tickets kept).
It then breaks things: SIGKILL a worker mid-delivery, stop and restart its Redis, terminate every
PostgreSQL connection of the hub (``pg_terminate_backend``), take the agency down, make it slow,
make it answer garbage. ``verify()`` says what was lost, duplicated or left unaudited.

The database is made on a shared PostgreSQL server (a URL: ``Cluster(PG_SERVER)``) or on a server
of the caller's own (``Cluster(PrivatePostgres().create())``, ``tests.support.private_postgres``):
only then can the server itself be crashed (``stop_postgres``: ``pg_ctl stop -m immediate``) and
started again (``start_postgres``), since a shared server belongs to everyone on the machine.

Used by ``tests/faults/test_nothing_lost.py`` (short), ``bench/fault_injection.py`` (long),
``bench/chaos.py`` (one fault per window, on a private server) and ``bench/keep_pace.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import kombu
import kombu.exceptions
import psycopg
import redis

from hub.core.settings import REPO_ROOT
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.server import BackgroundServer, free_port
from tests.support.agreements import SAMPLES
from tests.support.private_postgres import PrivatePostgres
from tests.support.private_rabbitmq import PrivateRabbitMQ
from tests.support.requests import citizen_request, national_id

AGREEMENT = "golestan-water"
PROGRESS = ("delivered", "viewed", "in_progress", "forwarded", "resolved")
SETTLED = ("resolved", "delivery_failed")
IN_FLIGHT = ("pending", "delivering")  # a push may have reached the agency, not yet settled
CONNECTION_ERROR = "conn-error"  # submit_one's outcome when the connection failed
TIMEOUT = "timeout"  # submit_one's outcome when no answer came in time


@dataclass
class Verdict:
    accepted: int = 0
    referrals: int = 0
    delivered: int = 0
    failed: list[str] = field(default_factory=list)  # "reference: last error"
    unsettled: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    agency_duplicates: int = 0
    tickets: int = 0
    orphan_tickets: list[str] = field(default_factory=list)
    updates_applied_twice: list[str] = field(default_factory=list)
    audit_gaps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.unsettled
            or self.lost
            or self.agency_duplicates
            or self.orphan_tickets
            or self.updates_applied_twice
            or self.audit_gaps
            or any(not reason.split(": ", 1)[1] for reason in self.failed)
        )


def _agreement(url: str, poll_seconds: int = 1) -> str:
    text = (SAMPLES / "golestan-water.yaml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8731", url)
    text = re.sub(r"interval_seconds: \d+", f"interval_seconds: {poll_seconds}", text)
    text = text.replace("timeout_seconds: 10", "timeout_seconds: 2")
    text = re.sub(
        r"auth:\n\s+type: bearer\n\s+token: \$\{env:SAMAD_WATER_TOKEN\}\n",
        "auth:\n      type: none\n",
        text,
    )
    delivery = (
        "delivery:\n  idempotency: header\n  max_attempts: 40\n  backoff_seconds: 0.2\n"
        "  backoff_max_seconds: 1\n"
        "  breaker_failures: 8\n  breaker_open_seconds: 1\n"
    )
    return re.sub(r"delivery:\n(  .*\n)+", delivery, text)


class Cluster:
    def __init__(
        self,
        pg_server: str | PrivatePostgres,
        workers: int = 2,
        broker: str = "redis",
        poll_seconds: int = 1,
    ) -> None:
        """``pg_server``: a server URL without a database (shared: never stopped here), or a
        created ``PrivatePostgres`` the cluster may crash and restart (its caller removes it).
        ``poll_seconds``: the agreement's polling interval (1: every referral is asked every
        second, far more often than the sample agreement's 300 s, to exercise the polls)."""
        self.root = Path(tempfile.mkdtemp(prefix="samad-faults-"))
        self.db_name = f"samad_faults_{os.getpid()}_{free_port()}"
        self.postgres = pg_server if isinstance(pg_server, PrivatePostgres) else None
        if isinstance(pg_server, PrivatePostgres):
            pg_server = pg_server.server_url
        self.pg_server = pg_server
        self.database_url = f"{pg_server}/{self.db_name}"
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.broker = broker
        self._rabbitmq: PrivateRabbitMQ | None = None
        self.api_port = free_port()
        self.sandbox_port = free_port()
        self.worker_count = workers
        self.poll_seconds = poll_seconds
        self.agency: RestSandboxApp = create_app(
            RestSandboxSettings(step_seconds=0.3, ticket_prefix="WTR")
        )
        self._sandbox: BackgroundServer | None = None
        self._redis: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.others: list[subprocess.Popen[bytes]] = []
        self.accepted: list[str] = []
        self.refused = 0
        self._seed = 0
        self.faults: list[tuple[float, str]] = []
        self.token = ""
        self._snapshot: psycopg.Connection[tuple[Any, ...]] | None = None

    # --- starting and stopping ------------------------------------------------------------

    @property
    def broker_url(self) -> str:
        if self._rabbitmq is not None:
            return self._rabbitmq.url
        return self.redis_url

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAMAD_")}
        env.update(
            SAMAD_ENVIRONMENT="test",
            SAMAD_DATA_DIR=str(self.root / "data"),
            SAMAD_DATABASE_URL=self.database_url,
            SAMAD_BROKER_URL=self.broker_url,
            SAMAD_REDIS_URL=self.redis_url,
            SAMAD_AGREEMENTS_DIR=str(self.root / "agreements"),
            SAMAD_DISPATCH_EVERY_SECONDS="0.5",
            SAMAD_POLL_SWEEP_EVERY_SECONDS="0.5",
            SAMAD_DISPATCH_LEASE_SECONDS="4",
            SAMAD_DELIVERY_LEASE_SECONDS="6",
            SAMAD_BREAKER_OPEN_SECONDS="1",
            SAMAD_BREAKER_PROBE_WAIT_SECONDS="0.5",
            SAMAD_AGREEMENTS_RELOAD_SECONDS="5",
        )
        return env

    def start(self) -> Cluster:
        (self.root / "agreements").mkdir(parents=True)
        (self.root / "data").mkdir()
        sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        (self.root / "agreements" / f"{AGREEMENT}.yaml").write_text(
            _agreement(sandbox_url, self.poll_seconds), encoding="utf-8"
        )
        self.start_agency()
        self.start_redis()
        if self.broker == "rabbitmq":
            self._rabbitmq = PrivateRabbitMQ().start()
        self._create_database()
        self.token = self._operator_token()
        api = self._spawn("api", ["serve", "--port", str(self.api_port)])
        self.others.append(api)
        # The API first, on its own: five processes importing at once on a loaded 2-core
        # machine made it miss its start-up wait.
        self._wait_for_api(api)
        for _ in range(self.worker_count):
            self.workers.append(self._spawn_worker())
        for i in range(2):
            self.others.append(self._spawn_beat(i))
        return self

    def stop(self, keep: bool = False) -> None:
        """Stop every process; drop the database and the logs unless ``keep``."""
        for process in [*self.workers, *self.others]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, *self.others]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.stop_redis()
        self.stop_agency()
        if self._rabbitmq is not None:
            self._rabbitmq.stop()  # its queues go with it, kept or not
            self._rabbitmq = None
        if keep:
            return
        if self.postgres is None:  # a private server goes as a whole, with its owner's remove()
            with psycopg.connect(self._admin_dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        shutil.rmtree(self.root, ignore_errors=True)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with (self.root / f"{name}-{time.monotonic_ns()}.log").open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "hub", "--log-level", "WARNING", *args],
                cwd=REPO_ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _spawn_worker(self) -> subprocess.Popen[bytes]:
        args = ["worker", "--pool", "threads", "--concurrency", "4", "--loglevel", "WARNING"]
        return self._spawn("worker", args)

    def _spawn_beat(self, index: int) -> subprocess.Popen[bytes]:
        schedule = self.root / "data" / f"beat-{index}"
        with (self.root / f"beat-{index}.log").open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "hub.core.celery_app:app", "beat",
                 "--loglevel", "WARNING", f"--schedule={schedule}"],
                cwd=REPO_ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def _admin_dsn(self) -> str:
        return self.pg_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"

    def _create_database(self) -> None:
        with psycopg.connect(self._admin_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        subprocess.run(
            [sys.executable, "-m", "hub", "db", "upgrade"],
            cwd=REPO_ROOT, env=self.env(), check=True, capture_output=True,
        )  # fmt: skip

    def _operator_token(self) -> str:
        made = subprocess.run(
            [sys.executable, "-m", "hub", "tokens", "create", "faults", "--role", "operator"],
            cwd=REPO_ROOT, env=self.env(), check=True, capture_output=True, text=True,
        )  # fmt: skip
        return made.stdout.strip().splitlines()[-1]

    def _wait_for_api(self, api: subprocess.Popen[bytes], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if api.poll() is not None:
                raise RuntimeError(f"the API exited with {api.returncode}: " + self.logs())
            try:
                if httpx.get(f"{self.api_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the API did not start: " + self.logs())

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}"
            for p in sorted(self.root.glob("*.log"))
        )

    # --- faults -----------------------------------------------------------------------------

    def note(self, fault: str) -> None:
        self.faults.append((time.monotonic(), fault))

    def start_agency(self) -> None:
        self._sandbox = BackgroundServer(self.agency, port=self.sandbox_port).start()

    def stop_agency(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None

    def start_redis(self) -> None:
        self._redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.redis_port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop_redis(self) -> None:
        if self._redis is not None:
            self._redis.kill()
            self._redis.wait()
            self._redis = None

    def restart_redis(self, down_seconds: float) -> None:
        self.note("redis stopped")
        self.stop_redis()
        time.sleep(down_seconds)
        self.start_redis()

    def kill_worker_mid_delivery(self, slow_seconds: float = 1.5) -> None:
        """Make pushes slow so some are in flight, SIGKILL a worker, start a new one."""
        self.note("worker killed")
        self.agency.faults.set("slow", count=20, delay_seconds=slow_seconds)
        time.sleep(slow_seconds / 2)
        victim = self.workers.pop(0)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.workers.append(self._spawn_worker())

    def drop_database_connections(self) -> int:
        self.note("postgresql connections terminated")
        with psycopg.connect(self._admin_dsn(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.db_name,),
            ).fetchall()
        return len(rows)

    def stop_postgres(self) -> None:
        """Crash the private PostgreSQL server (``pg_ctl stop -m immediate``): every connection
        cut, nothing checkpointed. Refused on a shared server."""
        if self.postgres is None:
            raise RuntimeError(
                "only a private PostgreSQL server may be stopped: Cluster(PrivatePostgres)"
            )
        self.note("postgresql stopped")
        self.postgres.stop("immediate")

    def start_postgres(self) -> None:
        """Start the private server again (crash recovery first); the hub's pools reconnect."""
        if self.postgres is None:
            raise RuntimeError(
                "only a private PostgreSQL server may be started: Cluster(PrivatePostgres)"
            )
        self.postgres.start()
        self.note("postgresql started")

    def agency_down(self, seconds: float) -> None:
        self.note("agency down")
        self.stop_agency()
        time.sleep(seconds)
        self.start_agency()

    def agency_misbehaves(self, mode: str, count: int, delay_seconds: float = 1.0) -> None:
        self.note(f"agency {mode}")
        self.agency.faults.set(mode, count=count, delay_seconds=delay_seconds)

    def queue_depth(self) -> int | None:
        """Tasks waiting in the broker's queue (None: the broker cannot be asked now)."""
        try:
            with kombu.Connection(self.broker_url, connect_timeout=2) as connection:
                channel: Any = connection.default_channel  # kombu's StdChannel has no stubs for it
                return int(channel.queue_declare("samad", passive=True).message_count)
        except kombu.exceptions.ChannelError:
            return 0  # not declared yet, or (Redis) an empty list
        except Exception:
            return None

    # --- load -------------------------------------------------------------------------------

    def submit_one(
        self, seed: int, client: httpx.Client | None = None, timeout: float = 15
    ) -> tuple[str, str | None]:
        """Submit one request (the citizen's national id made from ``seed``): the outcome (the
        HTTP status, ``TIMEOUT`` or ``CONNECTION_ERROR:<httpx error class>``) and the tracking
        code if it was accepted (201). Not recorded in ``accepted``: the caller decides what a
        run counts."""
        body = citizen_request()
        body["citizen"]["national_id"] = national_id(seed)
        post = client.post if client is not None else httpx.post
        try:
            answer = post(
                f"{self.api_url}/v1/requests",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=timeout,
            )
        except httpx.TimeoutException:
            return TIMEOUT, None
        except httpx.HTTPError as exc:  # the class says which: refused, reset, closed early
            return f"{CONNECTION_ERROR}:{type(exc).__name__}", None
        if answer.status_code != 201:
            return str(answer.status_code), None
        return "201", str(answer.json()["tracking_code"])

    def submit(self, count: int, threads: int = 4) -> None:
        """Submit ``count`` requests; the ones answered 201 are the accepted ones."""

        def one(seed: int) -> str | None:
            return self.submit_one(seed)[1]

        seeds = range(self._seed, self._seed + count)
        self._seed += count
        with ThreadPoolExecutor(threads) as pool:
            for code in pool.map(one, seeds):
                if code:
                    self.accepted.append(code)
                else:
                    self.refused += 1

    # --- verdict ----------------------------------------------------------------------------

    def _query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if self._snapshot is not None:
            return self._snapshot.execute(sql, args).fetchall()
        dsn = self.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            return conn.execute(sql, args).fetchall()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every query inside sees the database as of one moment (REPEATABLE READ): rows and
        events read a few milliseconds apart from a hub still at work would disagree."""
        dsn = self.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            self._snapshot = conn
            try:
                yield
            finally:
                self._snapshot = None

    def unsettled(self) -> int:
        rows = self._query(
            "SELECT count(*) FROM referrals r JOIN requests q ON q.id = r.request_id "
            "WHERE q.tracking_code = ANY(%s) AND r.state <> ALL(%s)",
            self.accepted,
            list(SETTLED),
        )
        return int(rows[0][0])

    def settle(self, timeout: float) -> float:
        """Seconds until every accepted request's referrals are resolved or failed."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.unsettled() == 0:
                return time.monotonic() - started
            time.sleep(0.5)
        return float("inf")

    def verify(self) -> Verdict:
        """What was lost, duplicated or left unaudited: the agency's tickets first, then the
        hub's rows and events in one snapshot, so a hub still moving cannot make them disagree
        (a ticket opened by a push whose referral the snapshot sees still in flight is not an
        orphan)."""
        tickets = self._agency_tickets()
        with self.snapshot():
            return self._verify(tickets)

    def _verify(self, tickets: list[tuple[str, str]]) -> Verdict:
        verdict = Verdict(accepted=len(self.accepted))
        requests = dict(
            self._query(
                "SELECT tracking_code, id FROM requests WHERE tracking_code = ANY(%s)",
                self.accepted,
            )
        )
        verdict.lost = [code for code in self.accepted if code not in requests]
        referrals = self._query(
            "SELECT id, request_id, reference, state, external_id, last_error, delivered_at "
            "FROM referrals"
        )
        accepted_ids = set(requests.values())
        mine = [r for r in referrals if r[1] in accepted_ids]
        verdict.referrals = len(mine)
        for _id, _request, reference, state, external_id, last_error, _at in mine:
            if state in PROGRESS and external_id:
                verdict.delivered += 1
            elif state == "delivery_failed":
                verdict.failed.append(f"{reference}: {last_error or ''}")
            else:
                verdict.unsettled.append(f"{reference}: {state}")
        self._check_agency(verdict, referrals, tickets)
        self._check_updates(verdict)
        self._check_audit(verdict, referrals)
        return verdict

    def explain(self, references: list[str], events: int = 8) -> list[str]:
        """One paragraph per referral, to read after a run: its row (state, attempts, when its
        next attempt is due, relative to now, the last error) and its last ``events`` events."""
        if not references:
            return []
        rows = self._query(
            "SELECT id, reference, state, version, attempts, "
            "extract(epoch FROM next_attempt_at - now()), last_error, external_id, updated_at "
            "FROM referrals WHERE reference = ANY(%s) ORDER BY id",
            references,
        )
        lines = []
        for rid, ref, state, version, attempts, due_in, error, external, updated in rows:
            due = "none" if due_in is None else f"{float(due_in):+.1f} s"
            lines.append(
                f"referral {rid} {ref}: {state} v{version}, {attempts} attempts, next attempt "
                f"{due}, external {external}, updated {updated:%H:%M:%S.%f}, last error {error!r}"
            )
            history = self._query(
                "SELECT id, kind, from_state, to_state, actor, created_at, data FROM events "
                "WHERE referral_id = %s ORDER BY id DESC LIMIT %s",
                rid,
                events,
            )
            for eid, kind, before, after, actor, at, data in reversed(history):
                what = f"{before} → {after}" if after else ""
                extra = {k: v for k, v in (data or {}).items() if k in ("reason", "error")}
                lines.append(f"    {eid} {at:%H:%M:%S.%f} {kind} {what} by {actor} {extra or ''}")
        return lines

    def retry_scheduled(self, references: list[str]) -> dict[str, float]:
        """Of these referrals, the pending ones whose next attempt is still ahead (a backoff or
        an open breaker), and in how many seconds; the rest nothing will send by itself."""
        if not references:
            return {}
        rows = self._query(
            "SELECT reference, extract(epoch FROM next_attempt_at - now()) FROM referrals "
            "WHERE reference = ANY(%s) AND state = 'pending' AND next_attempt_at > now()",
            references,
        )
        return {reference: float(seconds) for reference, seconds in rows}

    def tickets_per_reference(self) -> Counter[str]:
        """How many tickets the agency opened for each referral reference (more than one: a
        duplicate, counted at the agency as ``_check_agency`` does)."""
        return Counter(reference for _id, reference in self._agency_tickets())

    def _agency_tickets(self) -> list[tuple[str, str]]:
        """(ticket id, the referral reference it carries) of every ticket the agency opened."""
        return [(ticket.id, str(ticket.data.get("ref"))) for ticket in self.agency.tickets.opened()]

    def _check_agency(
        self,
        verdict: Verdict,
        referrals: list[tuple[Any, ...]],
        tickets: list[tuple[str, str]],
    ) -> None:
        verdict.tickets = len(tickets)
        by_reference = {r[2]: r for r in referrals}
        refs: Counter[str] = Counter()
        for ticket_id, reference in tickets:
            refs[reference] += 1
            row = by_reference.get(reference)
            in_flight = row is not None and row[3] in IN_FLIGHT and row[4] is None
            if row is None or (row[4] != ticket_id and not in_flight):
                verdict.orphan_tickets.append(f"{ticket_id} ({reference})")
        # Counted here, ticket by ticket: a second ticket for one reference is a duplicate.
        verdict.agency_duplicates = sum(n - 1 for n in refs.values() if n > 1)

    def _check_updates(self, verdict: Verdict) -> None:
        rows = self._query(
            "SELECT referral_id, to_state, count(*) FROM events "
            "WHERE kind = 'referral.state_changed' AND actor = 'poll' "
            "GROUP BY referral_id, to_state HAVING count(*) > 1"
        )
        verdict.updates_applied_twice = [f"referral {r[0]} → {r[1]} ×{r[2]}" for r in rows]

    def _check_audit(self, verdict: Verdict, referrals: list[tuple[Any, ...]]) -> None:
        """Every referral's state changes, replayed from the events, end where it is."""
        moves: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for referral_id, from_state, to_state in self._query(
            "SELECT referral_id, from_state, to_state FROM events "
            "WHERE kind = 'referral.state_changed' ORDER BY id"
        ):
            moves[referral_id].append((from_state, to_state))
        created = {r[0] for r in self._query(
            "SELECT referral_id FROM events WHERE kind = 'referral.created'"
        )}  # fmt: skip
        for referral_id, _request, reference, state, *_ in referrals:
            if referral_id not in created:
                verdict.audit_gaps.append(f"{reference}: no referral.created event")
                continue
            current = "pending"
            for from_state, to_state in moves[referral_id]:
                if from_state != current:
                    verdict.audit_gaps.append(f"{reference}: {current} then {from_state}")
                current = to_state
            if current != state:
                verdict.audit_gaps.append(f"{reference}: events end at {current}, row {state}")


def run_scenario(
    cluster: Cluster,
    total: int,
    rounds: int = 1,
    down_seconds: float = 6,
    settle_seconds: float = 300,  # generous: that it settles is the point, not how fast
) -> float:
    """Submit ``total`` requests in the background while every fault happens ``rounds`` times;
    returns the seconds from the last fault until everything settled (inf: it never did)."""
    import threading

    batches = max(1, total // 20)

    def load() -> None:
        for _ in range(batches):
            cluster.submit(20)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    for _ in range(rounds):
        cluster.kill_worker_mid_delivery()
        time.sleep(2)
        cluster.restart_redis(down_seconds=2)
        time.sleep(2)
        cluster.drop_database_connections()
        time.sleep(1)
        cluster.kill_worker_mid_delivery()
        time.sleep(2)
        cluster.agency_down(down_seconds)
        time.sleep(1)
        cluster.agency_misbehaves("garbage", count=10)
        time.sleep(1)
        cluster.agency_misbehaves("slow", count=10, delay_seconds=3)  # past the 2 s timeout
        time.sleep(2)
        cluster.drop_database_connections()
        cluster.kill_worker_mid_delivery()
    loader.join()
    cluster.agency.faults.reset()
    return cluster.settle(timeout=settle_seconds)
