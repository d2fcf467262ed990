"""``samad-hub demo``: everything on embedded defaults, no servers needed."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.console import Console


def demo(
    data_dir: Path = typer.Option(None, help="Where to keep state (default: a new temp dir)."),
    timeout: float = typer.Option(80.0, help="Seconds to wait for every request to settle."),
    step_seconds: float = typer.Option(1.0, help="How fast the sandbox agencies work."),
) -> None:
    """Run API, worker, beat and sandbox agencies on SQLite; submit sample requests; judge."""
    from hub.demo.runner import run_demo

    if logging.getLogger().getEffectiveLevel() >= logging.INFO:
        # The live table is the demo's output: one line per HTTP call or SMTP session, or per
        # migration, would bury it. ``--log-level DEBUG`` shows them all.
        for noisy in ("httpx", "mail.log", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    code = run_demo(Console(), data_dir, timeout, step_seconds)
    raise typer.Exit(code)
