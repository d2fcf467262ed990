"""The kartabl: the pages where a ``portal`` agency's people work their referrals.

Mounted at ``/kartabl``: the inbox, one referral and its actions, the lead's users page;
and, for the supervising office, ``/dashboard/kartabls``: every kartabl as it is, read only. Every
action goes through the referrals' own path (:mod:`hub.web.kartabl.actions`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def mount_kartabl(app: FastAPI) -> None:
    """Add ``/kartabl`` (pages and static files) to ``app``."""
    from hub.web.kartabl.overview import router as overview
    from hub.web.kartabl.pages import router as pages
    from hub.web.kartabl.people import router as people

    app.include_router(pages)
    app.include_router(people)
    app.include_router(overview)
    static = Path(__file__).parent / "static"
    app.mount("/kartabl/static", StaticFiles(directory=static), name="kartabl-static")
