"""``samad-hub referrals``: failed and unconfirmed deliveries, listed, confirmed, sent again."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from hub.agreements.registry import get_registry
from hub.core.errors import NotFound, Refused
from hub.db.session import session_scope
from hub.delivery.dead_letters import (
    DELIVERING,
    FAILED,
    UNCONFIRMED,
    confirm,
    dead_letter,
    failed_ids,
    list_failed,
    resend,
)

app = typer.Typer(
    help="Referrals whose delivery failed or is unconfirmed: list, show, confirm, resend.",
    no_args_is_help=True,
)
console = Console()


@app.command()
def failed(
    agency: str = typer.Option(None, "--agency", help="Only this agreement id."),
    limit: int = typer.Option(500, help="At most this many, the most recent first."),
    as_json: bool = typer.Option(
        False, "--json", help="JSON lines (each with its payload and attempts) instead of a table."
    ),
) -> None:
    """Referrals in delivery_failed: agency, attempts, when and the last error."""
    _list(FAILED, "Failed deliveries", agency, limit, as_json)


@app.command()
def unconfirmed(
    agency: str = typer.Option(None, "--agency", help="Only this agreement id."),
    limit: int = typer.Option(500, help="At most this many, the most recent first."),
    as_json: bool = typer.Option(
        False, "--json", help="JSON lines (each with its payload and attempts) instead of a table."
    ),
) -> None:
    """Referrals sent whose answer was unclear: the agency may hold them. Look each up at the
    agency, then `confirm` its case id or `resend --may-duplicate`."""
    _list(UNCONFIRMED, "Unconfirmed deliveries", agency, limit, as_json)


@app.command(name="in-flight")
def in_flight(
    agency: str = typer.Option(None, "--agency", help="Only this agreement id."),
    limit: int = typer.Option(500, help="At most this many."),
) -> None:
    """Referrals being pushed now, and until when their worker holds them (its lease): one whose
    worker died is retried — or, where a re-push could duplicate, unconfirmed — when it ends."""
    with session_scope() as session:
        rows = list_failed(session, agency, limit=limit, state=DELIVERING)
    table = Table(title=f"Being delivered ({len(rows)})")
    for column in ("referral", "reference", "agency", "attempts", "lease until (UTC)"):
        table.add_column(column, overflow="fold")
    for letter in rows:
        until = letter.next_attempt_at
        table.add_row(
            str(letter.referral_id),
            letter.reference,
            letter.agreement_id,
            str(letter.attempts),
            until.strftime("%Y-%m-%d %H:%M:%S") if until else "",
        )
    console.print(table)


def _list(state: str, title: str, agency: str | None, limit: int, as_json: bool) -> None:
    with session_scope() as session:
        letters = list_failed(session, agency, limit=limit, state=state)
        if as_json:
            registry = get_registry()
            for letter in letters:
                whole = dead_letter(session, letter.referral_id, registry)
                typer.echo(json.dumps(whole.as_dict(), ensure_ascii=False))
            return
    table = Table(title=f"{title} ({len(letters)})")
    for column in ("referral", "reference", "agency", "attempts", "since", "last error"):
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


@app.command(name="confirm")
def confirm_command(
    referral_id: int = typer.Argument(..., help="The referral's id."),
    case: str = typer.Option(..., "--case", help="The agency's own id of the case, as found."),
) -> None:
    """Record the case an unconfirmed (or failed) referral has at the agency: it is delivered
    and polled from now on."""
    try:
        with session_scope() as session:
            done = confirm(session, referral_id, case, actor="cli")
    except (NotFound, Refused) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if not done:
        console.print(f"[yellow]referral {referral_id} is neither unconfirmed nor failed[/yellow]")
        raise typer.Exit(1)
    console.print(f"[green]referral {referral_id} is delivered as case {case.strip()}[/green]")


@app.command()
def show(referral_id: int = typer.Argument(..., help="The referral's id.")) -> None:
    """One failed or unconfirmed referral: its payload, every attempt and the last error, as
    JSON."""
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
    may_duplicate: bool = typer.Option(
        False,
        "--may-duplicate",
        help="Also an unconfirmed referral, knowing the agency may then hold two cases of it.",
    ),
) -> None:
    """Send failed referrals again: a fresh round of attempts, the same idempotency key. An
    unconfirmed one only with --may-duplicate."""
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
                if resend(session, one, actor="cli", may_duplicate=may_duplicate):
                    resent.append(one)
                else:
                    console.print(
                        f"[yellow]referral {one} is neither failed nor unconfirmed[/yellow]"
                    )
        except (NotFound, Refused) as exc:
            console.print(f"[red]{exc}[/red]")
    _send(resent)
    console.print(f"[green]{len(resent)} referral(s) back in the delivery queue[/green]")
    if len(resent) < len(ids):
        raise typer.Exit(1)


def _send(ids: list[int]) -> None:
    from hub.worker.tasks import send_deliveries

    send_deliveries(ids)  # if the broker is down, the dispatch sweep sends them shortly
