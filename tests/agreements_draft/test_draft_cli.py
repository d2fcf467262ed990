"""``samad-hub agreements draft``: the command an admin runs, its file, its refusals.

A draft written with ``--output`` takes its id from the file's name; once its TODOs are answered
``samad-hub agreements validate`` passes it. A bad argument — no description, two, a file or URL
that cannot be read, an operation the description lacks — is one clear sentence and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from hub.cli.main import app
from hub.sandbox.server import free_port
from tests.agreements_draft.completion import IDENTITY, complete

HERE = Path(__file__).resolve().parent
WSDL = str(HERE / "municipality.wsdl")
OPENAPI = str(HERE / "complaints-api.yaml")
STATES = {"SABT": "delivered", "ROYAT": "viewed", "EGHDAM": "in_progress"}
STATES |= {"ANJAM": "resolved", "RADD": "returned"}


def samad_hub(*args: str) -> Result:
    return CliRunner().invoke(app, ["agreements", *args], env={"COLUMNS": "300"})


def test_a_draft_written_to_a_file_takes_its_id_from_the_name_and_then_validates(
    tmp_path: Path,
) -> None:
    file = tmp_path / "gorgan-shahrdari.yaml"
    written = samad_hub("draft", "--wsdl", WSDL, "--output", str(file))
    assert written.exit_code == 0, written.output
    assert "fill its" in written.output and "TODO line(s)" in written.output
    text = file.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["id"] == "gorgan-shahrdari"
    assert samad_hub("validate", str(file)).exit_code == 1  # not yet: its TODOs
    answers = {**IDENTITY, "mapping.Olaviat": {"const": 2}, "status_map": STATES}
    completed = complete(text, answers)
    file.write_text(yaml.safe_dump(completed, allow_unicode=True), encoding="utf-8")
    validated = samad_hub("validate", str(file))
    assert validated.exit_code == 0, validated.output
    assert "✓" in validated.output


def test_without_output_the_draft_is_printed_as_yaml() -> None:
    printed = samad_hub("draft", "--openapi", OPENAPI, "--operation", "createComplaint")
    assert printed.exit_code == 0, printed.output
    doc = yaml.safe_load(printed.stdout)
    assert doc["id"] == "TODO"
    assert doc["connector"]["type"] == "rest"
    assert printed.stdout.startswith("# Draft agreement, written by `samad-hub agreements draft`")


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    file = tmp_path / "kept.yaml"
    file.write_text("id: kept\n", encoding="utf-8")
    refused = samad_hub("draft", "--wsdl", WSDL, "--output", str(file))
    assert refused.exit_code == 2
    assert "exists (--force overwrites it)" in refused.output
    assert file.read_text(encoding="utf-8") == "id: kept\n"
    assert samad_hub("draft", "--wsdl", WSDL, "--output", str(file), "--force").exit_code == 0
    assert yaml.safe_load(file.read_text(encoding="utf-8"))["id"] == "kept"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "give one of --wsdl URL_OR_FILE or --openapi URL_OR_FILE"),
        (("--wsdl", WSDL, "--openapi", OPENAPI), "give one of --wsdl"),
        (("--wsdl", "nowhere.wsdl"), "could not load the WSDL: there is no file nowhere.wsdl"),
        (("--wsdl", OPENAPI), "it is not a readable XML document"),
        (("--wsdl", WSDL, "--operation", "Sabt"), "no operation 'Sabt'; it offers SabtDarkhast"),
        (("--openapi", WSDL), "is neither JSON nor YAML"),
        (("--openapi", OPENAPI, "--operation", "ping"), "ping is a GET"),
    ],
    ids=["none", "both", "no-file", "not-xml", "operation", "not-openapi", "a-get"],
)
def test_a_bad_argument_is_one_sentence_and_exit_code_2(args: tuple[str, ...], said: str) -> None:
    refused = samad_hub("draft", *args)
    assert refused.exit_code == 2, refused.output
    assert said in " ".join(refused.output.replace("│", " ").split())
    assert "Traceback" not in refused.output


def test_a_wsdl_url_that_cannot_be_reached_says_so() -> None:
    url = f"http://127.0.0.1:{free_port()}/?wsdl"
    refused = samad_hub("draft", "--wsdl", url)
    assert refused.exit_code == 2
    said = " ".join(refused.output.replace("│", " ").split())
    assert f"could not load the WSDL at {url}: could not reach the agency" in said
