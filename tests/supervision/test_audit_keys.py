"""The audit log's keys are made as docs/security.md says, one per use, and a weak one is refused
in production."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import ValidationError

from hub.core import audit_keys
from hub.core.audit_keys import KeyUse, audit_mac, audit_mac_matches
from hub.core.settings import Settings

STRONG = "k" * 16 + "-a-long-random-value-0123456789"
MESSAGE = b"an event's canonical content"


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _use(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    monkeypatch.setattr(audit_keys, "get_settings", lambda: Settings(**settings))  # type: ignore[arg-type]


def test_without_an_audit_key_it_is_derived_from_the_secret_key_as_documented(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use(monkeypatch, secret_key=STRONG, audit_key="")
    root = _hmac(STRONG.encode(), b"\0samad-hub/audit-key/v1")
    for use in KeyUse:
        sub_key = _hmac(root, f"samad-hub/audit/{use}/v1".encode())
        assert audit_mac(use, MESSAGE) == _hmac(sub_key, MESSAGE).hex()
    # Never the same as a token's or session id's hash made with the secret key itself.
    assert root != _hmac(STRONG.encode(), b"samad-hub/audit-key/v1")


def test_an_audit_key_of_its_own_replaces_the_derived_one(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, secret_key=STRONG, audit_key="")
    derived = audit_mac(KeyUse.CHAIN, MESSAGE)
    _use(monkeypatch, secret_key=STRONG, audit_key="another-" + STRONG)
    own = audit_mac(KeyUse.CHAIN, MESSAGE)
    sub_key = _hmac(("another-" + STRONG).encode(), b"samad-hub/audit/chain/v1")
    assert own == _hmac(sub_key, MESSAGE).hex() != derived
    _use(monkeypatch, secret_key="changed-" + STRONG, audit_key="another-" + STRONG)
    assert audit_mac(KeyUse.CHAIN, MESSAGE) == own  # rotating the secret key leaves it alone


def test_a_mac_made_for_one_use_does_not_pass_for_another(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, secret_key=STRONG)
    row = audit_mac(KeyUse.ROW, MESSAGE)
    assert audit_mac_matches(KeyUse.ROW, MESSAGE, row)
    assert not audit_mac_matches(KeyUse.CHAIN, MESSAGE, row)
    assert not audit_mac_matches(KeyUse.ROW, MESSAGE, hashlib.sha256(MESSAGE).hexdigest())
    assert not audit_mac_matches(KeyUse.ROW, MESSAGE, None)


@pytest.mark.parametrize("weak", ["changeme", "short-but-distinctive-Xy7"])
def test_a_weak_audit_key_is_refused_in_production_without_showing_it(weak: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(
            environment="production",
            database_url="postgresql+psycopg://samad@db/samad",
            broker_url="redis://broker/0",
            secret_key=STRONG,
            audit_key=weak,
        )
    assert "SAMAD_AUDIT_KEY" in str(refused.value) and weak not in str(refused.value)


def test_the_checkpoint_line_survives_the_log_masking(caplog: pytest.LogCaptureFixture) -> None:
    """A hash with a run of ten digits would be starred out, and the log's copy of the
    checkpoint would no longer verify (seen in a full run, where the API had installed it)."""
    import logging

    from hub.auth.masking import install_log_masking

    install_log_masking()
    with caplog.at_level("INFO", logger="hub.audit"):
        logging.getLogger("hub.audit.checkpoint").info("audit checkpoint %s", "ab0123456789cd")
        logging.getLogger("hub.audit").info("seal of 0123456789")
    assert "ab0123456789cd" in caplog.records[0].getMessage()
    assert "0123456789" not in caplog.records[1].getMessage()
