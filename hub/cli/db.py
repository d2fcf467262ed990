"""``samad-hub db``: the database schema."""

from __future__ import annotations

import typer
from rich.console import Console

from hub.core.settings import get_settings
from hub.db.migrate import upgrade as run_upgrade

app = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Bring the database (SAMAD_DATABASE_URL, or embedded SQLite) up to the latest schema."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    run_upgrade(settings.effective_database_url, revision)
    Console().print(f"[green]database is at {revision}[/green]")
