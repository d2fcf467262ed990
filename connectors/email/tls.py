"""TLS contexts for the mail servers the connector talks to: verified, optionally a private CA."""

from __future__ import annotations

import ssl

from hub.core.errors import ConnectorRefused


def client_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trust store, plus ``ca_file`` when an agency runs its own CA."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectorRefused(f"cannot read the CA file {ca_file}: {exc}") from exc
    return context


def is_certificate_problem(exc: BaseException) -> bool:
    """Retrying cannot fix a certificate the hub does not trust; the admin must."""
    return isinstance(exc, ssl.SSLCertVerificationError)
