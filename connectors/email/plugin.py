"""Registers the email connector, by the same entry-point path a third-party plugin uses."""

from __future__ import annotations

from connectors.email.connector import EmailConnector
from hub.hookspecs import hookimpl
from hub.plugins import ConnectorRegistry


@hookimpl
def hub_register_connectors(registry: ConnectorRegistry) -> None:
    registry.add(EmailConnector)
