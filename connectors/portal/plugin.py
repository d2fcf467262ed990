"""Registers the portal connector, by the same entry-point path a third-party plugin uses."""

from __future__ import annotations

from connectors.portal.connector import PortalConnector
from hub.plugins.connector import ConnectorRegistry
from hub.plugins.hookspecs import hookimpl


@hookimpl
def hub_register_connectors(registry: ConnectorRegistry) -> None:
    registry.add(PortalConnector)
