"""Logging in to the dashboard as a person would: through the real login form."""

from __future__ import annotations

import httpx

PASSWORD = "a-long-enough-test-password"


def log_in(client: httpx.Client, username: str) -> httpx.Client:
    """Log ``client`` in through the real login form; it then carries the session cookie."""
    form = client.get("/dashboard/login")
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/dashboard/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf},
    )
    assert answer.status_code == 303, answer.text
    return client
