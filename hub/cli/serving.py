"""The API as ``samad-hub serve`` runs it: the application, and the line it logs once it is ready.

Each API process logs ``API process <pid> ready to accept requests after <s> s of start-up`` when
its application has started (the ASGI lifespan's start-up is complete): the seconds are counted
from the process's own start, so they include the imports, which are most of it. A supervisor or a
person reading the log knows from that line on that the process answers.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("hub.serve")
_IMPORTED = time.monotonic()


def create_app() -> Any:
    """The hub's FastAPI application (:func:`hub.web.app.create_app`), announcing when ready."""
    from hub.web.app import create_app as create_api

    if not logging.getLogger().handlers:  # a process uvicorn spawned (--workers): log as the CLI
        from hub.auth.masking import install_log_masking
        from hub.core.logs import configure
        from hub.core.settings import get_settings

        install_log_masking()
        configure("INFO", get_settings().log_format)
    return AnnounceReady(create_api())


class AnnounceReady:
    """An ASGI application that logs its process's start-up time when the lifespan completes."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def announcing(message: dict[str, Any]) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                log.info(
                    "API process %d ready to accept requests after %.2f s of start-up",
                    os.getpid(),
                    process_age(),
                )

        await self.app(scope, receive, announcing)


def process_age() -> float:
    """Seconds since this process started (from /proc; elsewhere since this module's import)."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(stat[19]) / os.sysconf("SC_CLK_TCK")  # field 22, the start time
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED
