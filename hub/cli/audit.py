"""``samad-hub audit``: seal the event log into its keyed chain, and verify the chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from hub.core.errors import Refused
from hub.db.session import session_scope
from hub.supervision.audit import seal as seal_events
from hub.supervision.audit import sealed_count
from hub.supervision.audit_verify import Verdict
from hub.supervision.audit_verify import verify as verify_chain

app = typer.Typer(help="The tamper-evident event log.", no_args_is_help=True)

CheckpointsOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        help="Check the head against this file of checkpoints (e.g. the lines the log kept) "
        "instead of SAMAD_AUDIT_CHECKPOINT_FILE.",
    ),
]


@app.command()
def verify(checkpoints: CheckpointsOption = None) -> None:
    """Walk the event chain and check its head against the last checkpoint; name every event
    changed, inserted, removed or unsealed, and every unsealed event the hub did not write."""
    console = Console(soft_wrap=True)
    # A year holds millions of events: show how far the walk is, on stderr.
    progress = Progress(console=Console(stderr=True), transient=True)
    with session_scope() as session, progress:
        task = progress.add_task("verifying the event chain", total=sealed_count(session))
        verdict = verify_chain(
            session,
            on_batch=lambda checked: progress.update(task, completed=checked),
            checkpoints=checkpoints,
        )
    if verdict.ok:
        console.print(f"[green]chain intact[/green]: {_summary(verdict)}")
        return
    console.print(f"[red]chain broken[/red] after {verdict.checked} good events:")
    for problem in verdict.problems:
        console.print(f"  - {escape(problem.message)}")
    raise typer.Exit(1)


def _summary(verdict: Verdict) -> str:
    summary = f"{verdict.checked} events checked, {verdict.unsealed} not sealed yet"
    if verdict.checkpoint is not None:
        anchor = verdict.checkpoint
        summary += f"; the head matches the checkpoint of {anchor.at} (seq {anchor.seq})"
    return summary


@app.command()
def seal() -> None:
    """Chain the events written since the last seal (the beat sweep does this every few seconds)."""
    total = 0
    try:
        while count := seal_events():
            total += count
    except Refused as refused:
        Console(stderr=True).print(f"[red]sealing refused[/red]: {escape(refused.message)}")
        raise typer.Exit(1) from None
    Console().print(f"sealed {total} events")
