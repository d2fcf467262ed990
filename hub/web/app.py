"""The FastAPI application: routers mounted, errors translated, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI

from hub import __version__
from hub.api.dashboard_auth import install_login_redirect
from hub.api.errors import install_error_handlers
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
from hub.web.dashboard import mount_supervision


def create_app() -> FastAPI:
    app = FastAPI(
        title="samad-hub",
        version=__version__,
        description="Citizen requests of the Samad centre (111), referred to executive agencies.",
    )
    install_error_handlers(app)
    install_protection(app)
    install_login_redirect(app)
    for module in (requests, agreements, health, admin, feedback, webhook, agency_referrals, login):
        app.include_router(module.router)
    mount_supervision(app)
    return app
