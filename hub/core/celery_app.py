"""The one Celery app: Redis (or RabbitMQ) in production, kombu's SQLAlchemy transport embedded.

No result backend: tasks take ids, do idempotent work against the database and return nothing
anyone waits for. Beat runs the sweeps; what is due lives in the database, never in ETA tasks.

Broker restarts are survived, not fatal: workers and beat retry the connection for as long as it
takes (Celery's default gives up after 100 tries, and 0 does not mean "for ever"), a channel error
is retried as a connection error is, and on Redis an idle connection is checked before use so a
socket the restart killed is replaced instead of failing. pyproject.toml asks for the releases
with the upstream fixes of Redis reconnects (Celery and kombu 5.7: a worker that reconnected but
consumed nothing, kombu #2007; timers and callbacks of the lost connection crashing the event
loop, kombu #2498, Celery #10218). The crash those releases still have — ``Unrecoverable error:
AttributeError('NoneType' object has no attribute 'hostname')`` when a channel of the lost
connection is used again — is fixed in the hub's Redis transport (:mod:`hub.core.redis_broker`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from kombu import Queue

from hub.core.queues import DEFAULT_QUEUE, DELIVERY_QUEUE, DELIVERY_TASKS
from hub.core.settings import Settings, get_settings
from hub.core.unreachable import UNREACHABLE, first_line, unavailable_cause

log = logging.getLogger("hub.worker")


class HubTask(Task):
    """Every hub task: a database or broker out of reach is one warning line with its cause.

    A PostgreSQL restart fails every task running at that moment; a traceback of several screens
    each buried the log. Celery logs the exceptions in ``throws`` as expected (no traceback, at
    INFO); this adds the one line an operator reads at WARNING. Nothing is lost by such a
    failure: what is due lives in the database and the sweeps send it again.
    """

    throws = UNREACHABLE

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        cause = unavailable_cause(exc)
        if cause is not None:
            log.warning(
                "task %s[%s]: the %s is out of reach (%s); the sweeps send its work again",
                self.name,
                task_id,
                cause,
                first_line(exc),
            )
        super().on_failure(exc, task_id, args, kwargs, einfo)


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app: Celery = Celery(
        "samad_hub",
        broker=settings.effective_broker_url,
        task_cls=HubTask,
        include=[
            "hub.worker.tasks",
            "hub.worker.supervision_tasks",
            "hub.worker.review_tasks",
            "hub.worker.sweep_watch",
        ],
    )
    app.conf.update(
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=DEFAULT_QUEUE,
        task_routes={name: {"queue": DELIVERY_QUEUE} for name in DELIVERY_TASKS},
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # for ever: a worker that gives up stays down
        broker_channel_error_retry=True,
        broker_transport_options={"visibility_timeout": 3600},
        timezone="UTC",
        beat_schedule={
            "seal-audit-events": {
                "task": "hub.seal_events",
                "schedule": settings.audit_seal_every_seconds,
            },
            "refresh-figures": {
                "task": "hub.refresh_figures",
                "schedule": settings.figures_refresh_every_seconds,
            },
            "dispatch-due-deliveries": {
                "task": "hub.dispatch_due",
                "schedule": settings.dispatch_every_seconds,
            },
            "poll-due-referrals": {
                "task": "hub.poll_sweep",
                "schedule": settings.poll_sweep_every_seconds,
            },
            "sweep-due-deadlines": {
                "task": "hub.deadline_sweep",
                "schedule": settings.deadline_sweep_every_seconds,
            },
            "send-due-notifications": {
                "task": "hub.notification_sweep",
                "schedule": settings.notification_sweep_every_seconds,
            },
            "alert-waiting-replies": {
                "task": "hub.review_alerts",
                "schedule": settings.review_sweep_every_seconds,
            },
            "failure-digest": {
                "task": "hub.failure_digest",
                "schedule": _daily_at(settings.failure_digest_at),
            },
        },
    )
    if settings.effective_broker_url.startswith("sqla+"):
        # The SQLAlchemy transport hands every transport option to create_engine(): none apply.
        app.conf.broker_transport_options = {}
    if settings.effective_broker_url.startswith(("redis://", "rediss://")):
        app.conf.broker_transport = "hub.core.redis_broker:Transport"  # lives through restarts
        app.conf.broker_transport_options = REDIS_TRANSPORT_OPTIONS
    if settings.effective_broker_url.startswith(("amqp://", "amqps://", "pyamqp://")):
        _safe_on_rabbitmq(app)
    return app


REDIS_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,  # above the longest delivery (docs/deploy.md)
    # PING a connection idle this long before using it (kombu #1019, #1145): after a restart the
    # dead socket is found and replaced, not written to.
    "health_check_interval": 10,
    "socket_keepalive": True,
    "socket_connect_timeout": 5,  # a Redis that is down is told at once, not after minutes
    "socket_timeout": 30,  # above BRPOP's own wait (1 s); a hung server is not waited on for ever
    "retry_on_timeout": True,  # one timed-out command is tried again on a fresh connection
}


def _safe_on_rabbitmq(app: Celery) -> None:
    """RabbitMQ: the publisher waits for the broker's confirm (a send that returned is stored),
    and the queue is a quorum queue (replicated, durable, survives a broker restart)."""
    app.conf.broker_transport_options = {"confirm_publish": True}
    app.conf.task_queues = tuple(
        Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"})
        for name in (DEFAULT_QUEUE, DELIVERY_QUEUE)
    )
    app.conf.task_default_delivery_mode = "persistent"
    app.conf.worker_detect_quorum_queues = True


def _daily_at(hh_mm: str) -> crontab:
    hour, minute = (int(part) for part in hh_mm.split(":"))
    return crontab(hour=hour, minute=minute)


app = make_celery()
