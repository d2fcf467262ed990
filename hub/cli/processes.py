"""``samad-hub serve`` and ``samad-hub worker``: the long-running processes."""

from __future__ import annotations

import typer
import uvicorn

from hub.core.settings import get_settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Number of API processes."),
) -> None:
    """Run the HTTP API (FastAPI under uvicorn)."""
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(
        "hub.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def worker(
    beat: bool = typer.Option(False, "--beat", help="Also run the beat scheduler (the sweeps)."),
    concurrency: int = typer.Option(2, help="Worker threads/processes."),
    pool: str = typer.Option("prefork", help="prefork, threads or solo."),
    queues: str = typer.Option("samad", help="Comma-separated queues to consume."),
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
