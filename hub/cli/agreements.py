"""``samad-hub agreements``: validate, list and check agreement files; draft one from an agency's
WSDL or OpenAPI description."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hub.agreements.drafts.description import AgencyDescription, DescriptionError, UnknownOperation
from hub.agreements.drafts.render import id_for, render
from hub.agreements.loader import agreement_files, load_file
from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry, get_registry
from hub.core.errors import AgreementError, AgreementProblem, HubError
from hub.core.settings import get_settings
from hub.delivery.dry_run import dry_run
from hub.plugins.connector import Health
from hub.plugins.manager import plugins

app = typer.Typer(help="Agency agreements (config/agreements/*.yaml).", no_args_is_help=True)
console = Console()


@app.command()
def validate(
    path: Path = typer.Argument(None, help="A file or directory; default: the agreements dir."),
) -> None:
    """Check agreement files against the schema and their connector's settings schema."""
    path = path or get_settings().agreements_dir
    files = agreement_files(path) if path.is_dir() else [path]
    if not files:
        console.print(f"[red]no agreement files in {path}[/red]")
        raise typer.Exit(1)
    problems: list[AgreementProblem] = []
    for file in files:
        try:
            load_file(file, plugins().connectors)
            console.print(f"[green]✓[/green] {file}")
        except AgreementError as exc:
            problems.extend(exc.problems)
            console.print(f"[red]✗[/red] {file}")
    for problem in problems:
        console.print(
            f"  [red]{problem.file}[/red]: [bold]{problem.key_path}[/bold]: {problem.message}"
        )
    if problems:
        console.print(f"[red]{len(problems)} problem(s)[/red]")
        raise typer.Exit(1)


@app.command("list")
def list_agreements() -> None:
    """Show the loaded agreements as a table."""
    registry = get_registry()
    table = Table(title="Agreements / تفاهم‌نامه‌ها")
    table.add_column("id", no_wrap=True)
    for column in ("agency / دستگاه", "connector", "routes", "priority", "version"):
        table.add_column(column)
    for a in registry.all():
        routes = "; ".join(
            ",".join(r.categories) + (f" @ {','.join(r.counties)}" if r.counties else "")
            for r in a.routes
        )
        agency = f"{a.name_en}\n{a.name_fa}"
        table.add_row(a.id, agency, a.connector_type, routes, str(a.priority), a.version)
    console.print(table)
    for problem in registry.problems:
        console.print(f"[red]not loaded:[/red] {problem}")


@app.command()
def check(agreement_id: str = typer.Argument(..., help="The agreement id.")) -> None:
    """Ask the agency's system: reachable? our credentials taken? the mapping accepted? Where the
    agreement names a test system (connector.test_settings), push a sample referral there too."""
    registry = get_registry()
    try:
        agreement = registry.get(agreement_id)
        health = registry.connector(agreement).check()
    except HubError as exc:
        console.print(f"[red]✗ {agreement_id}: {escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc
    _show(f"{agreement_id} ({agreement.connector_type})", health)
    trial = _dry_run(registry, agreement)
    if trial is None:
        console.print("  no dry run: the agreement names no test system (connector.test_settings)")
    else:
        _show(f"{agreement_id} test system", trial)
    if not health.ok or (trial is not None and not trial.ok):
        raise typer.Exit(1)


def _dry_run(registry: AgreementRegistry, agreement: Agreement) -> Health | None:
    try:
        connector = registry.test_system_connector(agreement)
    except HubError as exc:
        return Health(False, "dry run: no connector to the test system", (f"{exc}.",))
    if connector is None:
        return None
    try:
        return dry_run(agreement, connector)
    finally:
        connector.close()


def _show(what: str, health: Health) -> None:
    mark = "[green]✓[/green]" if health.ok else "[red]✗[/red]"
    console.print(f"{mark} {escape(what)}: {escape(health.detail)}")
    for problem in health.problems:
        console.print(f"  [red]-[/red] {escape(problem)}")


@app.command()
def draft(
    wsdl: str = typer.Option(
        None, "--wsdl", metavar="URL_OR_FILE", help="The agency's WSDL: a URL or a file."
    ),
    openapi: str = typer.Option(
        None,
        "--openapi",
        metavar="URL_OR_FILE",
        help="The agency's OpenAPI description (JSON or YAML): a URL or a file.",
    ),
    operation: str = typer.Option(
        None,
        "--operation",
        metavar="NAME",
        help="The push operation: a WSDL operation or an OpenAPI operationId. Default: the "
        "likeliest (register/create/submit …) of the WSDL, the first POST of the OpenAPI.",
    ),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="Write the draft to this file instead of printing it; a name that can be an "
        "agreement id (config/agreements/<id>.yaml) becomes its id.",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --output if it exists."),
) -> None:
    """Draft an agreement from the agency's WSDL or OpenAPI description: a YAML skeleton with
    the push operation's fields mapped (guessed from their names), the answers' case id and
    status paths, the status values to map, and a TODO wherever a person must decide."""
    if (wsdl is None) == (openapi is None):
        raise typer.BadParameter(
            "give one of --wsdl URL_OR_FILE or --openapi URL_OR_FILE", param_hint="--wsdl/--openapi"
        )
    if output is not None and output.exists() and not force:
        raise typer.BadParameter(f"{output} exists (--force overwrites it)", param_hint="--output")
    text = render(_described(wsdl, openapi, operation), id_for(output) if output else None)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        message = f"cannot write {output}: {exc.strerror}"
        raise typer.BadParameter(message, param_hint="--output") from exc
    todos = sum("TODO" in line.partition("#")[0] for line in text.splitlines())
    console.print(
        f"[green]✓[/green] wrote {escape(str(output))}: fill its {todos} TODO line(s), then "
        f"run samad-hub agreements validate {escape(str(output))}"
    )


def _described(wsdl: str | None, openapi: str | None, operation: str | None) -> AgencyDescription:
    option = "--wsdl" if wsdl else "--openapi"
    try:
        if wsdl:
            # zeep is slow to import, and only this command needs it.
            from connectors.soap.draft import describe as describe_wsdl

            return describe_wsdl(wsdl, get_settings().config_dir, operation)
        from hub.agreements.drafts.openapi import describe as describe_openapi

        return describe_openapi(str(openapi), operation)
    except UnknownOperation as exc:
        raise typer.BadParameter(str(exc), param_hint="--operation") from exc
    except DescriptionError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc
