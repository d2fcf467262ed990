"""The soap connector's plugin: registered by entry point, as a third-party connector would be."""

from __future__ import annotations

from connectors.soap.connector import SoapConnector
from hub.plugins.connector import ConnectorRegistry
from hub.plugins.hookspecs import hookimpl


@hookimpl
def hub_register_connectors(registry: ConnectorRegistry) -> None:
    registry.add(SoapConnector)
