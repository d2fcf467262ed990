"""The API documentation pages in Chromium: rendered from the hub's own files, nothing fetched
from anywhere else, and the same security headers as every page (a CSP that allows only self)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from hub.core.settings import REPO_ROOT
from hub.sandbox.server import BackgroundServer

ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".swagger-ui .info .title")])
def test_the_api_documentation_renders_from_the_hubs_own_files(
    browser: Browser, api_server: BackgroundServer, path: str, ready: str
) -> None:
    context = browser.new_context(base_url=api_server.url)
    page = context.new_page()
    hosts: set[str] = set()
    page.on(
        "request",
        lambda request: (
            hosts.add(urlparse(request.url).netloc)
            if request.url.startswith(("http:", "https:", "ws:", "wss:"))
            else None
        ),
    )
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(path)
    page.wait_for_selector(ready, timeout=30_000)
    assert "samad-hub" in page.locator(ready).first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"api-docs{path.replace('/', '-')}.png"), full_page=False)
    context.close()
    assert hosts == {urlparse(api_server.url).netloc}, hosts  # no CDN, no fonts from elsewhere
    assert refused == []


@pytest.mark.parametrize(
    "path", ["/docs", "/openapi.json", "/v1/requests/1", "/dashboard/login", "/healthz"]
)
def test_every_answer_carries_the_security_headers(api_server: BackgroundServer, path: str) -> None:
    answer = httpx.get(api_server.url + path, follow_redirects=False)
    headers = answer.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy  # no other origin allowed for anything
