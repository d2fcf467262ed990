"""``/metrics`` for Prometheus (see :mod:`hub.core.metrics` for what is counted and where).

Who may read it is a setting: with ``SAMAD_METRICS_TOKEN`` set, a scraper sends it as
``Authorization: Bearer <token>`` from anywhere; without one, only clients on the loopback
interface are answered (a Prometheus on the same host, or behind the proxy's own rule) — the
client address is the one uvicorn reports, so a forwarded address counts only from a trusted
proxy (``SAMAD_TRUSTED_PROXIES``). Everyone else gets a 401 or 403 problem, like any API call.
"""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, Request, Response

from hub.auth.digest import same
from hub.auth.errors import AccessDenied
from hub.core.settings import get_settings
from hub.supervision.live_metrics import exposition

router = APIRouter(tags=["metrics"])


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed(request: Request) -> None:
    token = get_settings().metrics_token
    if token:
        presented = request.headers.get("authorization", "")
        scheme, _, secret = presented.partition(" ")
        if scheme.lower() != "bearer" or not same(secret.strip(), token):
            raise AccessDenied(
                401,
                "the metrics token is missing or wrong",
                "توکن دسترسی به سنجه‌ها نادرست است یا فرستاده نشده",
                {"WWW-Authenticate": 'Bearer realm="samad-hub metrics"'},
            )
    elif not _loopback(request.client.host if request.client else None):
        raise AccessDenied(
            403,
            "metrics are served only on the loopback interface unless SAMAD_METRICS_TOKEN is set",
            "سنجه‌ها فقط روی نشانی محلی در دسترس است",
        )


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Counters, histograms and the overdue gauge, in Prometheus' text format."""
    _allowed(request)
    body, content_type = exposition()
    return Response(body, media_type=content_type)
