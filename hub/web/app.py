"""The FastAPI application: routers mounted, errors translated, OpenAPI at /docs."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from hub import __version__
from hub.api.dashboard_auth import install_login_redirect
from hub.api.errors import install_error_handlers
from hub.api.open311.app import mount_open311
from hub.api.problems import document_problems
from hub.api.protection import install_protection
from hub.api.routes import (
    admin,
    agency_referrals,
    agreements,
    feedback,
    health,
    login,
    requests,
    webhook,
)
from hub.auth.masking import mask_pii
from hub.core import telemetry
from hub.web.dashboard import mount_supervision
from hub.web.kartabl import mount_kartabl


def create_app() -> FastAPI:
    app = FastAPIOffline(
        redoc_url=None,  # ReDoc fetches its logo from cdn.redoc.ly: /docs (Swagger UI) only
        title="samad-hub",
        version=__version__,
        description="Citizen requests of the Samad centre (111), referred to executive agencies.",
    )
    install_error_handlers(app)
    install_protection(app)
    install_login_redirect(app)
    for module in (requests, agreements, health, admin, feedback, webhook, agency_referrals, login):
        app.include_router(module.router)
    mount_open311(app)  # GeoReport v2 under /open311/v2, its errors in its own shape
    mount_supervision(app)
    mount_kartabl(app)

    if telemetry.setup("samad-hub-api", mask=mask_pii):  # only when OTEL_* asks for traces
        telemetry.instrument_app(app)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        return document_problems(build())

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's way to amend the document
    return app
