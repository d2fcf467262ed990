"""``samad-hub``: one command, a sub-command per job. Every command has ``--help``."""

from __future__ import annotations

import typer

from hub.cli import agreements, db, demo, processes, referrals, replies, tokens
from hub.cli import audit as audit_cli
from hub.cli import figures as figures_cli
from hub.cli import report as report_cli

app = typer.Typer(
    name="samad-hub",
    help="Integration hub between the Samad citizen-request centre (111) and executive agencies.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(agreements.app, name="agreements")
app.add_typer(db.app, name="db")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(figures_cli.app, name="figures")
app.command("report")(report_cli.report)
app.add_typer(tokens.app, name="tokens")
app.add_typer(tokens.users, name="users")
app.add_typer(referrals.app, name="referrals")
app.add_typer(replies.app, name="replies")
app.command("serve")(processes.serve)
app.command("worker")(processes.worker)
app.command("beat")(processes.beat)
app.command("demo")(demo.demo)


@app.callback()
def main(
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """Samad hub: register citizen requests once, refer them to agencies, follow them up."""
    from hub.auth.masking import install_log_masking
    from hub.core.logs import configure
    from hub.core.settings import get_settings

    install_log_masking()  # every process the CLI starts: serve, worker, beat, the commands
    configure(log_level, get_settings().log_format)


def _mount_optional() -> None:
    """Commands whose rooms may be added by later work; mounted when present."""
    try:
        from hub.cli import calendar
    except ImportError:
        return
    app.add_typer(calendar.app, name="calendar")


_mount_optional()


def run() -> None:
    """The console script: expected failures end with one clear line, not a traceback."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from hub.core.errors import HubError

    try:
        app(prog_name="samad-hub")
    except HubError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise SystemExit(1) from exc
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        for problem in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in problem["loc"])
            reason = problem["msg"].removeprefix("Value error, ")
            typer.secho(f"settings refused: {where + ': ' if where else ''}{reason}", err=True)
        raise SystemExit(1) from exc
    except (OperationalError, ProgrammingError) as exc:
        typer.secho(
            f"database error: {exc.orig}\n(is SAMAD_DATABASE_URL right, and has "
            "'samad-hub db upgrade' been run?)",
            err=True,
            fg="red",
        )
        raise SystemExit(1) from exc
