"""``samad-hub agreements``: validate, list and check agreement files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from hub.agreements.loader import agreement_files, load_file
from hub.agreements.registry import get_registry
from hub.core.errors import AgreementError, AgreementProblem, HubError
from hub.core.settings import get_settings
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
    """Ask the agency's system whether it is reachable and accepts what the mapping sends."""
    registry = get_registry()
    try:
        agreement = registry.get(agreement_id)
        health = registry.connector(agreement).check()
    except HubError as exc:
        console.print(f"[red]✗ {agreement_id}: {exc}[/red]")
        raise typer.Exit(1) from exc
    mark = "[green]✓[/green]" if health.ok else "[red]✗[/red]"
    console.print(f"{mark} {agreement_id} ({agreement.connector_type}): {health.detail}")
    for problem in health.problems:
        console.print(f"  [red]-[/red] {problem}")
    if not health.ok:
        raise typer.Exit(1)
