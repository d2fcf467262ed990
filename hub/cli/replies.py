"""``samad-hub replies``: agency replies the hub could not interpret — list, read, apply, dismiss.

The same queue as the dashboard's ``/dashboard/replies`` (:mod:`hub.referrals.reviews`);
applying goes the way an agency update goes (:mod:`hub.polling.review`), audited with
``cli:<user>`` as the actor.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from hub.agreements.registry import get_registry
from hub.core.errors import NotFound, Refused
from hub.core.jsonsafe import json_safe
from hub.core.states import ReferralState
from hub.db.models import AgencyUpdate
from hub.db.session import session_scope
from hub.polling.review import REVIEW_STATES, apply_review, dismiss_review
from hub.referrals.messages import attachment, attachments_of, message_of_update, readable_text
from hub.referrals.reviews import one, waiting

app = typer.Typer(
    help="Agency replies the hub could not interpret: list, show, apply the state they mean, "
    "dismiss.",
    no_args_is_help=True,
)
console = Console()
STATES = ", ".join(REVIEW_STATES)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@app.command()
def review(
    agency: str = typer.Option(None, "--agency", help="Only this agreement id."),
    limit: int = typer.Option(500, help="At most this many, the oldest first."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """Replies waiting for a person, the oldest first: who sent them, about which referral, and
    why the hub could not read them."""
    with session_scope() as session:
        rows = waiting(session, agency, limit=limit)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(json_safe(dataclasses.asdict(row)), ensure_ascii=False))
        return
    table = Table(title=f"Replies to review ({len(rows)})")
    for column in ("id", "agency", "referral", "received (UTC)", "from", "subject", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.review_id),
            row.agreement_id,
            row.reference or "(none)",
            row.opened_at.strftime("%Y-%m-%d %H:%M"),
            row.sender or "",
            row.subject or "",
            row.reason,
        )
    console.print(table)


@app.command()
def show(
    review_id: int = typer.Argument(..., help="The review's id (see `replies review`)."),
    save: Path = typer.Option(None, "--save", help="Write its attachments into this directory."),
) -> None:
    """One reply: its headers, its whole text and its attachments (downloadable by a supervisor
    or an admin at /dashboard/attachments/<id>)."""
    with session_scope() as session:
        row = one(session, review_id)
        if row is None:
            console.print(f"[red]no reply review {review_id}[/red]")
            raise typer.Exit(1)
        stored = session.get_one(AgencyUpdate, row.agency_update_id)
        message = message_of_update(session, stored.id)
        files = attachments_of(session, [message.id])[message.id] if message else []
        text = readable_text(message) if message else (stored.result or "")
        decided = f", by {row.decided_by}" if row.decided_by else ""
        for key, value in (
            ("review", f"{row.review_id} ({row.state}{decided})"),
            ("agency", row.agreement_id),
            ("referral", row.reference or "(none: name one with apply --referral)"),
            ("received", f"{row.opened_at:%Y-%m-%d %H:%M:%S} UTC"),
            ("from", row.sender or ""),
            ("subject", row.subject or ""),
            ("message-id", row.update_id),
            ("why", row.reason),
            ("result read", stored.result or ""),
        ):
            typer.echo(f"{key + ':':12} {value}")
        typer.echo(f"\n{text}\n")
        for file in files:
            typer.echo(
                f"attachment {file.id}: {file.filename} ({file.content_type}, {file.size} bytes, "
                f"sha256 {file.sha256}) /dashboard/attachments/{file.id}"
            )
            if save is not None:
                save.mkdir(parents=True, exist_ok=True)
                found = attachment(session, file.id)
                target = save / f"{file.id}-{Path(file.filename).name}"
                target.write_bytes(found.content if found else b"")
                typer.echo(f"  saved as {target}")


@app.command(name="apply")
def apply_command(
    review_id: int = typer.Argument(..., help="The review's id."),
    state: str = typer.Option(..., "--state", help=f"The state the reply means: {STATES}."),
    result: str = typer.Option(
        None, "--result", help="The result text for the citizen; default: the text the hub read."
    ),
    referral: str = typer.Option(
        None, "--referral", help="The referral's reference, when the reply named none (or another)."
    ),
) -> None:
    """Apply the state a reply means to its referral, as the agency's update would have."""
    if state not in REVIEW_STATES:
        console.print(f"[red]--state must be one of {STATES}[/red]")
        raise typer.Exit(2)
    try:
        with session_scope() as session:
            outcome = apply_review(
                session,
                review_id,
                ReferralState(state),
                get_registry(),
                actor=_actor(),
                result=result,
                reference=referral,
            )
    except (NotFound, Refused) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]reply review {review_id}: {state} ({outcome})[/green]")


@app.command()
def dismiss(
    review_id: int = typer.Argument(..., help="The review's id."),
    why: str = typer.Option(..., "--why", help="Why nothing is applied (kept with the review)."),
) -> None:
    """Keep the reply and apply nothing: an automatic reply, a mail not meant for the hub."""
    try:
        with session_scope() as session:
            dismiss_review(session, review_id, why, actor=_actor())
    except (NotFound, Refused) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]reply review {review_id} dismissed[/green]")
