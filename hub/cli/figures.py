"""``samad-hub figures``: look after the figures' roll-up by hand."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import Progress

from hub.db.session import session_scope
from hub.supervision.figures import parse_period
from hub.supervision.figures.rollup import refresh as refresh_rollup
from hub.supervision.figures.rollup import touched_months

app = typer.Typer(
    help="The figures' roll-up by day, month, quarter and year.", no_args_is_help=True
)


@app.command()
def refresh(
    period: str = typer.Argument(
        ..., help="1405-08 (month), 1405-Q3 (quarter), 1405 (year) or 1405-01-01..1405-01-15."
    ),
    rebuild: bool = typer.Option(
        False,
        "--rebuild",
        help="Recompute every day of the period's months from the referrals, violations and "
        "feedback, not only those changed since the last refresh (after rows were edited by "
        "hand in SQL without moving their updated_at).",
    ),
) -> None:
    """Bring the roll-up of every month the period touches up to date.

    Reads and the beat (this month and the last, every minute) refresh on their own; this is for
    older months after a repair, or to build a year ahead of its first reading.
    """
    wanted = parse_period(period)
    months = touched_months(wanted)
    redone = 0
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"refreshing {wanted.label}", total=len(months) + 1)
        for month in months:  # a transaction per month: a year does not hold one lock for long
            with session_scope() as session:
                redone += refresh_rollup(session, month, rebuild=rebuild)
            progress.advance(task)
        with session_scope() as session:  # the quarters and years read from those months
            refresh_rollup(session, wanted)
        progress.advance(task)
    how = "rebuilt" if rebuild else "refreshed"
    Console().print(
        f"{wanted.label}: {len(months)} month(s) {how}, {redone} agency-month(s) redone"
    )
