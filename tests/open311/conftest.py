"""Open311 tests: a client of the facade on the real API server, and tokens to file with."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hub.auth.roles import Role
from hub.auth.tokens import create_token
from hub.db.session import session_scope
from hub.sandbox.server import BackgroundServer
from tests.support.requests import national_id

PREFIX = "/open311/v2"


def token(role: Role, agreement: str | None = None) -> str:
    with session_scope() as session:
        return create_token(session, f"open311-{role}", role, agreement).secret


@pytest.fixture(scope="session")
def api_key(api_server: BackgroundServer) -> str:
    """An operator's token: what an Open311 client of the 111 centre files with."""
    return token(Role.OPERATOR)


@pytest.fixture(scope="session")
def open311(api_server: BackgroundServer) -> Iterator[httpx.Client]:
    """A plain HTTP client of the facade (no credentials: Open311 sends ``api_key`` itself)."""
    with httpx.Client(base_url=api_server.url + PREFIX, timeout=15) as client:
        yield client


def form(**overrides: Any) -> dict[str, Any]:
    """A complete ``POST requests`` form for a water leak in Gorgan, a new citizen each time."""
    fields: dict[str, Any] = {
        "service_code": "water.leak",
        "lat": "36.8427",
        "long": "54.4439",
        "address_string": "گرگان، خیابان ولیعصر، کوچه ۱۲",
        "first_name": "مریم",
        "last_name": "احمدی",
        "phone": f"0912{random.randrange(10**7):07d}",
        "email": "maryam@example.ir",
        "description": "لوله آب جلوی ساختمان ترکیده و آب در خیابان جاری است.",
        "media_url": "https://photos.example.ir/leak/1234.jpg",
        "attribute[national_id]": national_id(random.randrange(10**8)),
        "attribute[county]": "گرگان",
        "attribute[request_type]": "report",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture(scope="session")
def file_request(open311: httpx.Client, api_key: str) -> Callable[..., str]:
    """File a request over Open311 (JSON); its ``service_request_id``."""

    def file(**overrides: Any) -> str:
        answer = open311.post("/requests.json", data={"api_key": api_key, **form(**overrides)})
        assert answer.status_code == 200, answer.text
        return str(answer.json()[0]["service_request_id"])

    return file
