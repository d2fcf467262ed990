"""Running the demo: sandboxes, database, worker + beat, API; submit, watch, judge."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.live import Live

from hub.demo.deadlines import show_deadlines, start_notification_sandboxes
from hub.demo.display import is_done, mismatch, progress_table
from hub.demo.environment import DemoWorld, prepare_environment, start_sandboxes
from hub.demo.samples import SAMPLES, Sample
from hub.sandbox.server import BackgroundServer
from hub.worker.process import start_worker, stop_process


def run_demo(console: Console, data_dir: Path | None, timeout: float, step_seconds: float) -> int:
    """Exit code 0 only when every sample request reached the state it was expected to."""
    started = time.monotonic()
    world = DemoWorld(prepare_environment(data_dir))
    console.print(f"[bold]samad-hub demo[/bold] — data in {world.data_dir}")
    with world.servers:
        start_sandboxes(world, step_seconds)
        start_notification_sandboxes(world)
        from hub.db.migrate import upgrade

        upgrade()
        console.print("• database ready (SQLite), agencies' sandboxes listening")
        worker = start_worker(world.data_dir / "worker.log")
        try:
            from hub.web.app import create_app

            api = world.servers.enter_context(BackgroundServer(create_app()))
            console.print(f"• API on {api.url}/docs, worker + beat on the embedded broker")
            headers = {"Authorization": f"Bearer {_operator_token()}"}
            with httpx.Client(base_url=api.url, timeout=15, headers=headers) as client:
                return _submit_and_watch(console, client, world, timeout, started)
        finally:
            stop_process(worker)


def _operator_token() -> str:
    """The demo submits as the 111 call centre does: with an operator token of its own."""
    from hub.auth.roles import Role
    from hub.auth.tokens import create_token
    from hub.db.session import session_scope

    with session_scope() as session:
        return create_token(session, "demo-call-centre", Role.OPERATOR).secret


def _submit_and_watch(
    console: Console, client: httpx.Client, world: DemoWorld, timeout: float, started: float
) -> int:
    # The water company's system is briefly down: its first pushes fail and are retried.
    world.sandboxes["golestan-water"].faults.set(
        "error500", 2, 0, method="POST", path="/api/v1/tickets"
    )
    rows: list[tuple[Sample, dict[str, Any]]] = []
    for sample in SAMPLES:
        response = client.post("/v1/requests", json=sample.document())
        if response.status_code != 201:
            console.print(f"[red]intake refused a sample: {response.text}[/red]")
            return 1
        rows.append((sample, response.json()))
    console.print(f"• {len(rows)} requests submitted")
    deadline = time.monotonic() + timeout
    with Live(progress_table(rows, 0), console=console, refresh_per_second=2) as live:
        while True:
            rows = [(s, client.get(f"/v1/requests/{b['tracking_code']}").json()) for s, b in rows]
            live.update(progress_table(rows, time.monotonic() - started))
            if all(is_done(s, b) for s, b in rows) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    code = _summary(console, rows, time.monotonic() - started)
    return show_deadlines(console, client, world) or code


def _summary(console: Console, rows: list[tuple[Sample, dict[str, Any]]], elapsed: float) -> int:
    failures = [mismatch(s, b) for s, b in rows if not is_done(s, b)]
    referrals = [r for _, b in rows for r in b.get("referrals", [])]
    retried = sum(1 for r in referrals if r["attempts"] > 1)
    console.print(
        f"\n[bold]summary[/bold] ({elapsed:.0f}s): {len(rows)} requests, {len(referrals)} "
        f"referrals, {sum(r['state'] == 'resolved' for r in referrals)} resolved, "
        f"{retried} delivered after retries, "
        f"{sum(b['status'] == 'duplicate' for _, b in rows)} duplicate, "
        f"{sum(b['status'] == 'triage' for _, b in rows)} in triage"
    )
    if failures:
        console.print("[red]not as expected:[/red]")
        for line in failures:
            console.print(f"  [red]✗[/red] {line}")
        return 1
    console.print("[green]✓ every request reached its expected state[/green]")
    return 0
