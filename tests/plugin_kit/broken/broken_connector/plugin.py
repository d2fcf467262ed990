"""The entry point samad-hub loads: it registers the connector type."""

from broken_connector.connector import BrokenConnector
from hub.plugins.connector import ConnectorRegistry
from hub.plugins.hookspecs import hookimpl


@hookimpl
def hub_register_connectors(registry: ConnectorRegistry) -> None:
    registry.add(BrokenConnector)
