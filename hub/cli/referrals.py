"""``samad-hub referrals``: failed deliveries (dead letters), listed and sent again."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from hub.agreements.registry import get_registry
from hub.core.errors import NotFound
from hub.db.session import session_scope
from hub.delivery.dead_letters import dead_letter, failed_ids, list_failed, resend

app = typer.Typer(help="Referrals whose delivery failed: list, show, resend.", no_args_is_help=True)
console = Console()


@app.command()
def failed(
    agency: str = typer.Option(None, "--agency", help="Only this agreement id."),
    limit: int = typer.Option(500, help="At most this many, the most recent first."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """Referrals in delivery_failed: agency, attempts, when and the last error."""
    with session_scope() as session:
        letters = list_failed(session, agency, limit=limit)
    if as_json:
        for letter in letters:
            typer.echo(json.dumps(letter.as_dict(), ensure_ascii=False))
        return
    table = Table(title=f"Failed deliveries ({len(letters)})")
    for column in ("referral", "reference", "agency", "attempts", "failed at", "last error"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        table.add_row(
            str(letter.referral_id),
            letter.reference,
            letter.agreement_id,
            str(letter.attempts),
            letter.failed_at.strftime("%Y-%m-%d %H:%M:%S"),
            letter.last_error or "",
        )
    console.print(table)


@app.command()
def show(referral_id: int = typer.Argument(..., help="The referral's id.")) -> None:
    """One failed referral: its payload, every attempt and the last error, as JSON."""
    try:
        with session_scope() as session:
            letter = dead_letter(session, referral_id, get_registry())
    except NotFound as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(letter.as_dict(), ensure_ascii=False, indent=2))


@app.command(name="resend")
def resend_command(
    referral_id: int = typer.Argument(None, help="The referral's id."),
    agency: str = typer.Option(None, "--agency", help="Every failed referral of this agreement."),
) -> None:
    """Send failed referrals again: a fresh round of attempts, the same idempotency key."""
    if (referral_id is None) == (agency is None):
        console.print("[red]give a referral id or --agency, one of the two[/red]")
        raise typer.Exit(2)
    with session_scope() as session:
        ids = [referral_id] if referral_id is not None else failed_ids(session, agency)
    if not ids:
        console.print("nothing to resend")
        raise typer.Exit(1 if referral_id is not None else 0)
    resent: list[int] = []
    for one in track(ids, description="resending", console=console, disable=len(ids) < 2):
        try:
            with session_scope() as session:
                if resend(session, one, actor="cli"):
                    resent.append(one)
                else:
                    console.print(f"[yellow]referral {one} is not in delivery_failed[/yellow]")
        except NotFound as exc:
            console.print(f"[red]{exc}[/red]")
    _send(resent)
    console.print(f"[green]{len(resent)} referral(s) back in the delivery queue[/green]")
    if len(resent) < len(ids):
        raise typer.Exit(1)


def _send(ids: list[int]) -> None:
    from hub.worker.tasks import send_deliveries

    send_deliveries(ids)  # if the broker is down, the dispatch sweep sends them shortly
