"""``samad-hub audit``: seal the event log into its hash chain, and verify the chain."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import func, select

from hub.db.models import Event
from hub.db.session import session_scope
from hub.supervision.audit import seal as seal_events
from hub.supervision.audit import verify as verify_chain

app = typer.Typer(help="The tamper-evident event log.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Walk the hash chain of events; name the first event changed, inserted or removed."""
    console = Console(soft_wrap=True)
    with session_scope() as session:
        sealed = session.scalar(select(func.count()).where(Event.seq.is_not(None))) or 0
        # A year holds millions of events: show how far the walk is, on stderr.
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("verifying the event chain", total=sealed)
            verdict = verify_chain(
                session, on_batch=lambda checked: progress.update(task, completed=checked)
            )
    if verdict.ok:
        console.print(
            f"[green]chain intact[/green]: {verdict.checked} events checked, "
            f"{verdict.unsealed} not sealed yet"
        )
        return
    console.print(f"[red]chain broken[/red] after {verdict.checked} good events: {verdict.problem}")
    raise typer.Exit(1)


@app.command()
def seal() -> None:
    """Chain the events written since the last seal (the beat sweep does this every few seconds)."""
    total = 0
    while True:
        with session_scope() as session:
            count = seal_events(session)
        total += count
        if not count:
            break
    Console().print(f"sealed {total} events")
