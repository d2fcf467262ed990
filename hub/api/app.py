"""The FastAPI application: routers mounted, errors translated, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI

from hub import __version__
from hub.api.errors import install_error_handlers
from hub.api.routes import agreements, health, requests


def create_app() -> FastAPI:
    app = FastAPI(
        title="samad-hub",
        version=__version__,
        description="Citizen requests of the Samad centre (111), referred to executive agencies.",
    )
    install_error_handlers(app)
    for module in (requests, agreements, health):
        app.include_router(module.router)
    return app
