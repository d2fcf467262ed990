"""``samad-hub serve``, ``samad-hub worker`` and ``samad-hub beat``: the long-running processes."""

from __future__ import annotations

import logging

import typer
import uvicorn

from hub.core.queues import WORKER_QUEUES
from hub.core.settings import get_settings

log = logging.getLogger("hub.serve")


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Number of API processes."),
) -> None:
    """Run the HTTP API (FastAPI under uvicorn).

    Forwarded headers (X-Forwarded-For, X-Forwarded-Proto) are believed only from
    ``SAMAD_TRUSTED_PROXIES`` (default 127.0.0.1, a proxy on this host; empty: from no one).
    Each request is logged by the hub itself (one access line with its request id), so
    uvicorn's own access log stays off.
    """
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    log.info("API starting on http://%s:%d, %d process(es)", host, port, workers)
    uvicorn.run(
        "hub.cli.serving:create_app",  # hub.web.app's, logging when each process is ready
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


def worker(
    beat: bool = typer.Option(False, "--beat", help="Also run the beat scheduler (the sweeps)."),
    concurrency: int = typer.Option(2, help="Worker threads/processes."),
    pool: str = typer.Option("prefork", help="prefork, threads or solo."),
    queues: str = typer.Option(
        WORKER_QUEUES, help="Comma-separated queues to consume (deliveries have their own)."
    ),
    loglevel: str = typer.Option("INFO", help="Celery log level."),
) -> None:
    """Run a Celery worker: deliveries, polls and (with --beat) the periodic sweeps."""
    from hub.core.celery_app import app

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--pool={pool}",
        f"--queues={queues}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        argv += ["--beat", f"--schedule={get_settings().data_dir / 'beat-schedule'}"]
    app.worker_main(argv)


def beat(
    schedule: str = typer.Option(
        "", help="File where beat keeps when each sweep last ran (default: data dir/beat-schedule)."
    ),
    loglevel: str = typer.Option("INFO", help="Celery log level."),
) -> None:
    """Run the beat scheduler alone: it sends the periodic sweeps (dispatch, polls, deadlines …).

    In production run exactly one, as a service of its own (docs/deploy.md), rather than
    ``worker --beat`` inside a worker: it is then restarted on its own when it dies, and every
    worker's watchdog alerts a sweep that stops running.
    """
    from hub.core.celery_app import app

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    where = schedule or str(settings.data_dir / "beat-schedule")
    app.start(["beat", f"--schedule={where}", f"--loglevel={loglevel}"])
