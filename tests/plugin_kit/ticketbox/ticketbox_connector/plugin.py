"""The entry point samad-hub loads: it registers the connector type."""

from hub.plugins.connector import ConnectorRegistry
from hub.plugins.hookspecs import hookimpl
from ticketbox_connector.connector import TicketBoxConnector


@hookimpl
def hub_register_connectors(registry: ConnectorRegistry) -> None:
    registry.add(TicketBoxConnector)
