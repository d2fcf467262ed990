"""Every `samad-hub` command and sub-command answers `--help` with what it does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from hub.cli.main import app


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command's path; a group (typer's own click) has ``commands``."""
    yield path
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS = list(_commands(ROOT))


def test_the_cli_has_every_room_s_commands() -> None:
    names = {" ".join(path) for path in COMMANDS}
    for expected in (
        "demo",
        "serve",
        "worker",
        "beat",
        "db upgrade",
        "agreements validate",
        "referrals resend",
        "report",
        "audit verify",
        "figures refresh",
        "calendar show",
        "tokens create",
    ):
        assert expected in names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "samad-hub")
def test_every_command_answers_help_with_what_it_does(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = ROOT
    for name in path:
        command = command.commands[name]
    summary = (command.help or "").strip().splitlines()
    assert summary, f"samad-hub {' '.join(path)} has no help text"
    assert summary[0].split()[0] in result.output
