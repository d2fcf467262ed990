"""Random tracking codes can collide; the unique index catches it and a new code is drawn."""

from __future__ import annotations

import pytest

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.session import session_scope
from hub.intake import submit as intake
from tests.support.requests import citizen_request


def test_a_tracking_code_already_taken_is_drawn_again(
    database: str, sandboxes: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope() as session:
        taken = intake.register(session, citizen_request(), get_registry(), get_settings())
    codes = iter([taken.request.tracking_code, "12345678902"])
    monkeypatch.setattr(intake, "new_tracking_code", lambda: next(codes))
    with session_scope() as session:
        again = intake.register(session, citizen_request(), get_registry(), get_settings())
        assert again.request.tracking_code == "12345678902"
        assert again.referrals[0].reference == "12345678902-1"
