"""The setup scripts stop no process they did not start (issue 18): no killing by name.

``make test`` runs them on a developer's machine and on CI's, where other people's processes (a
system Dovecot, another checkout's servers) may be running; the tests' own servers are private
instances on their own ports, so the scripts have nothing to stop.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hub.core.settings import REPO_ROOT

SETUP_FILES = [*sorted((REPO_ROOT / "scripts").glob("*.sh")), REPO_ROOT / "Makefile"]
SETUP_FILES.append(REPO_ROOT / ".ci" / "run")
SYSTEM_PACKAGES = ("dovecot-imapd", "dovecot-core", "chromium")  # scripts/install-system-deps.sh

COMMENT = re.compile(r"(?:^|(?<=\s))#.*$", re.M)
KILLING = [
    re.compile(r"\b(pkill|killall|pidof|pgrep|fuser)\b"),
    # kill takes the pid of a process the script started ("$pid", $!, -- -$(cat pidfile)).
    re.compile(r"\bkill\s+(?:(?:-\w+|--)\s+)*+(?![\"'$%]|-[\"'$])\S"),
    re.compile(r"\bsystemctl\b[^\n;|&]*\s(stop|kill|restart|try-restart|--now)\b"),
    re.compile(r"\b(service|invoke-rc\.d)\s+\S+\s+(stop|restart|force-stop)\b"),
]


def killing_lines(text: str) -> list[str]:
    lines = COMMENT.sub("", text).splitlines()
    return [line.strip() for line in lines if any(p.search(line) for p in KILLING)]


@pytest.mark.parametrize(
    "line",
    [
        "pkill -x dovecot 2>/dev/null || true",
        "killall dovecot",
        'kill "$(pidof dovecot)"',
        "kill -9 1234",
        "systemctl disable --now dovecot >/dev/null 2>&1 || true",
        "service dovecot stop",
    ],
)
def test_the_check_catches_a_script_stopping_a_process_it_did_not_start(line: str) -> None:
    assert killing_lines(f"set -e\n{line}\n") == [line]


@pytest.mark.parametrize(
    "line",
    ['kill "$pid"', "kill -TERM $!", "kill -- -$(cat job/pid)", "# pkill -x dovecot was here"],
)
def test_the_check_lets_a_script_stop_what_it_started(line: str) -> None:
    assert killing_lines(line) == []


def test_no_setup_script_stops_a_process_by_name() -> None:
    assert len(SETUP_FILES) >= 4
    for path in SETUP_FILES:
        assert killing_lines(path.read_text(encoding="utf-8")) == [], path


def _installed(package: str) -> bool:
    return subprocess.run(["dpkg", "-s", package], capture_output=True, check=False).returncode == 0


def test_installing_the_system_packages_leaves_a_running_dovecot_alone(tmp_path: Path) -> None:
    if shutil.which("dpkg") is None or not all(map(_installed, SYSTEM_PACKAGES)):
        pytest.skip("the packages are not all installed: the script would run apt-get")
    # A stand-in for someone else's Dovecot: a process whose name is exactly "dovecot".
    stand_in = tmp_path / "dovecot"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", stand_in)
    process = subprocess.Popen([str(stand_in), "300"])
    try:
        _wait_for_name(process.pid, "dovecot")
        script = REPO_ROOT / "scripts" / "install-system-deps.sh"
        subprocess.run(["bash", str(script)], check=True, capture_output=True, timeout=60)
        assert process.poll() is None, "the script stopped a Dovecot it did not start"
    finally:
        process.kill()
        process.wait()


def _wait_for_name(pid: int, name: str) -> None:
    comm = Path(f"/proc/{pid}/comm")
    deadline = time.monotonic() + 5
    while comm.read_text().strip() != name:  # until the child has exec'd
        assert time.monotonic() < deadline, comm.read_text()
        time.sleep(0.01)
