"""The supervision rooms mounted on the API: the dashboard, its static files, stats, metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def mount_supervision(app: FastAPI) -> None:
    """Add ``/dashboard`` (pages and static files), ``/v1/stats`` and ``/metrics`` to ``app``."""
    from hub.api.routes import metrics, stats
    from hub.web.dashboard import pages, replies

    app.include_router(stats.router)
    app.include_router(metrics.router)
    app.include_router(pages.router)
    app.include_router(replies.router)
    static = Path(__file__).parent / "static"
    app.mount("/dashboard/static", StaticFiles(directory=static), name="dashboard-static")
