"""The REST connector's plugin module, found through the ``samad_hub`` entry point ``rest``.

Built in, but loaded exactly as a third-party connector package would be.
"""

from __future__ import annotations

from connectors.rest.connector import RestConnector
from hub.plugins.connector import ConnectorRegistry
from hub.plugins.hookspecs import hookimpl


@hookimpl
def hub_register_connectors(registry: ConnectorRegistry) -> None:
    registry.add(RestConnector)
