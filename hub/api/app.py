"""The FastAPI application: routers mounted, errors translated, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI

from hub import __version__
from hub.api.errors import install_error_handlers
from hub.api.protection import install_protection
from hub.api.routes import admin, agreements, health, requests


def create_app() -> FastAPI:
    app = FastAPI(
        title="samad-hub",
        version=__version__,
        description="Citizen requests of the Samad centre (111), referred to executive agencies.",
    )
    install_error_handlers(app)
    install_protection(app)
    for module in (requests, agreements, health, admin):
        app.include_router(module.router)
    return app
