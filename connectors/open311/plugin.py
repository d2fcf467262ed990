"""The Open311 connector's plugin module, found through the ``samad_hub`` entry point ``open311``.

Built in, but loaded exactly as a third-party connector package would be.
"""

from __future__ import annotations

from connectors.open311.connector import Open311Connector
from hub.plugins.connector import ConnectorRegistry
from hub.plugins.hookspecs import hookimpl


@hookimpl
def hub_register_connectors(registry: ConnectorRegistry) -> None:
    registry.add(Open311Connector)
