"""Every code example in README.md and docs/*.md runs as a test, through Sybil.

- ``python`` blocks run top to bottom in one namespace per page. A block that needs a running
  hub or a real secret is preceded by ``<!-- skip: next "why" -->``; a page may set up or check
  what its reader need not see in ``<!-- invisible-code-block: python ... -->``.
- ``sh`` blocks: every ``samad-hub`` command is parsed by the real CLI (sub-commands, options,
  arguments, choices) without being run; ``python -m MODULE ARGS`` is run with ``--help`` added
  (argparse checks ARGS, then exits); ``make TARGET`` must name a target of the Makefile. A block
  with none of these (``curl``, ``export`` only) is for a person at a running hub: not collected.
- ``yaml`` blocks must parse; those made of agreement keys are agreements: a whole one (with an
  ``id``) is valid and, where ``config/agreements/`` has the file of that id, is that file; a
  fragment makes a valid agreement when put into the REST example.
- ``toml`` and ``json`` blocks must parse; entry points must use the ``samad_hub`` group.

This file is the repository's root conftest, so it is imported before ``tests/conftest.py``: it
must not import ``hub`` at module level (the test run's environment is set before any hub module
reads its settings).
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser

ROOT = Path(__file__).resolve().parent
AGREEMENTS = ROOT / "config" / "agreements"
FRAGMENT_BASE = AGREEMENTS / "golestan-water.yaml"  # the REST example of docs/agreements.md
AGREEMENT_SCHEMA = ROOT / "schemas" / "agreement.schema.json"

SEPARATORS = "();<>|&\n"  # a newline ends a command, as ; does
COMMENT = re.compile(r"(?:^|(?<=[\s;|&(]))#[^\n]*", re.M)  # (a # inside quotes would go too)
ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=.*")


def _shell_commands(source: str) -> Iterator[list[str]]:
    """The simple commands of a shell block: split at | & ; ( ) newlines, assignments dropped."""
    text = COMMENT.sub("", source.replace("\\\n", " "))
    lexer = shlex.shlex(text, posix=True, punctuation_chars=SEPARATORS)
    lexer.whitespace, lexer.whitespace_split, lexer.commenters = " \t\r", True, ""
    command: list[str] = []
    for token in [*lexer, "\n"]:
        if not set(token) <= set(SEPARATORS):
            command.append(token)
            continue
        while command and ASSIGNMENT.fullmatch(command[0]):
            command.pop(0)
        if command:
            yield command
        command = []


def _checked(command: list[str]) -> bool:
    program = command[0].rsplit("/", 1)[-1]
    return program in {"samad-hub", "make"} or (program.startswith("python") and "-m" in command)


def _check_samad_hub(args: list[str]) -> None:
    """Parse as the CLI would (Typer's click, vendored or not), then stop before running."""
    import typer

    from hub.cli.main import app

    command: Any = typer.main.get_command(app)
    path = ["samad-hub"]
    while args and args[0] in getattr(command, "commands", {}):
        path.append(args[0])
        command = command.commands[args.pop(0)]
    assert not hasattr(command, "commands"), f"{' '.join(path)} {shlex.join(args)}: no such command"
    typed = [  # what a person would type at a prompt (a password), or parsing would wait for it
        word
        for param in command.params
        if getattr(param, "prompt", None) and not set(param.opts) & set(args)
        for word in (param.opts[0], "typed-at-the-prompt")
    ]
    try:
        command.make_context(" ".join(path), [*args, *typed]).close()
    except Exception as exc:
        if not hasattr(exc, "format_message"):  # not a usage error: a bug, let it show
            raise
        raise AssertionError(f"{' '.join(path + args)}: {exc.format_message()}") from exc


def _check_python_module(args: list[str]) -> None:
    import importlib.util

    module, rest = args[args.index("-m") + 1], args[args.index("-m") + 2 :]
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"no module {module}"
    if "argparse" not in Path(spec.origin).read_text(encoding="utf-8"):
        return  # its options cannot be checked without running it
    shown = subprocess.run(
        [sys.executable, "-m", module, *rest, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, f"python -m {module} {shlex.join(rest)}: {shown.stderr}"


def _check_make(targets: list[str]) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"no make target {target}"


def check_shell(example: Example) -> None:
    for command in filter(_checked, _shell_commands(example.parsed)):
        program, args = command[0].rsplit("/", 1)[-1], command[1:]
        if program == "samad-hub":
            _check_samad_hub(args)
        elif program == "make":
            _check_make(args)
        else:
            _check_python_module(command)


class ShellCommandParser(CodeBlockParser):
    """``sh`` blocks with a command that can be checked offline; the others are left out."""

    language = "sh"

    def __init__(self) -> None:
        super().__init__(evaluator=check_shell)

    def __call__(self, document: Document) -> Iterable[Region]:
        for region in super().__call__(document):
            if any(map(_checked, _shell_commands(region.parsed))):
                yield region


@functools.cache
def _connector_types() -> Any:
    from hub.plugins.manager import make_plugin_manager

    return make_plugin_manager().connectors


def check_agreement(example: Example) -> None:
    from hub.agreements.loader import parse_agreement

    document = yaml.safe_load(example.parsed)
    agreement_keys = json.loads(AGREEMENT_SCHEMA.read_text(encoding="utf-8"))["properties"]
    if not isinstance(document, dict) or not set(document) <= set(agreement_keys):
        return  # YAML, but not an agreement
    if "id" in document:
        file = AGREEMENTS / f"{document['id']}.yaml"
        if file.exists():
            assert file.read_text(encoding="utf-8") == example.parsed, f"{file.name} differs"
        text = example.parsed
    else:
        whole = {**yaml.safe_load(FRAGMENT_BASE.read_text(encoding="utf-8")), **document}
        text = yaml.safe_dump(whole, allow_unicode=True, sort_keys=False)
    parse_agreement(text, f"{example.path}:{example.line}", _connector_types())


def check_toml(example: Example) -> None:
    from hub.plugins.hookspecs import PROJECT

    entry_points = tomllib.loads(example.parsed).get("project", {}).get("entry-points", {})
    assert set(entry_points) <= {PROJECT}, f"plugins register in the {PROJECT!r} group"


def check_json(example: Example) -> None:
    json.loads(example.parsed)


_docs = Sybil(
    parsers=[
        PythonCodeBlockParser(),  # no __future__ annotations: a hint must name a real thing
        SkipParser(),
        ShellCommandParser(),
        CodeBlockParser("yaml", check_agreement),
        CodeBlockParser("toml", check_toml),
        CodeBlockParser("json", check_json),
    ],
    patterns=["*.md"],
    path=str(ROOT),
    name="docs",
).pytest()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """README.md and docs/*.md only (not every README.md below the root)."""
    if file_path == ROOT / "README.md" or file_path.parent == ROOT / "docs":
        return _docs(file_path, parent)
    return None
