"""``samad-hub tokens create|list|revoke`` and ``samad-hub users create``: who may use the hub.

A token is printed once, when it is made; the hub keeps only its keyed hash.
"""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.console import Console
from rich.table import Table

from hub.agreements.registry import get_registry
from hub.auth.errors import AccessProblem
from hub.auth.passwords import create_user
from hub.auth.roles import KARTABL_ROLES, Role
from hub.auth.tokens import create_token, list_tokens, revoke_token, token_status
from hub.db.session import session_scope
from hub.web.kartabl.members import check_kartabl_user, set_unit

app = typer.Typer(help="API tokens for machine clients (call-centre software, agency systems).")
users = typer.Typer(help="People who log in to the dashboard.")
console = Console()


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Who will use it, e.g. 'ivr-111' or 'water-cms'."),
    role: Role = typer.Option(
        ...,
        "--role",
        help="operator, agency, supervisor or admin (agency-lead, agency-staff: users only).",
    ),
    agreement: str | None = typer.Option(None, help="For an agency token: its agreement id."),
    days: int | None = typer.Option(None, help="Lifetime in days (default SAMAD_TOKEN_DAYS)."),
) -> None:
    """Create a token and print it once."""
    try:
        with session_scope() as session:
            lifetime = timedelta(days=days) if days is not None else None
            issued = create_token(session, name, role, agreement, lifetime)
            token_id, expires = issued.token.id, issued.token.expires_at
    except AccessProblem as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"token {token_id} ({role}) expires {expires:%Y-%m-%d}; shown only now:")
    typer.echo(issued.secret)


@app.command("list")
def list_() -> None:
    """Every token: id, name, role, agreement, status; never the token itself."""
    table = Table("id", "name", "role", "agreement", "starts with", "expires", "status")
    with session_scope() as session:
        for token in list_tokens(session):
            expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "-"
            table.add_row(
                str(token.id),
                token.name,
                token.role,
                token.agreement_id or "-",
                token.prefix + "…",
                expires,
                token_status(token),
            )
    console.print(table)


@app.command("revoke")
def revoke(token_id: int = typer.Argument(..., help="The id shown by 'tokens list'.")) -> None:
    """Revoke a token: it is refused from the next request on."""
    try:
        with session_scope() as session:
            revoke_token(session, token_id)
    except AccessProblem as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"token {token_id} revoked")


@users.command("create")
def create_person(
    username: str = typer.Argument(...),
    role: Role = typer.Option(..., "--role"),
    agreement: str | None = typer.Option(
        None, help="For an agency clerk, an agency-lead or agency-staff: the agreement id."
    ),
    unit: str | None = typer.Option(
        None, help="For agency-staff: the unit of the portal agreement they work in."
    ),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="SAMAD_NEW_PASSWORD"
    ),
) -> None:
    """Create a dashboard user (the password is asked for, or read from SAMAD_NEW_PASSWORD).

    An agency-lead or agency-staff works the kartabl of a portal agreement: see docs/kartabl.md.
    """
    try:
        if role in KARTABL_ROLES:
            check_kartabl_user(get_registry(), agreement or "", role, unit)
        elif unit:
            raise AccessProblem("--unit is for the kartabl's agency-lead and agency-staff only")
        with session_scope() as session:
            user = create_user(session, username, password, role, agreement)
            if role in KARTABL_ROLES:
                set_unit(session, user.id, agreement or "", unit)
    except AccessProblem as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"user {username} ({role}) created")
