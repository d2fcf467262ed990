"""``samad-hub report --month 1405-08 --format xlsx|csv|html``: the monthly table per agency."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

import typer
from rich.console import Console
from rich.progress import Progress

from hub.agreements.registry import get_registry
from hub.api.presenters import agency_names
from hub.db.session import session_scope
from hub.supervision.figures import figures, parse_period
from hub.supervision.reports.monthly import rows, write


def report(
    month: str = typer.Option(..., "--month", help="Jalali month, e.g. 1405-08."),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx, csv or html."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write."),
) -> None:
    """Write the month's figures, one row per agency plus the province, with Persian headers."""
    if fmt not in ("xlsx", "csv", "html"):
        raise typer.BadParameter("xlsx, csv or html", param_hint="--format")
    period = parse_period(month)
    target = output or Path(f"samad-report-{period.label}.{fmt}")
    registry = get_registry()
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task(f"report {period.label}", total=3)
        with session_scope() as session:
            board = figures(session, period, agreement_ids=[a.id for a in registry.all()])
        progress.advance(task)
        table = rows(board, lambda a: agency_names(registry, a)["agency_fa"])
        progress.advance(task)
        kind = cast(Literal["xlsx", "csv", "html"], fmt)  # checked against these three above
        write(target, kind, f"گزارش عملکرد دستگاه‌ها — {period.label_in('fa')}", table)
        progress.advance(task)
    Console().print(f"wrote {target} ({len(table) - 1} agencies)")
