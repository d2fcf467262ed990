"""A plain ``pip install`` of the wheel, with no extras, runs the README's ``samad-hub demo``.

The sdist and the wheel are built as PyPI would get them (the wheel from the sdist), installed
into a fresh venv with nothing of the checkout's, and run from a directory outside it with an
environment that has no ``SAMAD_`` settings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hub.core.settings import REPO_ROOT

# What pip itself needs from the outer environment to reach the package index.
PIP_ENVIRONMENT = re.compile(r"PIP_.*|SSL_CERT_.*|REQUESTS_CA_BUNDLE|(?i:(https?|no|all)_proxy)")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, errors="replace", timeout=timeout
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(REPO_ROOT)]
    _run(build, REPO_ROOT, dict(os.environ), timeout=180)
    [built] = dist.glob("samad_hub-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel and its dependencies, no extras."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", str(venv)], venv, _minimal_env(venv), timeout=120)
    env = _minimal_env(venv) | {k: v for k, v in os.environ.items() if PIP_ENVIRONMENT.fullmatch(k)}
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)]
    _run(pip, venv, env, timeout=480)
    return venv


def _minimal_env(venv: Path) -> dict[str, str]:
    return {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": os.environ["HOME"]}


def test_the_wheel_carries_every_file_the_hub_reads_at_run_time(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("hub", "connectors"):
        for path in (REPO_ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                assert path.relative_to(REPO_ROOT).as_posix() in names, path
    for shipped in ("schemas", "config"):
        for path in (REPO_ROOT / shipped).rglob("*"):
            if path.is_file():
                assert f"hub/_shipped/{path.relative_to(REPO_ROOT).as_posix()}" in names, path
    assert "hub/db/migrations/env.py" in names and "hub/db/migrations/script.py.mako" in names
    assert not any(name.startswith(("tests/", "schemas/", "config/")) for name in names)


def test_a_plain_install_runs_the_demo_to_the_end_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    env = _minimal_env(installed)
    python = str(installed / "bin" / "python")
    where = _run([python, "-c", WHERE_IT_READS], tmp_path, env, timeout=60).split()
    assert where[0] == "None" and all(Path(p).is_relative_to(installed) for p in where[1:]), where

    help_text = _run([str(installed / "bin" / "samad-hub"), "--help"], tmp_path, env, timeout=60)
    assert "demo" in help_text and "serve" in help_text

    demo = [str(installed / "bin" / "samad-hub"), "demo", "--data-dir", str(tmp_path / "demo")]
    output = _run(demo, tmp_path, env, timeout=240)
    assert "every request reached its expected state" in output
    assert "23 requests" in output and "1 duplicate" in output
    assert re.search(r"deadlines: 5 escalation steps, [1-9]\d* violation", output), output[-2000:]
    assert (tmp_path / "demo" / "hub.db").exists()


# The installed hub is the one that runs: no checkout, its schemas and sample agreements its own.
WHERE_IT_READS = """
import hub, hub.core.shipped as shipped
from hub.core.settings import get_settings
print(shipped.CHECKOUT, hub.__file__, shipped.SCHEMAS_DIR, get_settings().agreements_dir)
"""
