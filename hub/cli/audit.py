"""``samad-hub audit``: seal the event log into its hash chain, and verify the chain."""

from __future__ import annotations

import typer
from rich.console import Console

from hub.audit import seal as seal_events
from hub.audit import verify as verify_chain
from hub.db.session import session_scope

app = typer.Typer(help="The tamper-evident event log.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Walk the hash chain of events; name the first event changed, inserted or removed."""
    console = Console(soft_wrap=True)
    with session_scope() as session:
        verdict = verify_chain(session)
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
